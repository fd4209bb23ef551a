import type { Cell, ColumnMeta, CopyOutcome, CopySpec, RunChunk, TextPosition } from '../../../shared/contract/index.js';
import { redshiftLiteral } from '../../../shared/sql/literal.js';

/** Where the wizard runs SQL: the workbench's own run (connections, engines, history, result store). */
export interface SqlRunner {
  run(input: { connectionId: string; sql: string; origin: TextPosition }, signal: AbortSignal): AsyncIterable<RunChunk>;
}

const quoteIdent = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

/** The COPY the wizard runs, as Redshift's documentation writes it. */
export function copyStatement(spec: CopySpec): string {
  const table = spec.schema ? `${quoteIdent(spec.schema)}.${quoteIdent(spec.table)}` : quoteIdent(spec.table);
  const lines = [`COPY ${table}`, `FROM ${redshiftLiteral(spec.source)}`, `IAM_ROLE ${redshiftLiteral(spec.iamRole)}`];
  if (spec.format === 'parquet') lines.push('FORMAT AS PARQUET');
  else if (spec.format === 'json') lines.push(`FORMAT AS JSON 'auto'`);
  else {
    lines.push('FORMAT AS CSV');
    if (spec.delimiter && spec.delimiter !== ',') lines.push(`DELIMITER ${redshiftLiteral(spec.delimiter)}`);
    if (spec.ignoreHeader) lines.push(`IGNOREHEADER ${spec.ignoreHeader}`);
  }
  // MAXERROR does not apply to columnar formats on Redshift.
  if (spec.maxError && spec.format !== 'parquet') lines.push(`MAXERROR ${spec.maxError}`);
  if (spec.region) lines.push(`REGION ${redshiftLiteral(spec.region)}`);
  return `${lines.join('\n')};`;
}

/** The load errors of the newest load from this source: the newest query id among the rows naming it. */
export function loadErrorsQuery(source: string, view: 'sys_load_error_detail' | 'stl_load_errors'): string {
  // `_` in LIKE matches any one character: at worst a sibling prefix differing there also matches, and only the newest load is taken.
  const prefix = redshiftLiteral(`${source}%`);
  if (view === 'sys_load_error_detail') {
    return `SELECT query_id, start_time, file_name, line_number, column_name, column_type, column_length, error_code, error_message, raw_field_value, raw_line
FROM sys_load_error_detail
WHERE query_id = (SELECT max(query_id) FROM sys_load_error_detail WHERE file_name LIKE ${prefix})
ORDER BY line_number
LIMIT 1000`;
  }
  return `SELECT query, starttime, trim(filename) AS filename, line_number, trim(colname) AS colname, type, col_length, err_code, trim(err_reason) AS err_reason, trim(raw_field_value) AS raw_field_value, trim(raw_line) AS raw_line
FROM stl_load_errors
WHERE query = (SELECT max(query) FROM stl_load_errors WHERE filename LIKE ${prefix})
ORDER BY line_number
LIMIT 1000`;
}

interface Ran {
  error?: string;
  messages: string[];
  rowsAffected?: number;
  result?: { resultId: string; columns: ColumnMeta[]; rows: Cell[][]; total: number };
}

async function runOne(runner: SqlRunner, connectionId: string, sql: string, signal: AbortSignal): Promise<Ran> {
  const ran: Ran = { messages: [] };
  for await (const chunk of runner.run({ connectionId, sql, origin: { line: 1, column: 1 } }, signal)) {
    if (chunk.kind === 'notice') ran.messages.push(chunk.message);
    else if (chunk.kind === 'error') ran.error = chunk.message;
    else if (chunk.kind === 'result')
      ran.result = { resultId: chunk.resultId, columns: chunk.columns, rows: chunk.rows, total: chunk.rows.length };
    else if (chunk.kind === 'done') {
      if (chunk.rowsAffected !== undefined) ran.rowsAffected = chunk.rowsAffected;
      if (ran.result && chunk.rows !== undefined) ran.result.total = chunk.rows;
    }
  }
  return ran;
}

/**
 * The COPY wizard's run: CREATE TABLE when asked, then the COPY, through the
 * workbench (so it is in the history and uses the connection's engine); on
 * failure the load's rows of sys_load_error_detail (stl_load_errors where
 * that view is missing) come back as a result the grid shows.
 */
export async function runCopy(
  runner: SqlRunner,
  input: CopySpec & { connectionId: string; createTable?: string },
  signal: AbortSignal,
): Promise<CopyOutcome> {
  const sql = copyStatement(input);
  let created = false;
  const messages: string[] = [];
  if (input.createTable) {
    const made = await runOne(runner, input.connectionId, input.createTable, signal);
    messages.push(...made.messages);
    if (made.error) return { ok: false, sql, error: `CREATE TABLE failed: ${made.error}`, messages, created };
    created = true;
  }
  const copied = await runOne(runner, input.connectionId, sql, signal);
  messages.push(...copied.messages);
  if (!copied.error) {
    const loaded = copied.rowsAffected ?? Number(/(\d+) record\(s\) loaded/.exec(copied.messages.join('\n'))?.[1] ?? Number.NaN);
    return { ok: true, sql, messages, created, ...(Number.isFinite(loaded) ? { rowsLoaded: loaded } : {}) };
  }
  // Only a failure that Redshift says it recorded has rows there; another (no such table, access denied) would show an older load's.
  if (!/load_error/i.test(copied.error)) return { ok: false, sql, error: copied.error, messages, created };
  for (const view of ['sys_load_error_detail', 'stl_load_errors'] as const) {
    const errors = await runOne(runner, input.connectionId, loadErrorsQuery(input.source, view), signal);
    if (!errors.error && errors.result) {
      return { ok: false, sql, error: copied.error, messages, created, loadErrors: { source: view, ...errors.result } };
    }
  }
  return { ok: false, sql, error: copied.error, messages, created };
}
