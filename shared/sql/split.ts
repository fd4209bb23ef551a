import { mysqlSplitterOptions, postgreSplitterOptions, splitQuery } from 'dbgate-query-splitter';
import type { SqlDialect, TextPosition } from '../contract/index.js';

export interface Statement {
  sql: string;
  /** Where the statement's text starts in the script, 0-based character offset. */
  offset: number;
  start: TextPosition;
  end: TextPosition;
}

/**
 * Redshift quotes like PostgreSQL ('', "", $$…$$, $tag$…$tag$). Spark SQL
 * quotes identifiers with backticks and escapes with backslashes in both
 * string quotes, as MySQL does, but has no DELIMITER command.
 */
const options = {
  redshift: { ...postgreSplitterOptions, returnRichInfo: true },
  spark: { ...mysqlSplitterOptions, allowCustomDelimiter: false, returnRichInfo: true },
};

/** Splits a script into statements with their places, so errors point into the editor's text. */
export function splitStatements(script: string, dialect: SqlDialect): Statement[] {
  return splitQuery(script, options[dialect])
    .flatMap((item) => (typeof item === 'string' ? [] : [item]))
    .filter((item) => !isOnlyComments(item.text))
    .map((item) => {
      // Comments above a statement stay in the editor; the statement (and its place) starts at its first word.
      const lead = LEADING_COMMENTS.exec(item.text)?.[0].length ?? 0;
      const offset = (item.trimStart ?? item.start).position + lead;
      const end = item.trimEnd ?? item.end;
      return { sql: item.text.slice(lead), offset, start: positionAt(script, offset), end: { line: end.line + 1, column: end.column + 1 } };
    });
}

const LEADING_COMMENTS = /^(?:\s*(?:--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/))*\s*/;

/** A trailing comment after the last semicolon is not a statement to send. */
function isOnlyComments(sql: string): boolean {
  return (
    sql
      .replace(/--[^\n]*/g, '')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim() === ''
  );
}

/** A character offset in `text` as a 1-based line and column. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** A position inside a selection, as a position in the editor the selection came from. */
export function inEditor(position: TextPosition, origin: TextPosition): TextPosition {
  return position.line === 1
    ? { line: origin.line, column: origin.column + position.column - 1 }
    : { line: origin.line + position.line - 1, column: position.column };
}
