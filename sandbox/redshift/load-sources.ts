import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { CopyCommand } from './commands.js';

/** A target column as PostgreSQL describes it. */
export interface TargetColumn {
  name: string;
  /** format_type(): "integer", "character varying(10)", "numeric(12,2)". */
  type: string;
  /** pg_type.typcategory: S string, N numeric, D date/time, B boolean, ... */
  category: string;
  /** pg_type.typname, as Redshift shows a column's type in load errors: int4, varchar, numeric. */
  typeName: string;
  /** Declared length ("10") or precision and scale ("12,2"), '' when none. */
  length: string;
}

/** One input record as values for the target columns, or why it cannot be one. */
export type SourceRecord =
  | { fields: (string | null)[]; line: number; raw: string }
  | { error: { code: number; reason: string; column?: string; value?: string }; line: number; raw: string };

/** NULL AS '\0' or '\000': a field that is one NUL byte loads as NULL, as Redshift documents. */
const nulAsNull = (command: CopyCommand) => command.nullAs === '\\0' || command.nullAs === '\\000';

/** Applies Redshift's NULL rules to a delimited or JSON text value. */
export function nullRules(command: CopyCommand, columns: TargetColumn[]): (value: string, index: number) => string | null {
  const nullAs = command.nullAs ?? (command.format === 'text' ? '\\N' : undefined);
  const nul = nulAsNull(command);
  return (value, index) => {
    if (nullAs !== undefined && value === nullAs) return null;
    if (nul && value === '\0') return null;
    const isChar = columns[index]?.category === 'S';
    if (value === '') return isChar && !command.emptyAsNull ? '' : null;
    if (command.blanksAsNull && isChar && value.trim() === '') return null;
    if (!isChar && value.trim() === '') return null;
    return value;
  };
}

/**
 * Redshift refuses NUL (0x00) in a value, whatever the format: without
 * NULL AS '\0' a null terminator fails the record, with the reason Redshift
 * gives for a field that holds one among other bytes. PostgreSQL would refuse
 * the whole COPY stream instead, so the record is refused here, before it is
 * sent, and counts against MAXERROR as Redshift's does.
 */
export function refuseNul(record: SourceRecord, columns: TargetColumn[]): SourceRecord {
  if ('error' in record) return record;
  const at = record.fields.findIndex((value) => value?.includes('\0'));
  if (at < 0) return record;
  const value = record.fields[at]!;
  return {
    error: {
      code: NUL_ERROR_CODE,
      reason: value.length > 1 ? 'Invalid null byte - field longer than 1 byte' : "Invalid null byte (NULL AS '\\0' loads it as NULL)",
      column: columns[at]?.name,
      value,
    },
    line: record.line,
    raw: record.raw,
  };
}

/** The code Redshift documents for characters a column cannot take (stl_load_errors.err_code). */
export const NUL_ERROR_CODE = 1220;

function shape(fields: (string | null)[], columns: TargetColumn[], command: CopyCommand, line: number, raw: string): SourceRecord {
  if (fields.length < columns.length && command.fillRecord) while (fields.length < columns.length) fields.push(null);
  if (fields.length < columns.length)
    return { error: { code: 1214, reason: 'Delimiter not found', column: columns[fields.length]?.name }, line, raw };
  if (fields.length > columns.length) return { error: { code: 1202, reason: `Extra column(s) found` }, line, raw };
  return { fields, line, raw };
}

/** CSV as Redshift reads it: quotes may hold delimiters and newlines; IGNOREHEADER counts lines. */
export async function* csvRecords(input: Readable, command: CopyCommand, columns: TargetColumn[]): AsyncGenerator<SourceRecord> {
  const toValue = nullRules(command, columns);
  const parser = input.pipe(
    parse({
      delimiter: command.delimiter ?? ',',
      quote: command.quote,
      escape: command.quote,
      relax_column_count: true,
      raw: true,
      info: true,
      from_line: command.ignoreHeader + 1,
      skip_empty_lines: command.ignoreBlankLines,
      bom: true,
    }),
  );
  input.on('error', (error) => parser.destroy(error));
  for await (const item of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
    const raw = item.raw.replace(/\r?\n$/, '');
    yield shape(
      item.record.map((value, index) => toValue(value, index)),
      columns,
      command,
      item.info.lines,
      raw,
    );
  }
}

/** Redshift's default text format: one line per record, '|' between fields, optional backslash ESCAPE and REMOVEQUOTES. */
export async function* textRecords(input: Readable, command: CopyCommand, columns: TargetColumn[]): AsyncGenerator<SourceRecord> {
  const toValue = nullRules(command, columns);
  const delimiter = command.delimiter ?? '|';
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  let pending = '';
  for await (const text of lines) {
    line++;
    if (line <= command.ignoreHeader) continue;
    // With ESCAPE, a backslash before the newline keeps the record going.
    if (command.escape && /(^|[^\\])(\\\\)*\\$/.test(text)) {
      pending += text.slice(0, -1) + '\n';
      continue;
    }
    const record = pending + text;
    pending = '';
    if (record === '' && command.ignoreBlankLines) continue;
    const values = splitText(record, delimiter, command.escape, command.removeQuotes);
    yield shape(
      values.map((value, index) => toValue(value, index)),
      columns,
      command,
      line,
      record,
    );
  }
}

function splitText(record: string, delimiter: string, escape: boolean, removeQuotes: boolean): string[] {
  if (!escape && !removeQuotes) return record.split(delimiter);
  const values: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const ch = record[i]!;
    if (escape && ch === '\\' && i + 1 < record.length) {
      current += record[++i];
    } else if (removeQuotes && ch === '"') {
      quoted = !quoted;
    } else if (!quoted && record.startsWith(delimiter, i)) {
      values.push(current);
      current = '';
      i += delimiter.length - 1;
    } else current += ch;
  }
  values.push(current);
  return values;
}

/**
 * JSON 'auto': objects one after another (newline-separated or not), keys
 * matched to column names; 'auto ignorecase' lower-cases the keys first.
 * Numbers keep their exact text; nested values load as JSON text.
 */
export async function* jsonRecords(input: Readable, command: CopyCommand, columns: TargetColumn[]): AsyncGenerator<SourceRecord> {
  const toValue = nullRules({ ...command, nullAs: command.nullAs }, columns);
  const index = new Map(columns.map((column, i) => [column.name, i]));
  const scanner = new ObjectScanner();
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    for (const found of scanner.push(chunk)) yield toRecord(found);
  }
  const rest = scanner.rest().trim();
  if (rest) yield { error: { code: 1216, reason: 'Invalid JSON: unexpected end of input' }, line: scanner.line, raw: rest.slice(0, 1024) };

  function toRecord(found: { text: string; line: number }): SourceRecord {
    let members: [string, JsonValue][];
    try {
      members = parseObjectMembers(found.text);
    } catch (error) {
      return { error: { code: 1216, reason: `Invalid JSON: ${(error as Error).message}` }, line: found.line, raw: found.text };
    }
    const fields: (string | null)[] = columns.map(() => null);
    for (const [rawKey, value] of members) {
      const key = command.json === 'auto ignorecase' ? rawKey.toLowerCase() : rawKey;
      const at = index.get(key);
      if (at === undefined) continue;
      fields[at] = value.kind === 'null' ? null : value.kind === 'string' ? toValue(value.text, at) : value.text;
    }
    return { fields, line: found.line, raw: found.text };
  }
}

interface JsonValue {
  kind: 'string' | 'number' | 'bool' | 'null' | 'nested';
  /** Decoded for strings; the exact source text otherwise. */
  text: string;
}

/** Finds top-level JSON objects in a character stream without parsing their numbers. */
class ObjectScanner {
  private buffer = '';
  private start = -1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scanned = 0;
  private startLine = 1;
  line = 1;

  push(chunk: string): { text: string; line: number }[] {
    this.buffer += chunk;
    const found: { text: string; line: number }[] = [];
    let consumed = 0;
    for (let i = this.scanned; i < this.buffer.length; i++) {
      const ch = this.buffer[i]!;
      if (ch === '\n') this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') this.inString = true;
      else if (ch === '{' || ch === '[') {
        if (this.depth++ === 0) {
          this.start = i;
          this.startLine = this.line;
        }
      } else if ((ch === '}' || ch === ']') && this.depth > 0 && --this.depth === 0) {
        found.push({ text: this.buffer.slice(this.start, i + 1), line: this.startLine });
        consumed = i + 1;
      }
    }
    // Keep only an unfinished object (or what lies after the last one).
    if (this.depth > 0) consumed = this.start;
    this.buffer = this.buffer.slice(consumed);
    if (this.depth > 0) this.start = 0;
    else this.buffer = this.buffer.trimStart();
    this.scanned = this.buffer.length;
    return found;
  }

  rest(): string {
    return this.buffer;
  }
}

/** The members of one JSON object, values kept as exact text. */
export function parseObjectMembers(text: string): [string, JsonValue][] {
  let i = 0;
  const space = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const expect = (ch: string) => {
    space();
    if (text[i] !== ch) throw new Error(`expected '${ch}' at position ${i}`);
    i++;
  };
  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): JsonValue => {
    space();
    const ch = text[i];
    if (ch === '"') return { kind: 'string', text: string() };
    if (ch === '{' || ch === '[') {
      const start = i;
      let depth = 0;
      for (; i < text.length; i++) {
        const c = text[i];
        if (c === '"') {
          i++;
          while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
        } else if (c === '{' || c === '[') depth++;
        else if ((c === '}' || c === ']') && --depth === 0) break;
      }
      i++;
      const nested = text.slice(start, i);
      JSON.parse(nested);
      return { kind: 'nested', text: nested };
    }
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) throw new Error(`unexpected '${ch ?? 'end'}' at position ${i}`);
    i += m[0].length;
    if (m[0] === 'null') return { kind: 'null', text: '' };
    if (m[0] === 'true' || m[0] === 'false') return { kind: 'bool', text: m[0] };
    return { kind: 'number', text: m[0] };
  };
  const members: [string, JsonValue][] = [];
  expect('{');
  space();
  if (text[i] === '}') return members;
  for (;;) {
    space();
    if (text[i] !== '"') throw new Error(`expected a key at position ${i}`);
    const key = string();
    expect(':');
    members.push([key, value()]);
    space();
    if (text[i] === ',') {
      i++;
      continue;
    }
    expect('}');
    return members;
  }
}

/** One CSV line as PostgreSQL's COPY (FORMAT csv) reads it: an unquoted empty field is NULL, "" is an empty string. */
export function csvLine(fields: (string | null)[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += ',';
    const value = fields[i];
    if (value === null || value === undefined) continue;
    out += value === '' || /[",\r\n\\]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  }
  return out + '\n';
}
