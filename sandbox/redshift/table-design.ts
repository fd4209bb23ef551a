import { isCode, type Token } from './lexer.js';

/**
 * A table's physical design as written in Redshift DDL, which PostgreSQL has
 * no place for. The rewriter leaves it in a comment of the statement it
 * forwards; an event trigger (table-health.ts) keeps it by table oid.
 * Fields absent are left as they were (ALTER) or as Redshift's defaults (CREATE).
 */
export interface TableDesign {
  /** The table's name without schema, as PostgreSQL stores it. */
  t: string;
  ds?: 'EVEN' | 'ALL' | 'KEY' | 'AUTO';
  dk?: string;
  sk?: string[];
  ss?: 'COMPOUND' | 'INTERLEAVED' | 'AUTO' | 'NONE';
  /** Column encodings, by column name. */
  enc?: Record<string, string>;
  /** ENCODE AUTO for the table. */
  ea?: boolean;
}

/** Words that start a table constraint rather than a column in CREATE TABLE's list. */
const CONSTRAINTS = new Set(['constraint', 'primary', 'unique', 'foreign', 'check', 'like', 'exclude']);

const word = (token: Token | undefined) => (token?.kind === 'word' ? token.value : '');
const identifier = (token: Token | undefined) => (token?.kind === 'quoted' ? token.value : word(token));
const distStyle = (token: Token | undefined) => {
  const style = word(token).toUpperCase();
  return style === 'EVEN' || style === 'ALL' || style === 'KEY' || style === 'AUTO' ? style : undefined;
};

/** The comment that carries a design to the event trigger; '/' is escaped so nothing in it can end the comment. */
export function designComment(design: TableDesign): string {
  return `/*tributary:design ${JSON.stringify(design).replaceAll('/', '\\/')}*/`;
}

/** Index just past a possibly qualified name starting at code[k], and the name's last part. */
function tableName(code: Token[], k: number): { end: number; name: string } {
  while (code[k + 1]?.text === '.') k += 2;
  return { end: k + 1, name: identifier(code[k]) };
}

/** Column names in the parenthesised list opening at code[k]; returns them and the index past ')'. */
function columnList(code: Token[], k: number): { columns: string[]; end: number } {
  const columns: string[] = [];
  let j = k + 1;
  for (; j < code.length && code[j]!.text !== ')'; j++) if (code[j]!.text !== ',') columns.push(identifier(code[j]));
  return { columns, end: j + 1 };
}

/** The design written in a CREATE TABLE (or CREATE TABLE … AS) statement's tokens. */
export function createDesign(tokens: Token[]): TableDesign | undefined {
  const code = tokens.filter(isCode);
  let k = code.findIndex((token) => word(token) === 'table') + 1;
  if (k === 0) return undefined;
  if (word(code[k]) === 'if') k += 3;
  const { end, name } = tableName(code, k);
  if (!name) return undefined;
  const design: TableDesign = { t: name };
  const encodings: Record<string, string> = {};
  const sortKeys: string[] = [];
  let depth = 0;
  let inColumns = false;
  let column: string | undefined;
  let expectColumn = false;
  let style: TableDesign['ss'];
  for (let j = end; j < code.length; j++) {
    const token = code[j]!;
    const w = word(token);
    if (token.text === '(') {
      depth++;
      if (depth === 1 && j === end) inColumns = expectColumn = true;
      continue;
    }
    if (token.text === ')') {
      if (--depth === 0) inColumns = false;
      continue;
    }
    if (inColumns && depth === 1) {
      if (token.text === ',') expectColumn = true;
      else if (expectColumn) {
        expectColumn = false;
        column = CONSTRAINTS.has(w) ? undefined : identifier(token);
      } else if (column && w === 'encode' && word(code[j + 1])) encodings[column] = word(code[++j]);
      else if (column && w === 'distkey') {
        design.ds = 'KEY';
        design.dk = column;
      } else if (column && w === 'sortkey') sortKeys.push(column);
      continue;
    }
    if (depth > 0) continue;
    if (w === 'as') break;
    if (w === 'diststyle') design.ds = distStyle(code[++j]);
    else if (w === 'distkey' && code[j + 1]?.text === '(') {
      design.ds ??= 'KEY';
      design.dk = identifier(code[j + 2]);
      j += 3;
    } else if ((w === 'compound' || w === 'interleaved') && word(code[j + 1]) === 'sortkey')
      style = w === 'compound' ? 'COMPOUND' : 'INTERLEAVED';
    else if (w === 'sortkey' && code[j + 1]?.text === '(') {
      const list = columnList(code, j + 1);
      sortKeys.push(...list.columns);
      j = list.end - 1;
    } else if (w === 'sortkey' && word(code[j + 1]) === 'auto') {
      design.ss = 'AUTO';
      j++;
    } else if (w === 'encode' && word(code[j + 1]) === 'auto') {
      design.ea = true;
      j++;
    }
  }
  if (sortKeys.length) {
    design.sk = sortKeys;
    design.ss = style ?? 'COMPOUND';
  }
  if (Object.keys(encodings).length) design.enc = encodings;
  return design;
}

/**
 * The design an `ALTER TABLE t ALTER DISTSTYLE|DISTKEY|SORTKEY|ENCODE …` or
 * `ALTER COLUMN c ENCODE e` sets, and the tokens' index range of the table name.
 */
export function alterDesign(tokens: Token[]): { design: TableDesign; name: Token[] } | undefined {
  const code = tokens.filter(isCode);
  let k = 2;
  if (word(code[k]) === 'if') k += 2;
  const { end, name } = tableName(code, k);
  const design: TableDesign = { t: name };
  const at = (offset: number) => code[end + 1 + offset];
  if (word(code[end]) !== 'alter') return undefined;
  const what = word(at(0));
  if (what === 'diststyle') {
    design.ds = distStyle(at(1));
    if (design.ds === 'KEY' && word(at(2)) === 'distkey') design.dk = identifier(at(3));
  } else if (what === 'distkey') {
    design.ds = 'KEY';
    design.dk = identifier(at(1));
  } else if (what === 'compound' || what === 'interleaved' || what === 'sortkey') {
    const keyword = what === 'sortkey' ? 0 : 1;
    if (at(keyword + 1)?.text === '(') {
      design.sk = columnList(code, end + 2 + keyword).columns;
      design.ss = what === 'interleaved' ? 'INTERLEAVED' : 'COMPOUND';
    } else if (word(at(keyword + 1)) === 'auto') design.ss = 'AUTO';
    else if (word(at(keyword + 1)) === 'none') design.ss = 'NONE';
  } else if (what === 'encode' && word(at(1)) === 'auto') design.ea = true;
  else if (what === 'column' && word(at(2)) === 'encode') design.enc = { [identifier(at(1))]: word(at(3)) };
  else return undefined;
  return { design, name: code.slice(k, end) };
}
