import {
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  type Field,
} from '@aws-sdk/client-redshift-data';
import { z } from 'zod';
import type { Cell, SchemaTree } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { sleep } from '../../../shared/node/sleep.js';
import { defineEngine } from './descriptor.js';
import type { Engine, StatementOutcome, StatementSink } from './engine.js';
import { StatementError } from './engine.js';
import { kindOfTypeName } from './pg-types.js';
import {
  describeWarehouse,
  redshiftCapabilities,
  redshiftTarget,
  redshiftTargetFields,
  checkWarehouse,
  warehouseOf,
  type WarehouseTarget,
} from './redshift.js';

const options = z.object(redshiftTarget).strict().superRefine(checkWarehouse);
type DataApiOptions = z.infer<typeof options>;

const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 2000;
/** The operator cancelled: the Data API was asked to stop the statement, which it may not have yet. */
const cancelled = () => new AppError('CANCELLED', 'Cancelled; the Data API was asked to stop the statement.');

/**
 * Redshift through its Data API: no tunnel and no open connection, so each
 * statement is submitted, polled with backoff and read back page by page.
 * Session state does not carry from one statement to the next, as on AWS.
 */
export class RedshiftDataEngine implements Engine {
  readonly dialect = 'redshift' as const;
  /** `client` is the engine's own: closing the engine destroys it. */
  constructor(
    private readonly client: RedshiftDataClient,
    private readonly where: WarehouseTarget,
  ) {}

  async serverVersion(signal: AbortSignal): Promise<string> {
    let version = '';
    await this.execute(
      'SELECT version()',
      { columns: () => undefined, rows: async (batch) => void (version = batch[0]?.[0] ?? ''), notice: () => undefined },
      signal,
    );
    return version;
  }

  async execute(sql: string, sink: StatementSink, signal: AbortSignal, maxRows?: number): Promise<StatementOutcome> {
    const { Id: id } = await this.client.send(
      new ExecuteStatementCommand({
        // A workgroup is signed in to as the caller's IAM identity; a cluster as the connection's database user.
        ...(this.where.warehouse === 'cluster'
          ? { ClusterIdentifier: this.where.clusterIdentifier, DbUser: this.where.user }
          : { WorkgroupName: this.where.workgroupName }),
        Database: this.where.database,
        Sql: sql,
      }),
      { abortSignal: signal },
    );
    if (!id) throw new AppError('UNAVAILABLE', 'The Data API accepted the statement but gave no id.');
    const cancel = () => void this.client.send(new CancelStatementCommand({ Id: id })).catch(() => undefined);
    signal.addEventListener('abort', cancel, { once: true });
    try {
      let wait = FIRST_POLL_MS;
      for (;;) {
        const status = await this.client.send(new DescribeStatementCommand({ Id: id }), { abortSignal: signal });
        if (status.Status === 'FINISHED') {
          if (status.HasResultSet) await this.readResult(id, sink, signal, maxRows);
          const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
          return {
            command,
            ...(!status.HasResultSet && status.ResultRows !== undefined && status.ResultRows >= 0
              ? { rowsAffected: status.ResultRows }
              : {}),
          };
        }
        if (status.Status === 'FAILED')
          throw new StatementError(status.Error ?? 'The statement failed', undefined, positionOf(status.Error));
        if (status.Status === 'ABORTED') throw new AppError('CANCELLED', 'Cancelled; the Data API aborted the statement.');
        await sleep(wait, signal);
        if (signal.aborted) throw cancelled();
        wait = Math.min(MAX_POLL_MS, Math.round(wait * 1.5));
      }
    } catch (error) {
      if (signal.aborted) throw cancelled();
      throw error;
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  private async readResult(id: string, sink: StatementSink, signal: AbortSignal, maxRows: number | undefined): Promise<void> {
    let token: string | undefined;
    let read = 0;
    let first = true;
    do {
      const page = await this.client.send(new GetStatementResultCommand({ Id: id, NextToken: token }), { abortSignal: signal });
      if (first) {
        sink.columns(
          (page.ColumnMetadata ?? []).map((c) => ({
            name: c.name ?? '',
            type: typeOf(c.typeName ?? '', c.precision, c.scale),
            kind: kindOfTypeName(c.typeName ?? ''),
          })),
        );
        first = false;
      }
      let rows = (page.Records ?? []).map((record) => record.map(cell));
      if (maxRows !== undefined && read + rows.length >= maxRows) {
        rows = rows.slice(0, maxRows - read);
        token = undefined;
        sink.notice('info', `Stopped reading after ${maxRows} rows (the row limit you set).`);
      } else token = page.NextToken;
      read += rows.length;
      if (rows.length > 0) await sink.rows(rows);
    } while (token);
  }

  async schema(signal: AbortSignal): Promise<SchemaTree> {
    const tree = new Map<string, Map<string, SchemaTree['schemas'][number]['tables'][number]>>();
    await this.execute(
      `SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns WHERE table_schema NOT IN ('information_schema', 'pg_catalog', 'pg_internal') ORDER BY 1, 2, ordinal_position`,
      {
        columns: () => undefined,
        notice: () => undefined,
        rows: async (batch) => {
          for (const [schema, table, column, type] of batch) {
            const tables = tree.get(schema ?? '') ?? new Map();
            tree.set(schema ?? '', tables);
            const entry = tables.get(table) ?? { name: table ?? '', kind: 'table' as const, columns: [] };
            tables.set(table, entry);
            entry.columns.push({ name: column ?? '', type: type ?? '' });
          }
        },
      },
      signal,
    );
    return { schemas: [...tree].map(([name, tables]) => ({ name, tables: [...tables.values()] })) };
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }
}

function typeOf(name: string, precision: number | undefined, scale: number | undefined): string {
  return name === 'numeric' && precision ? `numeric(${precision},${scale ?? 0})` : name;
}

/**
 * A Field as text. The Data API's JSON carries BIGINT as a JSON number, so a
 * value beyond 2^53 is already rounded when it arrives; that is AWS's format,
 * and the wire-protocol engine is the exact path.
 */
function cell(field: Field): Cell {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return String(field.longValue);
  if (field.doubleValue !== undefined) return String(field.doubleValue);
  if (field.booleanValue !== undefined) return field.booleanValue ? 't' : 'f';
  if (field.blobValue !== undefined) return `\\x${Buffer.from(field.blobValue).toString('hex')}`;
  return null;
}

/** The Data API words syntax errors as PostgreSQL does, "… at or near "x"" with `Position: n` in some forms. */
function positionOf(message: string | undefined): number | undefined {
  const match = /Position: (\d+)/i.exec(message ?? '');
  return match ? Number(match[1]) - 1 : undefined;
}

export const redshiftDataEngine = defineEngine<DataApiOptions>({
  kind: 'redshift-data',
  label: 'Redshift Data API',
  dialect: 'redshift',
  options,
  form: [[...redshiftTargetFields]],
  capabilities: redshiftCapabilities,
  describe: (o) => `${describeWarehouse(warehouseOf(o))} via the Data API`,
  open: async (o, ports) => new RedshiftDataEngine((await ports.aws()).client(RedshiftDataClient), warehouseOf(o)),
});
