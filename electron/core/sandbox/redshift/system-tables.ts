import pg from 'pg';
import type { Logger } from '../../log.js';

/**
 * The proxy's own schema in every database: load errors behind Redshift's
 * `stl_load_errors` and `sys_load_error_detail`, and the Redshift functions
 * PostgreSQL lacks. The views and functions sit in pg_catalog, which every
 * search_path includes, so the bare names work for any user and database.
 * template1 gets them too, so databases created later have them from birth.
 */
const setupSql = `
CREATE SCHEMA IF NOT EXISTS tributary_sys;
CREATE SEQUENCE IF NOT EXISTS tributary_sys.query_id START 100000;
CREATE TABLE IF NOT EXISTS tributary_sys.load_errors (
  userid integer, slice integer, tbl integer, starttime timestamp, session integer, query integer,
  transaction_id bigint, filename text, line_number bigint, colname text, type text, col_length text,
  position integer, raw_line text, raw_field_value text, err_code integer, err_reason text
);
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
`;

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

export interface SessionInfo {
  user: string;
  database: string;
  pid: number;
}

export interface AdminConnection {
  port: number;
  user: string;
  password: string;
}

/**
 * Side connections straight to PostgreSQL: load errors are written here, so
 * they stay even when the client's transaction rolls back.
 */
export class SystemTables {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly ready = new Map<string, Promise<void>>();

  constructor(
    private readonly admin: AdminConnection,
    private readonly log: Logger,
  ) {}

  /** Sets up every database that accepts connections, template1 included. */
  async setupAll(): Promise<void> {
    const client = new pg.Client({ host: '127.0.0.1', ...this.admin, database: 'postgres', connectionTimeoutMillis: 10_000 });
    await client.connect();
    const databases = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datallowconn').finally(() => client.end());
    for (const { datname } of databases.rows) await this.ensure(datname);
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

  /** Records the errors of one COPY under one query id, which it returns. */
  async record(session: SessionInfo, errors: LoadError[]): Promise<number> {
    await this.ensure(session.database);
    const pool = this.pool(session.database);
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ id: string; userid: number | null }>(
        "SELECT nextval('tributary_sys.query_id') AS id, (SELECT usesysid::int FROM pg_user WHERE usename = $1) AS userid",
        [session.user],
      );
      const id = Number(rows[0]!.id);
      for (const error of errors) {
        await client.query(
          `INSERT INTO tributary_sys.load_errors VALUES ($1, 0, (SELECT oid::int FROM pg_class WHERE relname = $2 LIMIT 1), now(), $3, $4, txid_current(),
             $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
          [rows[0]!.userid, error.table, session.pid, id, error.file, error.line, error.column, error.type, error.colLength, error.position, error.rawLine, error.rawValue, error.code, error.reason],
        );
      }
      return id;
    } finally {
      client.release();
    }
  }

  /** A connection that ends at once: a lingering one to template1 would block CREATE DATABASE. */
  private async once(database: string, sql: string): Promise<void> {
    const client = new pg.Client({ host: '127.0.0.1', ...this.admin, database, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.end().catch(() => undefined)));
    this.pools.clear();
  }

  private pool(database: string): pg.Pool {
    let pool = this.pools.get(database);
    if (!pool) {
      pool = new pg.Pool({ host: '127.0.0.1', ...this.admin, database, max: 2, idleTimeoutMillis: 5_000, connectionTimeoutMillis: 10_000 });
      pool.on('error', (error) => this.log.warn('sandbox.redshift', `System-table connection to ${database} failed`, error));
      this.pools.set(database, pool);
    }
    return pool;
  }
}
