import { z } from 'zod';
import { AwsError } from '../../gateway/aws-error.js';
import { render, tokenize } from '../lexer.js';
import type { Executor } from './executor.js';
import { readPage } from './results.js';
import { active, seconds, summary, targetOf, type StatementStore } from './statements.js';

const PAGE_ROWS = 1000;
const PAGE_BYTES = 16 * 1024 * 1024;

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
/** Each operation's input, validated as AWS does before it is handled. */
export const schemas = {
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

export type Schemas = typeof schemas;
/** `runAs` is the database user a statement runs as when not the warehouse's admin (a workgroup's IAM caller). */
export type Operations = { [Op in keyof Schemas]: (input: z.infer<Schemas[Op]>, runAs?: string) => Promise<unknown> };

/** The Data API's operations over the statement store and the executor; the gateway hands over validated input. */
export function dataApiOperations(store: StatementStore, executor: Executor): Operations {
  return {
    async ExecuteStatement(input, runAs) {
      store.admit(input);
      const { sql, values } = bindParameters(input.Sql, input.Parameters);
      const statement = store.create(input.Sql, input);
      if (runAs) statement.runAs = runAs;
      statement.boundSql = sql;
      if (input.Parameters) statement.parameters = input.Parameters;
      store.add(statement);
      void executor.execute(statement, values);
      return { Id: statement.id, CreatedAt: seconds(statement.createdAt), Database: statement.database, ...targetOf(statement) };
    },
    async BatchExecuteStatement(input, runAs) {
      store.admit(input);
      const batch = store.create(input.Sqls.join('; '), input);
      if (runAs) batch.runAs = runAs;
      batch.subStatements = input.Sqls.map((sql, index) => store.create(sql, input, `${batch.id}:${index + 1}`));
      store.add(batch);
      void executor.executeBatch(batch);
      return { Id: batch.id, CreatedAt: seconds(batch.createdAt), Database: batch.database, ...targetOf(batch) };
    },
    async DescribeStatement(input) {
      const statement = store.find(input.Id);
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
      const statement = store.find(input.Id);
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
      const statement = store.find(input.Id);
      if (!active(statement))
        throw new AwsError('ValidationException', `Could not cancel a query that is already in ${statement.status} state.`);
      statement.cancelled = true;
      for (const part of statement.subStatements ?? []) if (part.status === 'SUBMITTED') part.cancelled = true;
      void executor.keepCancelling(statement);
      return { Status: true };
    },
    async ListDatabases(input) {
      const rows = await executor.catalog<{ name: string }>(
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
      const rows = await executor.catalog<{ name: string }>(
        database,
        'SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1',
        [input.SchemaPattern ?? '%'],
      );
      return paged(
        'Schemas',
        rows.map((row) => row.name),
        input,
        'ListSchemas',
      );
    },
    async ListTables(input) {
      const database = input.ConnectedDatabase ?? input.Database;
      const rows = await executor.catalog<{ name: string; schema: string; type: string }>(
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
      const rows = await executor.catalog<{
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
