import type { Cell, ColumnMeta, SchemaTree, SqlDialect } from '../../../shared/contract/index.js';

/** Where one statement's output goes while it runs. */
export interface StatementSink {
  /** The statement returns rows with these columns (called once, before any rows). */
  columns(columns: ColumnMeta[]): void;
  /** Resolves when the batch is taken; an engine reads no further from the server until then. */
  rows(batch: Cell[][]): Promise<void>;
  notice(level: 'notice' | 'warning' | 'info', message: string): void;
}

export interface StatementOutcome {
  /** SELECT, INSERT, CREATE TABLE… as the server names it. */
  command: string;
  rowsAffected?: number;
}

/** A server's complaint about a statement, with where in it (0-based character offset) when it says. */
export class StatementError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'StatementError';
  }
}

/**
 * One SQL server, as the workbench uses it: Redshift over its wire protocol or
 * its Data API, Spark SQL over HiveServer2. A connection's engine is opened
 * once and reused, so session state (search_path, temp tables, USE db) lasts.
 */
export interface Engine {
  readonly dialect: SqlDialect;
  serverVersion(signal: AbortSignal): Promise<string>;
  /** Runs one statement; cancelling the signal stops the work on the server, not only the wait. */
  execute(sql: string, sink: StatementSink, signal: AbortSignal, maxRows?: number): Promise<StatementOutcome>;
  schema(signal: AbortSignal): Promise<SchemaTree>;
  close(): Promise<void>;
}

/** Every row of a small query, for the app's own look-ups (schema, load history): nothing of it reaches the result store. */
export async function queryRows(engine: Engine, sql: string, signal: AbortSignal): Promise<Cell[][]> {
  const out: Cell[][] = [];
  await engine.execute(sql, { columns: () => undefined, notice: () => undefined, rows: async (batch) => void out.push(...batch) }, signal);
  return out;
}

/** A command's end on a remote host: its exit code and the tail of what it printed on stderr. */
export interface ExecOutcome {
  code: number | null;
  stderr: string;
}
