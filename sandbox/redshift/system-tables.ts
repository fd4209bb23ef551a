import pg from 'pg';
import type { Logger } from '../../shared/node/log.js';
import { operationsSql } from './operations-views.js';
import { serverlessUsageSql, setBaseCapacitySql } from './serverless-usage.js';
import { tableHealthSql } from './table-health.js';
import { QueryHistory } from './query-history.js';
import { QueryIds } from './query-ids.js';
import type { FinishedStatement } from './statement-tracker.js';
import { utcTimestamp, type SessionInfo } from './session-info.js';

/**
 * The proxy's own schema in every database: load errors behind Redshift's
 * `stl_load_errors` and `sys_load_error_detail`, one row per COPY behind
 * `sys_load_history`, and the Redshift functions PostgreSQL lacks. The views
 * and functions sit in pg_catalog, which every search_path includes, so the
 * bare names work for any user and database. template1 gets them too, so
 * databases created later have them from birth.
 */
const setupSql = `
CREATE SCHEMA IF NOT EXISTS tributary_sys;
CREATE SEQUENCE IF NOT EXISTS tributary_sys.query_id START 100000;
CREATE TABLE IF NOT EXISTS tributary_sys.load_errors (
  userid integer, slice integer, tbl integer, starttime timestamp, session integer, query integer,
  transaction_id bigint, filename text, line_number bigint, colname text, type text, col_length text,
  position integer, raw_line text, raw_field_value text, err_code integer, err_reason text
);
CREATE TABLE IF NOT EXISTS tributary_sys.load_history (
  user_id integer, query_id bigint PRIMARY KEY, transaction_id bigint, session_id integer, database_name text, status text, table_name text,
  start_time timestamp, end_time timestamp, duration bigint, data_source text, file_format text, loaded_rows bigint, loaded_bytes bigint,
  source_file_count integer, source_file_bytes bigint, file_count_scanned integer, file_bytes_scanned bigint, error_count bigint
);
-- Runs before this proxy records any load here: a row still running was left by a proxy that stopped mid-COPY.
UPDATE tributary_sys.load_history SET status = 'aborted' WHERE status = 'running';
SET allow_system_table_mods = on;
CREATE OR REPLACE VIEW pg_catalog.stl_load_errors AS
  SELECT userid, slice, tbl, starttime, session, query,
    left(filename, 256)::char(256) AS filename, line_number, left(colname, 127)::char(127) AS colname,
    left(type, 10)::char(10) AS type, left(col_length, 10)::char(10) AS col_length, position,
    left(raw_line, 1024)::char(1024) AS raw_line, left(raw_field_value, 1024)::char(1024) AS raw_field_value,
    err_code, left(err_reason, 100)::char(100) AS err_reason
  FROM tributary_sys.load_errors;
CREATE OR REPLACE VIEW pg_catalog.sys_load_error_detail AS
  SELECT userid AS user_id, query AS query_id, transaction_id, session AS session_id, starttime AS start_time,
    filename::varchar(1280) AS file_name, line_number, colname::varchar(127) AS column_name, type::varchar(10) AS column_type,
    col_length::varchar(10) AS column_length, position, left(raw_line, 1024)::varchar(1024) AS raw_line,
    left(raw_field_value, 1024)::varchar(1024) AS raw_field_value, err_code AS error_code, err_reason::varchar(512) AS error_message
  FROM tributary_sys.load_errors;
CREATE OR REPLACE VIEW pg_catalog.sys_load_history AS
  SELECT user_id, query_id, transaction_id, session_id, database_name::varchar(128) AS database_name, status::varchar(32) AS status,
    table_name::varchar(128) AS table_name, start_time, end_time, duration, data_source::varchar(1280) AS data_source,
    file_format::varchar(16) AS file_format, loaded_rows, loaded_bytes, source_file_count, source_file_bytes,
    file_count_scanned, file_bytes_scanned, error_count, 0::bigint AS copy_job_id
  FROM tributary_sys.load_history;
CREATE OR REPLACE FUNCTION pg_catalog.getdate() RETURNS timestamp LANGUAGE sql STABLE
  AS $$ SELECT date_trunc('second', statement_timestamp()::timestamp) $$;
CREATE OR REPLACE FUNCTION pg_catalog.len(text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT length($1) $$;
CREATE OR REPLACE FUNCTION pg_catalog.dateadd(text, bigint, timestamp) RETURNS timestamp LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE lower($1)
    WHEN 'quarter' THEN $3 + make_interval(months => ($2 * 3)::int)
    WHEN 'qtr' THEN $3 + make_interval(months => ($2 * 3)::int)
    WHEN 'week' THEN $3 + make_interval(weeks => $2::int)
    ELSE $3 + ($2::text || ' ' || $1)::interval END $$;
CREATE OR REPLACE FUNCTION pg_catalog.datediff(text, timestamp, timestamp) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN lower($1) IN ('year', 'years', 'y', 'yr', 'yrs') THEN extract(year FROM $3) - extract(year FROM $2)
    WHEN lower($1) IN ('quarter', 'quarters', 'qtr', 'qtrs') THEN (extract(year FROM $3) * 4 + extract(quarter FROM $3)) - (extract(year FROM $2) * 4 + extract(quarter FROM $2))
    WHEN lower($1) IN ('month', 'months', 'mon', 'mons') THEN (extract(year FROM $3) * 12 + extract(month FROM $3)) - (extract(year FROM $2) * 12 + extract(month FROM $2))
    WHEN lower($1) IN ('week', 'weeks', 'w') THEN (date_trunc('week', $3)::date - date_trunc('week', $2)::date) / 7
    WHEN lower($1) IN ('day', 'days', 'd') THEN $3::date - $2::date
    WHEN lower($1) IN ('hour', 'hours', 'h', 'hr', 'hrs') THEN (extract(epoch FROM date_trunc('hour', $3)) - extract(epoch FROM date_trunc('hour', $2))) / 3600
    WHEN lower($1) IN ('minute', 'minutes', 'm', 'min', 'mins') THEN (extract(epoch FROM date_trunc('minute', $3)) - extract(epoch FROM date_trunc('minute', $2))) / 60
    WHEN lower($1) IN ('second', 'seconds', 's', 'sec', 'secs') THEN extract(epoch FROM date_trunc('second', $3)) - extract(epoch FROM date_trunc('second', $2))
    ELSE extract(epoch FROM date_trunc('milliseconds', $3) - date_trunc('milliseconds', $2)) * 1000 END::bigint $$;
RESET allow_system_table_mods;
GRANT USAGE ON SCHEMA tributary_sys TO PUBLIC;
GRANT SELECT ON tributary_sys.load_errors TO PUBLIC;
GRANT SELECT ON tributary_sys.load_history TO PUBLIC;
${operationsSql}
${tableHealthSql}
${serverlessUsageSql}`;

/** The proxy's own connections: left out of the sessions, locks and queries the views show. */
export const SYSTEM_APPLICATION = 'tributary-sandbox-system';
/** The proxy's bookkeeping needs no executed plans (see sandbox/postgres.ts). */
const NO_PLANS = '-c auto_explain.log_min_duration=-1';

export interface LoadError {
  table: string;
  file: string;
  line: number;
  column: string;
  type: string;
  colLength: string;
  position: number;
  rawLine: string;
  rawValue: string;
  code: number;
  reason: string;
}

/** One COPY as SYS_LOAD_HISTORY shows it. */
export interface LoadHistory {
  status: 'running' | 'completed' | 'aborted';
  /** The table's name without schema, as Redshift shows it. */
  table: string;
  /** The COPY's FROM: an s3:// prefix or manifest. */
  source: string;
  /** As Redshift words it: csv, txt, json, parquet. */
  format: string;
  /** Microseconds since the Unix epoch. */
  startMicros: bigint;
  /** Microseconds; undefined while running. */
  durationMicros?: bigint;
  /** The client's transaction, as pg_current_xact_id() gave it; undefined when the COPY never reached PostgreSQL. */
  transactionId?: string;
  loadedRows: number;
  loadedBytes: number;
  sourceFileCount: number;
  sourceFileBytes: number;
  filesScanned: number;
  bytesScanned: number;
  errorCount: number;
}

const HISTORY_COLUMNS = [
  'user_id',
  'query_id',
  'transaction_id',
  'session_id',
  'database_name',
  'status',
  'table_name',
  'start_time',
  'end_time',
  'duration',
  'data_source',
  'file_format',
  'loaded_rows',
  'loaded_bytes',
  'source_file_count',
  'source_file_bytes',
  'file_count_scanned',
  'file_bytes_scanned',
  'error_count',
];
/** $1 is the user name, looked up; the others are the columns after user_id in order. */
const HISTORY_VALUES = ['(SELECT usesysid::int FROM pg_user WHERE usename = $1)', ...HISTORY_COLUMNS.slice(1).map((_, i) => `$${i + 2}`)];
const INSERT_HISTORY = `INSERT INTO tributary_sys.load_history (${HISTORY_COLUMNS.join(', ')}) VALUES (${HISTORY_VALUES.join(', ')})`;
const UPDATE_HISTORY = `UPDATE tributary_sys.load_history SET ${HISTORY_COLUMNS.map((column, i) => `${column} = ${HISTORY_VALUES[i]}`)
  .filter((_, i) => i !== 1)
  .join(', ')} WHERE query_id = $2`;

function historyValues(session: SessionInfo, id: number, load: LoadHistory): unknown[] {
  const end = load.durationMicros === undefined ? null : utcTimestamp(load.startMicros + load.durationMicros);
  return [
    session.user,
    id,
    load.transactionId ?? null,
    session.pid,
    session.database,
    load.status,
    load.table,
    utcTimestamp(load.startMicros),
    end,
    load.durationMicros === undefined ? null : load.durationMicros.toString(),
    load.source,
    load.format,
    load.loadedRows,
    load.loadedBytes,
    load.sourceFileCount,
    load.sourceFileBytes,
    load.filesScanned,
    load.bytesScanned,
    load.errorCount,
  ];
}

async function writeHistory(client: pg.PoolClient, values: unknown[]): Promise<void> {
  const updated = await client.query(UPDATE_HISTORY, values);
  if (!updated.rowCount) await client.query(INSERT_HISTORY, values);
}

const INSERT_ERROR = `INSERT INTO tributary_sys.load_errors VALUES ((SELECT usesysid::int FROM pg_user WHERE usename = $1), 0,
  (SELECT oid::int FROM pg_class WHERE relname = $2 LIMIT 1), $3::timestamp, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`;

/** PostgreSQL's text cannot hold NUL, which is what a load refused for one carries: shown as \x00, as Nginx writes it. */
const storable = (text: string) => text.replaceAll('\0', '\\x00');

function errorValues(session: SessionInfo, id: number, load: LoadHistory, error: LoadError): unknown[] {
  return [
    session.user,
    error.table,
    utcTimestamp(load.startMicros),
    session.pid,
    id,
    load.transactionId ?? null,
    storable(error.file),
    error.line,
    error.column,
    error.type,
    error.colLength,
    error.position,
    storable(error.rawLine),
    storable(error.rawValue),
    error.code,
    storable(error.reason),
  ];
}

export type { SessionInfo } from './session-info.js';

export interface AdminConnection {
  port: number;
  user: string;
  password: string;
}

/**
 * Side connections straight to PostgreSQL: load history and load errors are
 * written here, so they stay even when the client's transaction rolls back.
 */
export class SystemTables {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly ready = new Map<string, Promise<void>>();
  private readonly history = new QueryHistory(
    async (database) => {
      await this.ensure(database);
      return this.pool(database);
    },
    (message, error) => this.log.warn('sandbox.redshift', message, error),
  );
  private queryIds: QueryIds | undefined;

  constructor(
    private readonly admin: AdminConnection,
    private readonly log: Logger,
  ) {}

  /** Query ids, unique across the stand-in; ready once setupAll has run. */
  get ids(): QueryIds {
    if (!this.queryIds) throw new Error('the system tables are not set up yet');
    return this.queryIds;
  }

  /** A Serverless workgroup's base capacity (RPU), which SYS_SERVERLESS_USAGE charges in `database`. */
  async setBaseCapacity(database: string, rpu: number): Promise<void> {
    await this.ensure(database);
    const { text, values } = setBaseCapacitySql(rpu);
    await this.pool(database).query(text, values);
  }

  /** Records a finished statement for SYS_QUERY_HISTORY and STL_QUERY, in the background. */
  recordStatement(statement: FinishedStatement): void {
    this.history.add(statement);
  }

  /** Sets up every database that accepts connections, template1 included. */
  async setupAll(): Promise<void> {
    const client = new pg.Client({ host: '127.0.0.1', ...this.admin, database: 'postgres', connectionTimeoutMillis: 10_000 });
    await client.connect();
    const databases = await client
      .query<{ datname: string }>('SELECT datname FROM pg_database WHERE datallowconn')
      .finally(() => client.end());
    for (const { datname } of databases.rows) await this.ensure(datname);
    this.queryIds = await QueryIds.start(async () => {
      const { rows } = await this.pool('postgres').query<{ id: string }>("SELECT nextval('tributary_sys.query_block') AS id");
      return Number(rows[0]!.id);
    });
  }

  private takeQueryId(session: SessionInfo): number {
    const id = session.queryId ?? this.ids.allocate();
    session.queryId = undefined;
    return id;
  }

  ensure(database: string): Promise<void> {
    let done = this.ready.get(database);
    if (!done) {
      done = this.once(database, setupSql);
      done.catch(() => this.ready.delete(database));
      this.ready.set(database, done);
    }
    return done;
  }

  /**
   * Writes a COPY's row in load_history as running and returns its query id
   * (the id its load errors get too).
   */
  async beginLoad(session: SessionInfo, load: LoadHistory): Promise<number> {
    await this.ensure(session.database);
    const id = this.takeQueryId(session);
    await this.pool(session.database).query(INSERT_HISTORY, historyValues(session, id, load));
    return id;
  }

  /**
   * Ends a COPY's row (written again if beginLoad could not; id 0 takes a new
   * id) and records its load errors under the same query id, in one
   * transaction of this side connection, so both stay when the client's
   * transaction rolls back. Returns the query id.
   */
  async finishLoad(session: SessionInfo, id: number, load: LoadHistory, errors: LoadError[]): Promise<number> {
    await this.ensure(session.database);
    const client = await this.pool(session.database).connect();
    let broken = false;
    try {
      if (!id) id = this.takeQueryId(session);
      const values = historyValues(session, id, load);
      try {
        await client.query('BEGIN');
        await writeHistory(client, values);
        for (const error of errors) await client.query(INSERT_ERROR, errorValues(session, id, load, error));
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        if (broken) throw error;
        // The load's end is the one fact that must not be lost (a row left running reads as a load still
        // going): recorded alone, with the error counted, when its error rows could not be.
        this.log.warn('sandbox.redshift', 'Could not record the errors of a load; recording its end without them', error);
        await writeHistory(client, values);
      }
      return id;
    } finally {
      client.release(broken);
    }
  }

  /** A connection that ends at once: a lingering one to template1 would block CREATE DATABASE. */
  private async once(database: string, sql: string): Promise<void> {
    const client = new pg.Client({
      host: '127.0.0.1',
      ...this.admin,
      database,
      connectionTimeoutMillis: 10_000,
      application_name: SYSTEM_APPLICATION,
      options: NO_PLANS,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.history.flush();
    await Promise.all([...this.pools.values()].map((pool) => pool.end().catch(() => undefined)));
    this.pools.clear();
  }

  private pool(database: string): pg.Pool {
    let pool = this.pools.get(database);
    if (!pool) {
      pool = new pg.Pool({
        host: '127.0.0.1',
        ...this.admin,
        database,
        max: 2,
        idleTimeoutMillis: 5_000,
        connectionTimeoutMillis: 10_000,
        application_name: SYSTEM_APPLICATION,
        options: NO_PLANS,
      });
      pool.on('error', (error) => this.log.warn('sandbox.redshift', `System-table connection to ${database} failed`, error));
      this.pools.set(database, pool);
    }
    return pool;
  }
}
