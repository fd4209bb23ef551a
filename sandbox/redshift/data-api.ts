import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import type { Logger } from '../../shared/node/log.js';
import { columnMetadata, readPage, ResultFile, toField, type ColumnMetadata } from './data-api-results.js';
import { render, tokenize } from './lexer.js';
import { AwsError } from '../gateway/aws-error.js';

const SCOPE = 'sandbox.redshift-data';
/** AWS keeps statements and their results for 24 hours. */
const RETENTION_MS = 24 * 60 * 60 * 1000;
const MAX_ACTIVE = 500;
const PAGE_ROWS = 1000;
const PAGE_BYTES = 16 * 1024 * 1024;
/** The Data API's limit on one result. */
const MAX_RESULT_BYTES = 500 * 1024 * 1024;
const CONNECTIONS_PER_DATABASE = 4;

/** An AWS error shape: the gateway sends `{ __type: name, message }` with `status`. */

export interface DataApiOptions {
  /** The Redshift endpoint (the proxy), so Redshift SQL works. */
  proxyPort: number;
  user: string;
  password: string;
  /** Default database for statements that name none. */
  database: string;
  log: Logger;
  /** Where results wait for GetStatementResult; a temporary directory by default. */
  resultsDir?: string;
}

export interface DataApi {
  handle(operation: string, input: unknown): Promise<unknown>;
  close(): Promise<void>;
}

type Status = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

interface Statement {
  id: string;
  /** As the caller wrote it (QueryString). */
  sql: string;
  /** With :name parameters turned into $n, as it runs. */
  boundSql?: string;
  status: Status;
  database: string;
  dbUser?: string;
  secretArn?: string;
  clusterIdentifier?: string;
  workgroupName?: string;
  statementName?: string;
  parameters?: { name: string; value: string }[];
  createdAt: number;
  updatedAt: number;
  startedNs?: bigint;
  durationNs: number;
  error?: string;
  pid: number;
  queryId: number;
  resultRows: number;
  resultSize: number;
  hasResultSet: boolean;
  columns?: ColumnMetadata[];
  file?: string;
  cancelled: boolean;
  subStatements?: Statement[];
}

const text = z.string().min(1);
const target = {
  ClusterIdentifier: z.string().optional(),
  WorkgroupName: z.string().optional(),
  Database: text,
  DbUser: z.string().optional(),
  SecretArn: z.string().optional(),
  StatementName: z.string().max(500).optional(),
  WithEvent: z.boolean().optional(),
  ClientToken: z.string().optional(),
  SessionKeepAliveSeconds: z.number().optional(),
  SessionId: z.string().optional(),
  ResultFormat: z.enum(['JSON', 'CSV']).optional(),
};
const schemas = {
  ExecuteStatement: z.object({
    ...target,
    Sql: z.string().min(1).max(100_000),
    Parameters: z
      .array(z.object({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), value: z.string() }))
      .min(1)
      .optional(),
  }),
  BatchExecuteStatement: z.object({ ...target, Sqls: z.array(z.string().min(1).max(100_000)).min(1).max(40) }),
  DescribeStatement: z.object({ Id: text }),
  GetStatementResult: z.object({ Id: text, NextToken: z.string().optional() }),
  CancelStatement: z.object({ Id: text }),
  ListDatabases: z.object({ ...target, MaxResults: z.number().int().min(0).max(1000).optional(), NextToken: z.string().optional() }),
  ListSchemas: z.object({
    ...target,
    ConnectedDatabase: z.string().optional(),
    SchemaPattern: z.string().optional(),
    MaxResults: z.number().int().min(0).max(1000).optional(),
    NextToken: z.string().optional(),
  }),
  ListTables: z.object({
    ...target,
    ConnectedDatabase: z.string().optional(),
    SchemaPattern: z.string().optional(),
    TablePattern: z.string().optional(),
    MaxResults: z.number().int().min(0).max(1000).optional(),
    NextToken: z.string().optional(),
  }),
  DescribeTable: z.object({
    ...target,
    ConnectedDatabase: z.string().optional(),
    Schema: z.string().optional(),
    Table: z.string().optional(),
    MaxResults: z.number().int().min(0).max(1000).optional(),
    NextToken: z.string().optional(),
  }),
};

type Schemas = typeof schemas;

/**
 * The Redshift Data API over the sandbox: statements run asynchronously on a
 * small pool of connections to the Redshift endpoint, results wait on disk
 * for GetStatementResult and expire after 24 hours as on AWS. No HTTP here:
 * the gateway calls `handle` with the operation name and the JSON body.
 */
export function createDataApi(options: DataApiOptions): DataApi {
  const { log } = options;
  log.addSecret(options.password);
  const dir = options.resultsDir ?? mkdtempSync(join(tmpdir(), 'tributary-data-api-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ownsDir = !options.resultsDir;
  const statements = new Map<string, Statement>();
  const pools = new Map<string, pg.Pool>();
  const typeNames = new Map<number, string>();
  const pids = new WeakMap<pg.PoolClient, number>();

  const pool = (database: string) => {
    let found = pools.get(database);
    if (!found) {
      found = new pg.Pool({
        host: '127.0.0.1',
        port: options.proxyPort,
        user: options.user,
        password: options.password,
        database,
        max: CONNECTIONS_PER_DATABASE,
        idleTimeoutMillis: 30_000,
      });
      found.on('error', (error) => log.warn(SCOPE, `A pooled connection to ${database} failed`, error));
      pools.set(database, found);
    }
    return found;
  };

  const sweep = setInterval(() => expire(Date.now()), 10 * 60 * 1000);
  sweep.unref();

  function expire(now: number): void {
    for (const [id, statement] of statements) {
      if (now - statement.createdAt < RETENTION_MS || active(statement)) continue;
      for (const part of [statement, ...(statement.subStatements ?? [])]) if (part.file) rmSync(part.file, { force: true });
      statements.delete(id);
    }
  }

  function newStatement(
    sql: string,
    input: z.infer<Schemas['ExecuteStatement']> | z.infer<Schemas['BatchExecuteStatement']>,
    id: string = randomUUID(),
  ): Statement {
    const now = Date.now();
    const statement: Statement = {
      id,
      sql,
      status: 'SUBMITTED',
      database: input.Database,
      createdAt: now,
      updatedAt: now,
      durationNs: -1,
      pid: 0,
      queryId: 0,
      resultRows: -1,
      resultSize: -1,
      hasResultSet: false,
      cancelled: false,
    };
    if (input.DbUser) statement.dbUser = input.DbUser;
    if (input.SecretArn) statement.secretArn = input.SecretArn;
    if (input.ClusterIdentifier) statement.clusterIdentifier = input.ClusterIdentifier;
    if (input.WorkgroupName) statement.workgroupName = input.WorkgroupName;
    if (input.StatementName) statement.statementName = input.StatementName;
    return statement;
  }

  function admit(input: { ClusterIdentifier?: string | undefined; WorkgroupName?: string | undefined }): void {
    if (!input.ClusterIdentifier && !input.WorkgroupName)
      throw new AwsError('ValidationException', 'Either ClusterIdentifier or WorkgroupName must be specified.');
    let running = 0;
    for (const statement of statements.values()) if (active(statement)) running++;
    if (running >= MAX_ACTIVE)
      throw new AwsError('ActiveStatementsExceededException', `The number of active statements exceeds the limit of ${MAX_ACTIVE}.`);
  }

  async function acquire(database: string): Promise<{ client: pg.PoolClient; pid: number }> {
    const client = await pool(database).connect();
    let pid = pids.get(client);
    if (pid === undefined) {
      pid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
      pids.set(client, pid);
    }
    if (typeNames.size === 0) {
      for (const row of (await client.query<{ oid: number; typname: string }>('SELECT oid::int AS oid, typname FROM pg_type')).rows)
        typeNames.set(row.oid, row.typname);
    }
    return { client, pid };
  }

  /** Runs one statement on `client`, its rows streamed to a result file. */
  function runOn(client: pg.PoolClient, pid: number, statement: Statement, values?: string[]): Promise<void> {
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
          file = new ResultFile(join(dir, `${statement.id.replace(/:/g, '_')}.ndjson`));
          statement.file = file.path;
        }
        if (failure) return;
        try {
          file.add(row.map((value, index) => toField(value, fields[index]?.dataTypeID ?? 25)));
          if (file.bytes > MAX_RESULT_BYTES) failure = new Error('The query result exceeds the Data API limit of 500 MB.');
        } catch (error) {
          failure = new Error(`Could not keep the result: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (failure) void cancelBackend(statement.database, pid).catch(() => undefined);
      });
      query.on('error', (error: Error) => {
        file?.close();
        reject(failure ?? error);
      });
      query.on('end', (result: pg.QueryResult) => {
        file?.close();
        const described = result.fields?.length ? result.fields : fields;
        statement.hasResultSet = described.length > 0;
        if (statement.hasResultSet) statement.columns = described.map((field) => columnMetadata(field, typeNames));
        statement.resultRows = statement.hasResultSet ? (file?.rows ?? 0) : (result.rowCount ?? 0);
        statement.resultSize = file?.bytes ?? 0;
        resolve();
      });
      client.query(query as unknown as pg.QueryConfig);
    });
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

  async function execute(statement: Statement, values?: string[]): Promise<void> {
    let lease: { client: pg.PoolClient; pid: number } | undefined;
    try {
      lease = await acquire(statement.database);
      if (statement.cancelled) return finish(statement);
      statement.status = 'PICKED';
      await runOn(lease.client, lease.pid, statement, values);
      finish(statement);
    } catch (error) {
      finish(statement, error);
    } finally {
      // A connection that was sent a cancel might still receive it: it is not reused.
      lease?.client.release(statement.cancelled || undefined);
    }
  }

  async function executeBatch(batch: Statement): Promise<void> {
    const parts = batch.subStatements!;
    let lease: { client: pg.PoolClient; pid: number } | undefined;
    let discard = false;
    batch.startedNs = process.hrtime.bigint();
    try {
      lease = await acquire(batch.database);
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
          await runOn(lease.client, lease.pid, part);
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

  async function cancelBackend(database: string, pid: number): Promise<void> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: options.proxyPort,
      user: options.user,
      password: options.password,
      database,
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * A cancel that reaches the backend just before its query starts is lost,
   * so it is repeated until the statement has ended (for about two seconds).
   */
  async function keepCancelling(statement: Statement): Promise<void> {
    for (let attempt = 0; attempt < 10 && active(statement); attempt++) {
      if (statement.status === 'STARTED' && statement.pid)
        await cancelBackend(statement.database, statement.pid).catch((error: unknown) => log.warn(SCOPE, 'Cancel failed', error));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  function find(id: string): Statement {
    const [parentId, index] = id.split(':');
    const parent = statements.get(parentId!);
    const found = index === undefined ? parent : parent?.subStatements?.[Number(index) - 1];
    if (!found) throw new AwsError('ResourceNotFoundException', `Query ${id} does not exist.`);
    return found;
  }

  async function catalog<T>(database: string, sql: string, params: unknown[]): Promise<T[]> {
    try {
      return (await pool(database).query(sql, params)).rows as T[];
    } catch (error) {
      throw new AwsError('ValidationException', errorText(error));
    }
  }

  const handlers: { [Op in keyof Schemas]: (input: z.infer<Schemas[Op]>) => Promise<unknown> } = {
    async ExecuteStatement(input) {
      admit(input);
      const { sql, values } = bindParameters(input.Sql, input.Parameters);
      const statement = newStatement(input.Sql, input);
      statement.boundSql = sql;
      if (input.Parameters) statement.parameters = input.Parameters;
      statements.set(statement.id, statement);
      void execute(statement, values);
      return { Id: statement.id, CreatedAt: seconds(statement.createdAt), Database: statement.database, ...targetOf(statement) };
    },
    async BatchExecuteStatement(input) {
      admit(input);
      const batch = newStatement(input.Sqls.join('; '), input);
      batch.subStatements = input.Sqls.map((sql, index) => newStatement(sql, input, `${batch.id}:${index + 1}`));
      statements.set(batch.id, batch);
      void executeBatch(batch);
      return { Id: batch.id, CreatedAt: seconds(batch.createdAt), Database: batch.database, ...targetOf(batch) };
    },
    async DescribeStatement(input) {
      const statement = find(input.Id);
      const result: Record<string, unknown> = {
        ...summary(statement),
        Database: statement.database,
        RedshiftPid: statement.pid,
        ...targetOf(statement),
      };
      if (statement.parameters) result.QueryParameters = statement.parameters;
      if (statement.subStatements) {
        result.IsBatchStatement = true;
        result.SubStatements = statement.subStatements.map(summary);
      } else result.IsBatchStatement = false;
      return result;
    },
    async GetStatementResult(input) {
      const statement = find(input.Id);
      if (statement.status !== 'FINISHED' || !statement.hasResultSet || !statement.file) {
        throw new AwsError('ResourceNotFoundException', 'Query does not have result. Please check query status with DescribeStatement.');
      }
      const offset = input.NextToken ? decodeToken(input.NextToken, statement.id) : 0;
      const page = await readPage(statement.file, offset, PAGE_ROWS, PAGE_BYTES);
      const result: Record<string, unknown> = {
        Records: page.records,
        ColumnMetadata: statement.columns,
        TotalNumRows: statement.resultRows,
      };
      if (page.next !== undefined) result.NextToken = encodeToken(statement.id, page.next);
      return result;
    },
    async CancelStatement(input) {
      const statement = find(input.Id);
      if (!active(statement))
        throw new AwsError('ValidationException', `Could not cancel a query that is already in ${statement.status} state.`);
      statement.cancelled = true;
      for (const part of statement.subStatements ?? []) if (part.status === 'SUBMITTED') part.cancelled = true;
      void keepCancelling(statement);
      return { Status: true };
    },
    async ListDatabases(input) {
      const rows = await catalog<{ name: string }>(
        input.Database,
        'SELECT datname AS name FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY 1',
        [],
      );
      return paged(
        'Databases',
        rows.map((row) => row.name),
        input,
        'ListDatabases',
      );
    },
    async ListSchemas(input) {
      const database = input.ConnectedDatabase ?? input.Database;
      const rows = await catalog<{ name: string }>(database, 'SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1', [
        input.SchemaPattern ?? '%',
      ]);
      return paged(
        'Schemas',
        rows.map((row) => row.name),
        input,
        'ListSchemas',
      );
    },
    async ListTables(input) {
      const database = input.ConnectedDatabase ?? input.Database;
      const rows = await catalog<{ name: string; schema: string; type: string }>(
        database,
        `SELECT c.relname AS name, n.nspname AS schema,
           CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'EXTERNAL TABLE' ELSE 'TABLE' END AS type
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname LIKE $1 AND c.relname LIKE $2 ORDER BY 2, 1`,
        [input.SchemaPattern ?? '%', input.TablePattern ?? '%'],
      );
      return paged('Tables', rows, input, 'ListTables');
    },
    async DescribeTable(input) {
      const database = input.ConnectedDatabase ?? input.Database;
      const rows = await catalog<{
        name: string;
        type: string;
        length: number;
        precision: number;
        scale: number;
        nullable: boolean;
        schema: string;
        table: string;
        def: string | null;
      }>(
        database,
        `SELECT a.attname AS name, t.typname AS type,
           CASE WHEN a.atttypmod > 4 AND t.typcategory = 'S' THEN a.atttypmod - 4 ELSE 0 END AS length,
           CASE WHEN t.typname = 'numeric' AND a.atttypmod > 4 THEN (a.atttypmod - 4) >> 16 WHEN a.atttypmod > 4 THEN a.atttypmod - 4 ELSE greatest(t.typlen, 0) END AS precision,
           CASE WHEN t.typname = 'numeric' AND a.atttypmod > 4 THEN (a.atttypmod - 4) & 65535 ELSE 0 END AS scale,
           NOT a.attnotnull AS nullable, n.nspname AS schema, c.relname AS table, pg_get_expr(d.adbin, d.adrelid) AS def
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname LIKE $1 AND c.relname LIKE $2
         ORDER BY n.nspname, c.relname, a.attnum`,
        [input.Schema ?? 'public', input.Table ?? '%'],
      );
      const columns = rows.map((row) => ({
        name: row.name,
        label: row.name,
        typeName: row.type,
        length: row.length,
        precision: row.precision,
        scale: row.scale,
        nullable: row.nullable ? 1 : 0,
        isCaseSensitive: ['varchar', 'bpchar', 'text', 'name'].includes(row.type),
        isCurrency: false,
        isSigned: ['int2', 'int4', 'int8', 'float4', 'float8', 'numeric'].includes(row.type),
        schemaName: row.schema,
        tableName: row.table,
        ...(row.def ? { columnDefault: row.def } : {}),
      }));
      const page = paged('ColumnList', columns, input, 'DescribeTable') as Record<string, unknown>;
      if (input.Table) page.TableName = input.Table;
      return page;
    },
  };

  return {
    async handle(operation, input) {
      if (!(operation in handlers))
        throw new AwsError('ValidationException', `Operation ${operation} is not supported by the sandbox's Redshift Data API.`);
      const op = operation as keyof Schemas;
      const parsed = schemas[op].safeParse(input ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new AwsError(
          'ValidationException',
          `1 validation error detected: Value at '${issue.path.join('.')}' failed to satisfy constraint: ${issue.message}`,
        );
      }
      try {
        return await (handlers[op] as (value: unknown) => Promise<unknown>)(parsed.data);
      } catch (error) {
        if (error instanceof AwsError) throw error;
        log.error(SCOPE, `${operation} failed`, error);
        throw new AwsError('InternalServerException', errorText(error), 500);
      }
    },
    async close() {
      clearInterval(sweep);
      for (const statement of statements.values()) statement.cancelled = true;
      await Promise.all([...pools.values()].map((found) => found.end().catch(() => undefined)));
      pools.clear();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function active(statement: Statement): boolean {
  return statement.status === 'SUBMITTED' || statement.status === 'PICKED' || statement.status === 'STARTED';
}

/** Epoch seconds: the JS SDK reads awsJson timestamps as numbers and rejects ISO strings. */
function seconds(ms: number): number {
  return ms / 1000;
}

function targetOf(statement: Statement): Record<string, string> {
  const out: Record<string, string> = {};
  if (statement.clusterIdentifier) out.ClusterIdentifier = statement.clusterIdentifier;
  if (statement.workgroupName) out.WorkgroupName = statement.workgroupName;
  if (statement.dbUser) out.DbUser = statement.dbUser;
  if (statement.secretArn) out.SecretArn = statement.secretArn;
  return out;
}

function summary(statement: Statement): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: statement.id,
    Status: statement.status,
    Duration: statement.durationNs,
    ResultRows: statement.resultRows,
    ResultSize: statement.resultSize,
    HasResultSet: statement.hasResultSet,
    QueryString: statement.sql,
    CreatedAt: seconds(statement.createdAt),
    UpdatedAt: seconds(statement.updatedAt),
    RedshiftQueryId: statement.queryId,
  };
  if (statement.error) out.Error = statement.error;
  if (statement.statementName) out.StatementName = statement.statementName;
  return out;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `ERROR: ${error.message}`;
  return String(error);
}

/** `:name` placeholders (outside strings, comments and `::` casts) become `$n`; every one must have a value. */
export function bindParameters(sql: string, parameters: { name: string; value: string }[] | undefined): { sql: string; values?: string[] } {
  if (!parameters) return { sql };
  const tokens = tokenize(sql);
  const order: string[] = [];
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i]!;
    const next = tokens[i + 1]!;
    if (token.kind !== 'op' || !token.text.endsWith(':') || token.text.endsWith('::') || next.kind !== 'word') continue;
    const name = next.text;
    if (!parameters.some((parameter) => parameter.name === name))
      throw new AwsError('ValidationException', `No value specified for parameter :${name}.`);
    if (!order.includes(name)) order.push(name);
    token.text = `${token.text.slice(0, -1)}$${order.indexOf(name) + 1}`;
    next.text = '';
  }
  for (const parameter of parameters) {
    if (!order.includes(parameter.name)) throw new AwsError('ValidationException', `Parameter ${parameter.name} is not used in the SQL.`);
  }
  return { sql: render(tokens), values: order.map((name) => parameters.find((parameter) => parameter.name === name)!.value) };
}

function encodeToken(id: string, offset: number): string {
  return Buffer.from(JSON.stringify({ id, offset })).toString('base64url');
}

function decodeToken(token: string, id: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { id?: unknown; offset?: unknown };
    if (parsed.id === id && typeof parsed.offset === 'number') return parsed.offset;
  } catch {
    // Falls through to the error below.
  }
  throw new AwsError('ValidationException', 'The NextToken is not valid for this statement.');
}

function paged<T>(
  key: string,
  items: T[],
  input: { MaxResults?: number | undefined; NextToken?: string | undefined },
  scope: string,
): Record<string, unknown> {
  const start = input.NextToken ? decodeToken(input.NextToken, scope) : 0;
  const size = input.MaxResults || 1000;
  const out: Record<string, unknown> = { [key]: items.slice(start, start + size) };
  if (start + size < items.length) out.NextToken = encodeToken(scope, start + size);
  return out;
}
