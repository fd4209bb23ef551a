import type { Cell, ColumnMeta } from '../../../shared/contract/operations/workbench.js';

/**
 * One CSV field exactly as PostgreSQL's COPY … CSV (CopyAttributeOutCSV) and
 * so `psql \copy … csv header` writes it: NULL is an empty unquoted field; a
 * value is quoted, with quotes doubled, when it contains a comma, a quote, CR
 * or LF, when it is empty (else it would read back as NULL), or when it is
 * `\.` alone in a one-column row (else it would read back as end-of-data).
 *
 * Not csv-stringify: it turns null and '' into the same '' before deciding on
 * quotes (so NULL and empty string cannot differ, or both get quoted), knows
 * only its record delimiter as a line break (a lone CR would stay bare), and
 * has no per-row notion of the `\.` rule; configuring around all three is
 * longer than these lines and easier to get wrong.
 */
export function csvField(value: Cell, singleColumn: boolean): string {
  if (value === null) return '';
  if (value === '' || (singleColumn && value === '\\.')) return `"${value}"`;
  if (NEEDS_QUOTES.test(value)) return `"${value.replace(QUOTES, '""')}"`;
  return value;
}

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTES = /"/g;

export function csvRow(row: readonly Cell[]): string {
  const single = row.length === 1;
  let line = '';
  for (let i = 0; i < row.length; i++) {
    if (i > 0) line += ',';
    line += csvField(row[i] ?? null, single);
  }
  return `${line}\n`;
}

/** The header line: PostgreSQL writes column names through the same quoting as values. */
export function csvHeader(columns: readonly ColumnMeta[]): string {
  return csvRow(columns.map((column) => column.name));
}

/** Distinct keys for a JSON object (or Parquet columns): a repeated name becomes name_2, name_3… */
export function distinctNames(columns: readonly ColumnMeta[]): string[] {
  const used = new Set<string>();
  return columns.map((column) => {
    let name = column.name;
    for (let n = 2; used.has(name); n++) name = `${column.name}_${n}`;
    used.add(name);
    return name;
  });
}

/** What JSON itself accepts as a number; anything else (NaN, Infinity, +1, .5) stays a string. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LINE_BREAKS = /[\r\n]/g;

/** Turns one row into a JSON Lines line; built once per export so the per-row work is a loop of appends. */
export function jsonlEncoder(columns: readonly ColumnMeta[]): (row: readonly Cell[]) => string {
  const keys = distinctNames(columns).map((name) => `${JSON.stringify(name)}:`);
  const writers = columns.map((column) => jsonValue(column.kind));
  return (row) => {
    let line = '{';
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) line += ',';
      const cell = row[i] ?? null;
      line += keys[i]! + (cell === null ? 'null' : writers[i]!(cell));
    }
    return `${line}}\n`;
  };
}

function jsonValue(kind: ColumnMeta['kind']): (text: string) => string {
  switch (kind) {
    case 'int':
    case 'decimal':
    case 'float':
      // The engine's digits go out unchanged: a parser that wants int8 max exactly can have it.
      return (text) => (JSON_NUMBER.test(text) ? text : JSON.stringify(text));
    case 'bool':
      return (text) => {
        const lower = text.toLowerCase();
        return lower === 't' || lower === 'true' ? 'true' : lower === 'f' || lower === 'false' ? 'false' : JSON.stringify(text);
      };
    case 'json':
      // PostgreSQL's json keeps the text as typed, line breaks included. In valid
      // JSON a raw CR or LF can only be whitespace between tokens, so a space keeps it one line.
      return (text) => text.replace(LINE_BREAKS, ' ');
    default:
      return (text) => JSON.stringify(text);
  }
}
