import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from '../../../shared/node/log.js';
import { sleep } from '../../../shared/node/sleep.js';
import { AwsError } from '../../gateway/aws-error.js';
import { columnMetadata, ResultFile, toField } from './results.js';
import { active, type Statement } from './statements.js';

export const SCOPE = 'sandbox.redshift-data';
/** The Data API's limit on one result. */
const MAX_RESULT_BYTES = 500 * 1024 * 1024;
const CONNECTIONS_PER_DATABASE = 4;

export interface ExecutorOptions {
  /** The Redshift endpoint (the proxy), so Redshift SQL works. */
  proxyPort: number;
  user: string;
  password: string;
  /** Where result files are written. */
  dir: string;
  log: Logger;
}

interface Lease {
  client: pg.PoolClient;
  pid: number;
}

/**
 * Runs the Data API's statements asynchronously on a small pool of connections per database to the
 * Redshift endpoint: rows stream to a result file, a batch runs in one transaction, and a cancel
 * reaches the statement's backend.
 */
export class Executor {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly typeNames = new Map<number, string>();
  private readonly pids = new WeakMap<pg.PoolClient, number>();
  /** Aborted by close(), so no cancel retry outlives the executor. */
  private readonly closing = new AbortController();

  constructor(private readonly options: ExecutorOptions) {}

  async execute(statement: Statement, values?: string[]): Promise<void> {
    let lease: Lease | undefined;
    try {
      lease = await this.acquire(statement.database, statement.runAs);
      if (statement.cancelled) return finish(statement);
      statement.status = 'PICKED';
      await this.runOn(lease, statement, values);
      finish(statement);
    } catch (error) {
      finish(statement, error);
    } finally {
      // A connection that was sent a cancel might still receive it: it is not reused.
      lease?.client.release(statement.cancelled || undefined);
    }
  }

  async executeBatch(batch: Statement): Promise<void> {
    const parts = batch.subStatements!;
    let lease: Lease | undefined;
    let discard = false;
    batch.startedNs = process.hrtime.bigint();
    try {
      lease = await this.acquire(batch.database, batch.runAs);
      if (batch.cancelled) {
        for (const part of parts) finish(Object.assign(part, { cancelled: true }));
        return finish(batch);
      }
      batch.status = 'STARTED';
      batch.pid = lease.pid;
      await lease.client.query('BEGIN');
      for (const part of parts) {
        if (batch.cancelled) part.cancelled = true;
        if (part.cancelled) {
          finish(part);
          continue;
        }
        try {
          await this.runOn(lease, part);
          finish(part);
        } catch (error) {
          part.cancelled = batch.cancelled;
          finish(part, error);
          throw error;
        }
      }
      await lease.client.query('COMMIT');
      finish(batch);
    } catch (error) {
      const rolledBack = await lease?.client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      discard = rolledBack === false;
      for (const part of parts) if (part.status === 'SUBMITTED') finish(Object.assign(part, { cancelled: true }));
      finish(batch, error);
    } finally {
      lease?.client.release(discard || batch.cancelled || undefined);
    }
  }

  /**
   * A cancel that reaches the backend just before its query starts is lost,
   * so it is repeated until the statement has ended (for about two seconds) or the executor closes.
   */
  async keepCancelling(statement: Statement): Promise<void> {
    const { signal } = this.closing;
    for (let attempt = 0; attempt < 10 && active(statement) && !signal.aborted; attempt++) {
      if (statement.status === 'STARTED' && statement.pid)
        await this.cancelBackend(statement.database, statement.pid).catch((error: unknown) =>
          this.options.log.warn(SCOPE, 'Cancel failed', error),
        );
      await sleep(200, signal);
    }
  }

  /** A catalog query (ListTables, DescribeTable, …), answered at once as AWS does. */
  async catalog<T>(database: string, sql: string, params: unknown[]): Promise<T[]> {
    try {
      return (await this.pool(database).query(sql, params)).rows as T[];
    } catch (error) {
      throw new AwsError('ValidationException', errorText(error));
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
    await Promise.all([...this.pools.values()].map((found) => found.end().catch(() => undefined)));
    this.pools.clear();
  }

  /** One pool per database and user: a user's connections are the admin's, switched to that user as they open. */
  private pool(database: string, user?: string): pg.Pool {
    const key = user ? `${database}\u0000${user}` : database;
    let found = this.pools.get(key);
    if (!found) {
      const { proxyPort, user, password, log } = this.options;
      found = new pg.Pool({
        host: '127.0.0.1',
        port: proxyPort,
        user,
        password,
        database,
        max: CONNECTIONS_PER_DATABASE,
        idleTimeoutMillis: 30_000,
      });
      found.on('error', (error) => log.warn(SCOPE, `A pooled connection to ${database} failed`, error));
      this.pools.set(key, found);
    }
    return found;
  }

  private async acquire(database: string, user?: string): Promise<Lease> {
    if (user) await this.ensureUser(database, user);
    const client = await this.pool(database, user).connect();
    let pid = this.pids.get(client);
    if (pid === undefined) {
      // A new connection: it becomes the user before its first statement, so nothing of theirs runs as the admin.
      if (user)
        await client.query(`SET SESSION AUTHORIZATION ${pg.escapeIdentifier(user)}`).catch((error: unknown) => {
          client.release(true);
          throw error;
        });
      pid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
      this.pids.set(client, pid);
    }
    if (this.typeNames.size === 0) {
      for (const row of (await client.query<{ oid: number; typname: string }>('SELECT oid::int AS oid, typname FROM pg_type')).rows)
        this.typeNames.set(row.oid, row.typname);
    }
    return { client, pid };
  }

  /** A caller's database user exists from its first statement on, as AWS creates it. */
  private async ensureUser(database: string, user: string): Promise<void> {
    const admin = this.pool(database);
    const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
    if (!found.rowCount) await admin.query(`CREATE ROLE ${pg.escapeIdentifier(user)}`).catch(() => undefined);
  }

  /** Runs one statement on the leased connection, its rows streamed to a result file. */
  private runOn({ client, pid }: Lease, statement: Statement, values?: string[]): Promise<void> {
    statement.status = 'STARTED';
    statement.pid = pid;
    statement.queryId = pid;
    statement.startedNs = process.hrtime.bigint();
    statement.updatedAt = Date.now();
    return new Promise((resolve, reject) => {
      let file: ResultFile | undefined;
      let fields: pg.FieldDef[] = [];
      let failure: Error | undefined;
      const query = new pg.Query({
        text: statement.boundSql ?? statement.sql,
        ...(values ? { values } : {}),
        rowMode: 'array',
        types: { getTypeParser: () => (value: string) => value },
      } as pg.QueryConfig);
      query.on('row', (row: (string | null)[], result?: pg.ResultBuilder) => {
        if (!file) {
          fields = result?.fields ?? [];
          file = new ResultFile(join(this.options.dir, `${statement.id.replace(/:/g, '_')}.ndjson`));
          statement.file = file.path;
        }
        if (failure) return;
        try {
          file.add(row.map((value, index) => toField(value, fields[index]?.dataTypeID ?? 25)));
          if (file.bytes > MAX_RESULT_BYTES) failure = new Error('The query result exceeds the Data API limit of 500 MB.');
        } catch (error) {
          failure = new Error(`Could not keep the result: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (failure) void this.cancelBackend(statement.database, pid).catch(() => undefined);
      });
      query.on('error', (error: Error) => {
        file?.close();
        reject(failure ?? error);
      });
      query.on('end', (result: pg.QueryResult) => {
        file?.close();
        const described = result.fields?.length ? result.fields : fields;
        statement.hasResultSet = described.length > 0;
        if (statement.hasResultSet) statement.columns = described.map((field) => columnMetadata(field, this.typeNames));
        statement.resultRows = statement.hasResultSet ? (file?.rows ?? 0) : (result.rowCount ?? 0);
        statement.resultSize = file?.bytes ?? 0;
        resolve();
      });
      client.query(query as unknown as pg.QueryConfig);
    });
  }

  private async cancelBackend(database: string, pid: number): Promise<void> {
    const { proxyPort, user, password } = this.options;
    const client = new pg.Client({ host: '127.0.0.1', port: proxyPort, user, password, database, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function finish(statement: Statement, error?: unknown): void {
  statement.durationNs = statement.startedNs ? Number(process.hrtime.bigint() - statement.startedNs) : 0;
  statement.updatedAt = Date.now();
  if (statement.cancelled) statement.status = 'ABORTED';
  else if (error) {
    statement.status = 'FAILED';
    statement.error = errorText(error);
  } else statement.status = 'FINISHED';
}

/** An error as the Data API words it (PostgreSQL's message after ERROR:). */
export function errorText(error: unknown): string {
  if (error instanceof Error) return `ERROR: ${error.message}`;
  return String(error);
}
