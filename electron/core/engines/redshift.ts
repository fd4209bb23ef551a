import { DescribeClustersCommand, GetClusterCredentialsCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { GetCredentialsCommand, GetWorkgroupCommand, RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import pg from 'pg';
import { z } from 'zod';
import type { Cell, ColumnMeta, EngineField, SchemaTree } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { AwsScope } from '../aws/clients.js';
import { defineEngine, NO_CAPABILITIES, type EnginePorts } from './descriptor.js';
import type { Engine, StatementOutcome, StatementSink } from './engine.js';
import { StatementError } from './engine.js';
import { pgColumnType } from './pg-types.js';

export interface PgEndpoint {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** Redshift requires TLS; through a tunnel the certificate is still checked against the cluster's own name. */
  tls?: { servername: string };
}

/** Every value stays the server's text: no int8, numeric or timestamp passes through a JS number or Date. */
const asText = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

const BATCH_ROWS = 2000;

/**
 * A simple query whose rows go straight to `onRow` as pg's protocol parser
 * made them: with every type parser the identity, pg's own per-row step
 * (a second array, a parser call per cell, a 'row' event) adds nothing but time.
 */
class RowStream extends pg.Query {
  constructor(
    text: string,
    private readonly onFields: (fields: pg.FieldDef[]) => void,
    private readonly onRow: (row: Cell[]) => void,
  ) {
    super({ text, rowMode: 'array', types: asText } as pg.QueryArrayConfig);
  }

  /** pg's hook for RowDescription (not in its typings). */
  handleRowDescription(message: { fields: pg.FieldDef[] }): void {
    (pg.Query.prototype as unknown as { handleRowDescription(message: unknown): void }).handleRowDescription.call(this, message);
    this.onFields(message.fields);
  }

  /** pg's hook for DataRow (not in its typings): each field is the server's text, or null. */
  handleDataRow(message: { fields: Cell[] }): void {
    this.onRow(message.fields);
  }
}
/** Batches handed over but not yet taken before the socket stops reading (TCP then slows the server). */
const MAX_PENDING = 2;
const CANCELLED_BY_USER = '57014';

/**
 * Redshift over the PostgreSQL wire protocol. One statement streams as one
 * simple query: rows arrive without a round trip per batch (a cursor's fetches
 * stall ~40 ms each through an SSH tunnel), and backpressure is the socket
 * itself, paused while the result store is behind.
 */
export class RedshiftEngine implements Engine {
  readonly dialect = 'redshift' as const;
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private noticeTo: StatementSink | undefined;

  /** `endpoint` is asked again on every (re)connection: a tunnel port or IAM password may have changed. */
  constructor(private readonly endpoint: (signal: AbortSignal) => Promise<PgEndpoint>) {}

  private config(endpoint: PgEndpoint): pg.ClientConfig {
    return {
      host: endpoint.host,
      port: endpoint.port,
      database: endpoint.database,
      user: endpoint.user,
      password: endpoint.password,
      ssl: endpoint.tls ? { servername: endpoint.tls.servername, rejectUnauthorized: true } : false,
      connectionTimeoutMillis: 20_000,
      keepAlive: true,
      application_name: 'tributary',
    };
  }

  private async connection(signal: AbortSignal): Promise<pg.Client> {
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      const endpoint = await this.endpoint(signal);
      const client = new pg.Client(this.config(endpoint));
      // A dropped connection fails the statement in flight (pg rejects it); the next run connects afresh.
      client.on('error', () => this.forget(client));
      client.on('end', () => this.forget(client));
      client.on('notice', (notice) =>
        this.noticeTo?.notice(
          notice.severity === 'WARNING' ? 'warning' : notice.severity === 'INFO' ? 'info' : 'notice',
          notice.message ?? '',
        ),
      );
      try {
        await client.connect();
      } catch (error) {
        throw connectionError(error, endpoint);
      }
      this.client = client;
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private forget(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
  }

  async serverVersion(signal: AbortSignal): Promise<string> {
    const client = await this.connection(signal);
    const answer = await client.query<{ version: string }>('SELECT version() AS version');
    return answer.rows[0]?.version ?? '';
  }

  async execute(sql: string, sink: StatementSink, signal: AbortSignal, maxRows?: number): Promise<StatementOutcome> {
    const client = await this.connection(signal);
    const socket = (client as unknown as { connection: { stream: NodeJS.ReadableStream } }).connection.stream;
    let batch: Cell[][] = [];
    let pending = 0;
    const taking = new Set<Promise<void>>();
    let received = 0;
    let columnsSent = false;
    let guardHit = false;
    let sinkFailure: unknown;
    // A cancel that lands after the statement ended would hit the connection's next statement, so the run waits for it.
    let cancelling: Promise<void> | undefined;
    const cancel = () => void (cancelling ??= this.cancelBackend(client));

    const sendColumns = (fields: pg.FieldDef[]) => {
      if (columnsSent || fields.length === 0) return;
      columnsSent = true;
      sink.columns(fields.map((field): ColumnMeta => ({ name: field.name, ...pgColumnType(field.dataTypeID, field.dataTypeModifier) })));
    };
    const flush = () => {
      if (batch.length === 0) return;
      const taken = batch;
      batch = [];
      pending++;
      if (pending >= MAX_PENDING) socket.pause();
      const taken$ = sink.rows(taken).then(
        () => {
          pending--;
          if (pending < MAX_PENDING) socket.resume();
        },
        (error: unknown) => {
          sinkFailure = error;
          cancel();
        },
      );
      taking.add(taken$);
      void taken$.finally(() => taking.delete(taken$));
    };
    this.noticeTo = sink;
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const result = await new Promise<pg.QueryResult>((resolve, reject) => {
        const query = new RowStream(sql, sendColumns, (row) => {
          if (guardHit) return;
          batch.push(row);
          received++;
          if (maxRows !== undefined && received >= maxRows) {
            guardHit = true;
            flush();
            cancel();
          } else if (batch.length >= BATCH_ROWS) flush();
        });
        query.on('end', resolve);
        query.on('error', reject);
        void client.query(query);
      }).catch((error: unknown) => {
        if (guardHit && (error as { code?: string }).code === CANCELLED_BY_USER) return undefined;
        throw error;
      });
      if (result) sendColumns(result.fields);
      flush();
      await Promise.all(taking);
      if (sinkFailure) throw sinkFailure;
      if (guardHit) sink.notice('info', `Stopped reading after ${maxRows} rows (the row limit you set); the server's work was cancelled.`);
      const command = result?.command ?? 'SELECT';
      const affected = result && result.rowCount !== null && command !== 'SELECT' ? result.rowCount : undefined;
      return { command, ...(affected !== undefined ? { rowsAffected: affected } : {}) };
    } catch (error) {
      socket.resume();
      if (signal.aborted || (error as { code?: string }).code === CANCELLED_BY_USER)
        throw new AppError('CANCELLED', 'Cancelled; the server stopped the statement.');
      throw statementError(error);
    } finally {
      signal.removeEventListener('abort', cancel);
      this.noticeTo = undefined;
      await cancelling;
    }
  }

  /** Cancelling means the server stops, so ask it from a second connection, as pg_cancel_backend is meant to be used. */
  private async cancelBackend(busy: pg.Client): Promise<void> {
    const pid = (busy as unknown as { processID: number | null }).processID;
    if (!pid) return;
    const endpoint = await this.endpoint(AbortSignal.timeout(20_000));
    const helper = new pg.Client(this.config(endpoint));
    helper.on('error', () => undefined);
    try {
      await helper.connect();
      await helper.query('SELECT pg_cancel_backend($1)', [pid]);
    } catch {
      // The statement may have ended meanwhile, or the server is gone; either way there is nothing left to stop.
    } finally {
      await helper.end().catch(() => undefined);
    }
  }

  async schema(signal: AbortSignal): Promise<SchemaTree> {
    const client = await this.connection(signal);
    const columns = await client.query<{ s: string; t: string; k: string; c: string; y: string }>(
      `SELECT c.table_schema AS s, c.table_name AS t, COALESCE(t.table_type, 'BASE TABLE') AS k, c.column_name AS c, c.data_type || COALESCE('(' || c.character_maximum_length || ')', '') AS y
         FROM information_schema.columns c
         LEFT JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema NOT IN ('information_schema', 'pg_catalog', 'pg_internal', 'pg_automv') AND c.table_schema NOT LIKE 'pg_toast%' AND c.table_schema NOT LIKE 'pg_temp%'
        ORDER BY 1, 2, c.ordinal_position
        LIMIT 200000`,
    );
    const keys = await redshiftKeys(client);
    const schemas = new Map<string, Map<string, SchemaTree['schemas'][number]['tables'][number]>>();
    for (const row of columns.rows) {
      const tables = schemas.get(row.s) ?? new Map();
      schemas.set(row.s, tables);
      let table = tables.get(row.t);
      if (!table) {
        table = { name: row.t, kind: row.k === 'VIEW' ? 'view' : row.k === 'EXTERNAL TABLE' ? 'external' : 'table', columns: [] };
        tables.set(row.t, table);
      }
      const notes = keys.get(`${row.s}.${row.t}.${row.c}`);
      table.columns.push({ name: row.c, type: row.y, ...(notes ? { notes } : {}) });
    }
    return { schemas: [...schemas].map(([name, tables]) => ({ name, tables: [...tables.values()] })) };
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/** DISTKEY and SORTKEY per column, from Redshift's pg_table_def; PostgreSQL (the sandbox) has none. */
async function redshiftKeys(client: pg.Client): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  try {
    const answer = await client.query<{ s: string; t: string; c: string; d: boolean; k: number }>(
      'SELECT schemaname AS s, tablename AS t, "column" AS c, distkey AS d, sortkey AS k FROM pg_table_def WHERE distkey OR sortkey <> 0',
    );
    for (const row of answer.rows) {
      const notes = [row.d ? 'DISTKEY' : '', Number(row.k) !== 0 ? `SORTKEY(${row.k})` : ''].filter(Boolean).join(' ');
      keys.set(`${row.s}.${row.t}.${row.c}`, notes);
    }
  } catch {
    // Not Redshift: no keys to show.
  }
  return keys;
}

function statementError(error: unknown): Error {
  if (error instanceof AppError) return error;
  const e = error as { message?: string; code?: string; position?: string; detail?: string; hint?: string };
  if (e.code && /^[0-9A-Z]{5}$/.test(e.code)) {
    const extra = [e.detail, e.hint ? `Hint: ${e.hint}` : ''].filter(Boolean).join(' ');
    return new StatementError(
      `${e.message ?? 'The statement failed'}${extra ? ` — ${extra}` : ''}`,
      e.code,
      e.position ? Number(e.position) - 1 : undefined,
    );
  }
  // Not the server's answer: the connection went away under the statement.
  return new AppError(
    'UNAVAILABLE',
    `The connection to the server was lost while the statement ran: ${e.message ?? String(error)}. Run it again to reconnect.`,
  );
}

function connectionError(error: unknown, endpoint: PgEndpoint): AppError {
  const e = error as { message?: string; code?: string };
  const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}/${endpoint.database}`;
  if (e.code === '28P01' || e.code === '28000')
    return new AppError('VALIDATION', `The server refused ${where}: ${e.message}. Check the user and password.`);
  if (e.code === '3D000') return new AppError('NOT_FOUND', `${e.message} on ${endpoint.host}:${endpoint.port}.`);
  return new AppError('UNAVAILABLE', `Cannot connect to ${where}: ${e.message ?? String(error)}`);
}

/** The names a Redshift connection gives, a provisioned cluster's or a Serverless workgroup's; the Data API's connections give the same. */
export const redshiftTarget = {
  warehouse: z.enum(['cluster', 'workgroup']).default('cluster'),
  clusterIdentifier: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/, 'Not a Redshift cluster identifier')
    .optional(),
  workgroupName: z
    .string()
    .regex(/^[a-z0-9-]{3,64}$/, 'Not a Redshift Serverless workgroup name')
    .optional(),
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,126}$/, 'Not a database name'),
  user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$.@+-]{0,126}$/, 'Not a database user name'),
};
export type WarehouseTarget =
  | { warehouse: 'cluster'; clusterIdentifier: string; database: string; user: string }
  | { warehouse: 'workgroup'; workgroupName: string; database: string; user: string };

type TargetOptions = z.infer<z.ZodObject<typeof redshiftTarget>>;

/** The target's own name: a cluster's when it is a cluster, a workgroup's when a workgroup, as the form asks. */
export function checkWarehouse(o: TargetOptions, ctx: z.RefinementCtx): void {
  if (o.warehouse === 'cluster' ? o.clusterIdentifier : o.workgroupName) return;
  ctx.addIssue({
    code: 'custom',
    path: [o.warehouse === 'cluster' ? 'clusterIdentifier' : 'workgroupName'],
    message: o.warehouse === 'cluster' ? 'Give the cluster identifier.' : 'Give the workgroup name.',
  });
}

/** Options that passed checkWarehouse, as the one target they name. */
export function warehouseOf(o: TargetOptions): WarehouseTarget {
  const { database, user } = o;
  if (o.warehouse === 'workgroup') return { warehouse: 'workgroup', workgroupName: o.workgroupName ?? '', database, user };
  return { warehouse: 'cluster', clusterIdentifier: o.clusterIdentifier ?? '', database, user };
}

/** One line naming where a connection goes: `user@cluster/db` or `user@workgroup wg/db`. */
export function describeWarehouse(o: WarehouseTarget): string {
  return o.warehouse === 'cluster'
    ? `${o.user}@${o.clusterIdentifier}/${o.database}`
    : `${o.user}@workgroup ${o.workgroupName}/${o.database}`;
}

/** Their inputs, one row of the connection form. */
export const redshiftTargetFields: EngineField[] = [
  {
    name: 'warehouse',
    label: 'Warehouse',
    type: 'choice',
    required: true,
    default: 'cluster',
    choices: [
      { value: 'cluster', label: 'Provisioned cluster' },
      { value: 'workgroup', label: 'Serverless workgroup' },
    ],
  },
  { name: 'clusterIdentifier', label: 'Cluster identifier', type: 'text', required: true, when: { field: 'warehouse', equals: 'cluster' } },
  { name: 'workgroupName', label: 'Workgroup name', type: 'text', required: true, when: { field: 'warehouse', equals: 'workgroup' } },
  { name: 'database', label: 'Database', type: 'text', required: true, default: 'dev' },
  { name: 'user', label: 'User', type: 'text', required: true, default: 'awsuser' },
];
/** What Redshift offers, by either way in. */
export const redshiftCapabilities = { ...NO_CAPABILITIES, cancel: true, explain: true, unload: true, distributionKeys: true, loads: true };

const options = z
  .object({
    ...redshiftTarget,
    /** Password (kept in the secret store; give it once) or temporary IAM credentials from GetClusterCredentials. */
    auth: z.enum(['password', 'iam']),
    password: z.string().min(1).max(1024).optional(),
    /** What the connection goes through to reach a cluster that is not publicly accessible. */
    route: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('direct') }).strict(),
        /** An open SSH session (an EMR master or a bastion) that forwards to the endpoint. */
        z.object({ kind: z.literal('session'), sessionId: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/) }).strict(),
      ])
      .default({ kind: 'direct' }),
  })
  .strict()
  .superRefine((o, ctx) => {
    checkWarehouse(o, ctx);
    if (o.warehouse === 'workgroup' && o.route.kind === 'session')
      ctx.addIssue({
        code: 'custom',
        path: ['route'],
        message: 'A Serverless workgroup is reached directly; SSH routes reach provisioned clusters.',
      });
  });
type RedshiftOptions = z.infer<typeof options>;

/** IAM database passwords are asked for this long and renewed a minute before they lapse. */
const IAM_PASSWORD_SECONDS = 900;

export const redshiftEngine = defineEngine<RedshiftOptions>({
  kind: 'redshift',
  label: 'Redshift (wire protocol)',
  dialect: 'redshift',
  options,
  form: [
    [...redshiftTargetFields],
    [
      {
        name: 'auth',
        label: 'Sign-in',
        type: 'choice',
        required: true,
        default: 'password',
        choices: [
          { value: 'password', label: 'Password' },
          { value: 'iam', label: 'IAM (GetClusterCredentials, or GetCredentials for a workgroup)' },
        ],
      },
      { name: 'password', label: 'Password', type: 'secret', required: false, when: { field: 'auth', equals: 'password' } },
      { name: 'route', label: 'Through', type: 'route', required: false },
    ],
  ],
  capabilities: redshiftCapabilities,
  secret: { option: 'password', wanted: (o) => o.auth === 'password' },
  describe: (o) =>
    `${describeWarehouse(warehouseOf(o))}${o.auth === 'iam' ? ' (IAM)' : ''}${o.route.kind === 'session' ? ' through an SSH session' : ''}`,
  open: (o, ports) => new RedshiftEngine((signal) => endpointOf(o, ports, signal)),
});

/** The warehouse's endpoint and a password: the stored one, or IAM's temporary one, asked again on every (re)connection. */
async function endpointOf(o: RedshiftOptions, ports: EnginePorts, signal: AbortSignal): Promise<PgEndpoint> {
  const aws = await ports.aws();
  const where = warehouseOf(o);
  const found = where.warehouse === 'cluster' ? await clusterLogin(o, where, aws, signal) : await workgroupLogin(o, where, aws, signal);
  const password = o.auth === 'iam' ? found.password : await ports.secret();
  if (!password) throw new AppError('VALIDATION', `No password is stored for ${o.user}; edit the connection and give it once.`);
  ports.log.addSecret(password);
  const local =
    o.route.kind === 'session' && where.warehouse === 'cluster'
      ? { host: '127.0.0.1', port: await ports.tunnels.redshift(o.route.sessionId, where.clusterIdentifier, signal) }
      : { host: found.address, port: found.port };
  // Through a tunnel the certificate still names the warehouse, so TLS is checked against that name.
  return {
    ...local,
    database: o.database,
    user: o.auth === 'iam' ? found.user : o.user,
    password,
    ...(aws.sandbox ? {} : { tls: { servername: found.address } }),
  };
}

interface Login {
  address: string;
  port: number;
  /** IAM's temporary user and password, when the connection signs in with IAM. */
  user: string;
  password?: string | undefined;
}

async function clusterLogin(
  o: RedshiftOptions,
  { clusterIdentifier }: { clusterIdentifier: string },
  aws: AwsScope,
  signal: AbortSignal,
): Promise<Login> {
  return aws.use(RedshiftClient, async (redshift) => {
    const cluster = (await redshift.send(new DescribeClustersCommand({ ClusterIdentifier: clusterIdentifier }), { abortSignal: signal }))
      .Clusters?.[0];
    const address = cluster?.Endpoint?.Address;
    const port = cluster?.Endpoint?.Port;
    if (!address || !port)
      throw new AppError(
        'UNAVAILABLE',
        `Redshift cluster ${clusterIdentifier} has no endpoint yet (${cluster?.ClusterStatus ?? 'not found'}).`,
      );
    if (o.auth !== 'iam') return { address, port, user: o.user };
    const answer = await redshift.send(
      new GetClusterCredentialsCommand({
        ClusterIdentifier: clusterIdentifier,
        DbUser: o.user,
        DbName: o.database,
        DurationSeconds: IAM_PASSWORD_SECONDS,
        AutoCreate: false,
      }),
      { abortSignal: signal },
    );
    return { address, port, user: answer.DbUser ?? `IAM:${o.user}`, password: answer.DbPassword };
  });
}

/** A workgroup signed in with IAM is its caller's own database user (IAM:alice, IAMR:role), as GetCredentials names it. */
async function workgroupLogin(
  o: RedshiftOptions,
  { workgroupName }: { workgroupName: string },
  aws: AwsScope,
  signal: AbortSignal,
): Promise<Login> {
  return aws.use(RedshiftServerlessClient, async (serverless) => {
    const workgroup = (await serverless.send(new GetWorkgroupCommand({ workgroupName: workgroupName }), { abortSignal: signal })).workgroup;
    const address = workgroup?.endpoint?.address;
    const port = workgroup?.endpoint?.port;
    if (!address || !port || workgroup?.status !== 'AVAILABLE')
      throw new AppError(
        'UNAVAILABLE',
        `Redshift Serverless workgroup ${workgroupName} is not available yet (${workgroup?.status ?? 'not found'}).`,
      );
    if (o.auth !== 'iam') return { address, port, user: o.user };
    const answer = await serverless.send(
      new GetCredentialsCommand({ workgroupName: workgroupName, dbName: o.database, durationSeconds: IAM_PASSWORD_SECONDS }),
      { abortSignal: signal },
    );
    if (!answer.dbUser) throw new AppError('UNAVAILABLE', `GetCredentials gave no database user for workgroup ${workgroupName}.`);
    return { address, port, user: answer.dbUser, password: answer.dbPassword };
  });
}
