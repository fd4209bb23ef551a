import hive from 'hive-driver';
import { z } from 'zod';
import type { Cell, ColumnKind, ColumnMeta, SchemaTree } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { sleep } from '../../../shared/node/sleep.js';
import { defineEngine, NO_CAPABILITIES } from './descriptor.js';
import type { Engine, ExecOutcome, StatementOutcome, StatementSink } from './engine.js';
import { queryRows, StatementError } from './engine.js';

const { TCLIService, TCLIService_types: T } = hive.thrift;

/** Rows per FetchResults: each fetch is a round trip through the tunnel, so large ones. */
const FETCH_ROWS = 10_000;
const POLL_MS = 100;
const MAX_POLL_MS = 1000;
/** The operator cancelled an operation (Spark is asked to cancel its job), or Spark did. */
const cancelled = () => new AppError('CANCELLED', 'Cancelled; Spark cancelled the job.');

type HiveSession = Awaited<ReturnType<hive.HiveClient['openSession']>>;
type HiveOperation = Awaited<ReturnType<HiveSession['executeStatement']>>;

interface ThriftColumn {
  values: unknown[];
  nulls: Buffer;
}
type ThriftColumnSet = Partial<
  Record<'boolVal' | 'byteVal' | 'i16Val' | 'i32Val' | 'i64Val' | 'doubleVal' | 'stringVal' | 'binaryVal', ThriftColumn>
>;
interface ThriftColumnDesc {
  columnName: string;
  position: number;
  typeDesc: { types: { primitiveEntry?: { type: number; typeQualifiers?: { qualifiers?: Record<string, { i32Value?: number }> } } }[] };
}

const typeNames: Record<number, [string, ColumnKind]> = {
  [T.TTypeId.BOOLEAN_TYPE]: ['boolean', 'bool'],
  [T.TTypeId.TINYINT_TYPE]: ['tinyint', 'int'],
  [T.TTypeId.SMALLINT_TYPE]: ['smallint', 'int'],
  [T.TTypeId.INT_TYPE]: ['int', 'int'],
  [T.TTypeId.BIGINT_TYPE]: ['bigint', 'int'],
  [T.TTypeId.FLOAT_TYPE]: ['float', 'float'],
  [T.TTypeId.DOUBLE_TYPE]: ['double', 'float'],
  [T.TTypeId.STRING_TYPE]: ['string', 'text'],
  [T.TTypeId.VARCHAR_TYPE]: ['varchar', 'text'],
  [T.TTypeId.CHAR_TYPE]: ['char', 'text'],
  [T.TTypeId.TIMESTAMP_TYPE]: ['timestamp', 'timestamp'],
  [T.TTypeId.DATE_TYPE]: ['date', 'date'],
  [T.TTypeId.BINARY_TYPE]: ['binary', 'binary'],
  [T.TTypeId.DECIMAL_TYPE]: ['decimal', 'decimal'],
  [T.TTypeId.ARRAY_TYPE]: ['array', 'array'],
  [T.TTypeId.MAP_TYPE]: ['map', 'json'],
  [T.TTypeId.STRUCT_TYPE]: ['struct', 'json'],
  [T.TTypeId.INTERVAL_DAY_TIME_TYPE]: ['interval day to second', 'interval'],
  [T.TTypeId.INTERVAL_YEAR_MONTH_TYPE]: ['interval year to month', 'interval'],
  [T.TTypeId.NULL_TYPE]: ['void', 'other'],
};

/**
 * Spark SQL on the EMR master over HiveServer2's Thrift protocol (the Spark
 * Thrift Server), through the session's tunnel. Values are decoded from the
 * columnar row sets directly: bigint from its 8 bytes and decimal from its
 * text, never through a JS number.
 */
export class SparkEngine implements Engine {
  readonly dialect = 'spark' as const;
  private opened: Promise<{ client: hive.HiveClient; session: HiveSession }> | undefined;

  /**
   * `thrift` is asked on every (re)connection: the tunnel's local port and the server's password. `exec`
   * runs a command on the master, for when its Thrift server does not answer.
   */
  constructor(
    private readonly thrift: (signal: AbortSignal) => Promise<{ port: number; password?: string }>,
    private readonly exec: MasterExec,
  ) {}

  private open(signal: AbortSignal): Promise<{ client: hive.HiveClient; session: HiveSession }> {
    this.opened ??= (async () => {
      const { port, password } = await this.thrift(signal);
      const client = new hive.HiveClient(TCLIService, T);
      // A dropped tunnel fails the operation in flight; the next statement opens a new session.
      client.on('error', () => (this.opened = undefined));
      try {
        await client.connect(
          { host: '127.0.0.1', port },
          new hive.connections.TcpConnection(),
          // EMR's Thrift Server takes any password; the sandbox's takes its run's.
          new hive.auth.PlainTcpAuthentication({ username: 'hadoop', password: password ?? 'tributary' }),
        );
        const session = await client.openSession({ client_protocol: T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10 });
        return { client, session };
      } catch (error) {
        throw new ThriftDown((error as Error).message);
      }
    })();
    this.opened.catch(() => (this.opened = undefined));
    return this.opened;
  }

  async serverVersion(signal: AbortSignal): Promise<string> {
    let version = '';
    await this.execute(
      'SELECT version()',
      { columns: () => undefined, rows: async (batch) => void (version = `Spark ${batch[0]?.[0] ?? ''}`), notice: () => undefined },
      signal,
    );
    return version;
  }

  async execute(sql: string, sink: StatementSink, signal: AbortSignal, maxRows?: number): Promise<StatementOutcome> {
    let session: HiveSession;
    try {
      ({ session } = await this.open(signal));
    } catch (error) {
      if (!(error instanceof ThriftDown)) throw error;
      sink.notice(
        'warning',
        `${error.message} This statement ran with spark-sql over SSH instead: slower (a new Spark application per statement), and values come back as text without column types. ${START_THRIFT_HINT}`,
      );
      return viaSparkSql(this.exec, sql, sink, signal, maxRows);
    }
    let operation: HiveOperation;
    try {
      operation = await session.executeStatement(sql, { runAsync: true });
    } catch (error) {
      throw sparkError(error, sql);
    }
    const cancel = () => void operation.cancel().catch(() => undefined);
    signal.addEventListener('abort', cancel, { once: true });
    try {
      let wait = POLL_MS;
      for (;;) {
        const status = await operation.status(false);
        const state = status.operationState;
        if (state === T.TOperationState.FINISHED_STATE) break;
        if (state === T.TOperationState.CANCELED_STATE || signal.aborted) throw cancelled();
        if (state === T.TOperationState.ERROR_STATE) throw sparkError({ message: status.errorMessage ?? status.status?.errorMessage }, sql);
        await sleep(wait, signal);
        if (signal.aborted) throw cancelled();
        wait = Math.min(MAX_POLL_MS, wait * 2);
      }
      const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
      if (!(operation as unknown as { hasResultSet: boolean }).hasResultSet) return { command };
      await this.read(operation, sink, signal, maxRows);
      return { command };
    } catch (error) {
      if (signal.aborted) throw cancelled();
      throw error instanceof AppError || error instanceof StatementError ? error : sparkError(error, sql);
    } finally {
      signal.removeEventListener('abort', cancel);
      void operation.close().catch(() => undefined);
    }
  }

  private async read(operation: HiveOperation, sink: StatementSink, signal: AbortSignal, maxRows: number | undefined): Promise<void> {
    operation.setMaxRows(FETCH_ROWS);
    let described = false;
    let read = 0;
    do {
      await operation.fetch();
      const schema = operation.getSchema() as { columns: ThriftColumnDesc[] } | null;
      const descriptors = [...(schema?.columns ?? [])].sort((a, b) => a.position - b.position);
      if (!described) {
        sink.columns(descriptors.map(columnMeta));
        described = true;
      }
      for (const rowSet of operation.getData() as { columns?: ThriftColumnSet[] }[]) {
        let rows = decodeRows(rowSet.columns ?? []);
        if (maxRows !== undefined && read + rows.length >= maxRows) {
          rows = rows.slice(0, maxRows - read);
          read += rows.length;
          if (rows.length) await sink.rows(rows);
          sink.notice('info', `Stopped reading after ${maxRows} rows (the row limit you set).`);
          await operation.cancel().catch(() => undefined);
          return;
        }
        read += rows.length;
        if (rows.length) await sink.rows(rows);
      }
      operation.flush();
    } while (operation.hasMoreRows() && !signal.aborted);
  }

  async schema(signal: AbortSignal): Promise<SchemaTree> {
    const tree = new Map<string, Map<string, SchemaTree['schemas'][number]['tables'][number]>>();
    const rowsOf = (sql: string) => queryRows(this, sql, signal);
    for (const [database] of await rowsOf('SHOW DATABASES')) {
      if (!database) continue;
      const tables = new Map<string, SchemaTree['schemas'][number]['tables'][number]>();
      tree.set(database, tables);
      for (const row of await rowsOf(`SHOW TABLES IN \`${database.replace(/`/g, '``')}\``)) {
        const name = row[1];
        if (!name || row[2] === 'true') continue;
        const entry: SchemaTree['schemas'][number]['tables'][number] = { name, kind: 'table', columns: [] };
        tables.set(name, entry);
        let inColumns = true;
        for (const [col, type, comment] of await rowsOf(
          `DESCRIBE TABLE EXTENDED \`${database.replace(/`/g, '``')}\`.\`${name.replace(/`/g, '``')}\``,
        )) {
          if (!col || col.startsWith('#')) {
            inColumns = false;
            continue;
          }
          if (inColumns) entry.columns.push({ name: col, type: type ?? '', ...(comment ? { notes: comment } : {}) });
          else if (col === 'Location') entry.details = `LOCATION ${type ?? ''}`;
          else if (col === 'Type' && type === 'EXTERNAL') entry.kind = 'external';
          else if (col === 'Type' && type === 'VIEW') entry.kind = 'view';
        }
      }
    }
    return { schemas: [...tree].map(([name, tables]) => ({ name, tables: [...tables.values()] })) };
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    const live = await opened?.catch(() => undefined);
    if (!live) return;
    await live.session.close().catch(() => undefined);
    live.client.close();
  }
}

export type MasterExec = (
  command: string,
  stdin: string,
  signal: AbortSignal,
  onStdout: (chunk: Buffer) => Promise<void>,
) => Promise<ExecOutcome>;

const START_THRIFT_HINT =
  'Start the Thrift server on the master for the fast path (on EMR: sudo /usr/lib/spark/sbin/start-thriftserver.sh).';

/** The Thrift server is not answering on the master: the one case where spark-sql over SSH stands in. */
class ThriftDown extends AppError {
  constructor(reason: string) {
    super('UNAVAILABLE', `The Spark Thrift Server on the master does not answer (${reason}).`);
  }
}

/**
 * spark-sql on the master, the SQL on its stdin (no shell quoting of the
 * operator's text), rows read back as the CLI prints them: a header, then
 * tab-separated values with NULL for null.
 */
async function viaSparkSql(
  exec: MasterExec,
  sql: string,
  sink: StatementSink,
  parent: AbortSignal,
  maxRows: number | undefined,
): Promise<StatementOutcome> {
  const stop = new AbortController();
  const signal = AbortSignal.any([parent, stop.signal]);
  let pending = '';
  let columns: string[] | undefined;
  let read = 0;
  const take = async (lines: string[]) => {
    const rows: Cell[][] = [];
    for (const line of lines) {
      if (!columns) {
        columns = line.split('\t');
        sink.columns(columns.map((name) => ({ name, type: 'string', kind: 'text' })));
        continue;
      }
      if (maxRows !== undefined && read >= maxRows) break;
      rows.push(line.split('\t').map((value) => (value === 'NULL' ? null : value)));
      read++;
    }
    if (rows.length) await sink.rows(rows);
    if (maxRows !== undefined && read >= maxRows && !stop.signal.aborted) {
      sink.notice('info', `Stopped reading after ${maxRows} rows (the row limit you set).`);
      stop.abort();
    }
  };
  const outcome = await exec('spark-sql --silent --hiveconf hive.cli.print.header=true -e "$(cat)"', sql, signal, async (chunk) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    await take(lines);
  });
  if (pending) await take([pending]);
  if (parent.aborted) throw new AppError('CANCELLED', 'Cancelled; spark-sql on the master was stopped.');
  if (!stop.signal.aborted && outcome.code !== 0) {
    const reported = outcome.stderr
      .split('\n')
      .filter((line) => /Error|Exception|\[[A-Z_]+\]/.test(line))
      .slice(0, 6)
      .join('\n');
    throw sparkError({ message: reported || outcome.stderr.slice(-2000) || `spark-sql exited with ${outcome.code}` }, sql);
  }
  return { command: /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL' };
}

function columnMeta(descriptor: ThriftColumnDesc): ColumnMeta {
  const entry = descriptor.typeDesc.types[0]?.primitiveEntry;
  const [name, kind] = entry ? (typeNames[entry.type] ?? ['other', 'other' as const]) : ['complex', 'json' as const];
  const q = entry?.typeQualifiers?.qualifiers;
  const type =
    name === 'decimal' && q?.precision
      ? `decimal(${q.precision.i32Value},${q.scale?.i32Value ?? 0})`
      : name === 'varchar' && q?.characterMaximumLength
        ? `varchar(${q.characterMaximumLength.i32Value})`
        : name;
  return { name: descriptor.columnName.split('.').pop() ?? descriptor.columnName, type, kind };
}

function isNull(nulls: Buffer | undefined, index: number): boolean {
  return !!nulls && nulls.length > index >> 3 && (nulls[index >> 3]! & (1 << (index & 7))) !== 0;
}

/** Columnar row set → rows of text; each value type has exactly one printed form. */
function decodeRows(columns: ThriftColumnSet[]): Cell[][] {
  const decoded = columns.map((set): Cell[] => {
    const [kind, column] = (Object.entries(set).find(([, value]) => value) ?? []) as [
      keyof ThriftColumnSet | undefined,
      ThriftColumn | undefined,
    ];
    if (!kind || !column) return [];
    return column.values.map((value, i) => (isNull(column.nulls, i) ? null : text(kind, value)));
  });
  const count = Math.max(0, ...decoded.map((c) => c.length));
  const rows: Cell[][] = new Array(count);
  for (let r = 0; r < count; r++) rows[r] = decoded.map((c) => c[r] ?? null);
  return rows;
}

function text(kind: keyof ThriftColumnSet, value: unknown): string {
  switch (kind) {
    case 'i64Val': {
      const int64 = value as { buffer: Buffer; offset: number };
      return int64.buffer.readBigInt64BE(int64.offset).toString();
    }
    case 'binaryVal':
      return `\\x${(value as Buffer).toString('hex')}`;
    case 'boolVal':
      return value ? 'true' : 'false';
    default:
      return String(value);
  }
}

/** Spark says where a parse error is as "(line L, pos P)" — 1-based line, 0-based position. */
function sparkError(error: unknown, sql: string): Error {
  const message = ((error as { message?: string }).message ?? String(error)).replace(/^Error running query: /, '').trim();
  const at = /\(line (\d+), pos (\d+)\)/.exec(message);
  let offset: number | undefined;
  if (at) {
    const lines = sql.split('\n');
    offset = lines.slice(0, Number(at[1]) - 1).reduce((sum, line) => sum + line.length + 1, 0) + Number(at[2]);
  }
  const firstLines = message.split('\n').slice(0, 6).join('\n');
  return new StatementError(firstLines, /^\[([A-Z_]+)\]/.exec(message)?.[1], offset);
}

const options = z
  .object({
    /** The EMR cluster whose master runs the Spark Thrift Server; reached through an SSH session to it. */
    clusterId: z.string().regex(/^j-[A-Z0-9]{1,64}$/, 'Not an EMR cluster id (j-…)'),
  })
  .strict();

export const sparkEngine = defineEngine<z.infer<typeof options>>({
  kind: 'spark',
  label: 'Spark SQL on EMR',
  dialect: 'spark',
  options,
  form: [[{ name: 'clusterId', label: 'EMR cluster id', type: 'text', required: true, placeholder: 'j-…' }]],
  capabilities: { ...NO_CAPABILITIES, cancel: true, explain: true },
  describe: (o) => `Spark Thrift Server on the master of ${o.clusterId}`,
  route: 'through an SSH session to the EMR master (port 10001 tunnelled)',
  open: (o, ports) =>
    new SparkEngine(
      (signal) => ports.tunnels.sparkThrift(o.clusterId, signal),
      (command, stdin, signal, onStdout) => ports.tunnels.masterExec(o.clusterId, command, stdin, signal, onStdout),
    ),
});
