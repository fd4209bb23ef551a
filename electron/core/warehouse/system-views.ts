import type { Cell, ConnectionInfo } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { StatementError, type Engine } from '../engines/engine.js';
import type { WarehouseConnections } from './ports.js';

/** A system view's row by column name, every value the server's text. */
export type ViewRow = Record<string, Cell>;

/** Marks the app's own look-ups, so history can leave them out. */
export const OWN_QUERY_MARK = '/* tributary operations */';

/** An admin engine left unused this long is closed: the view was left. */
const IDLE_MS = 60_000;
const UNDEFINED_TABLE = '42P01';
const UNDEFINED_FUNCTION = '42883';

interface Admin {
  engine: Promise<Engine>;
  info: ConnectionInfo;
  timer?: NodeJS.Timeout;
  /** Which system views the connection has (asked once: a cluster without SYS_* views keeps STL_*). */
  has: Map<string, Promise<boolean>>;
}

/**
 * Runs queries on Redshift's system views, per connection, on an admin engine
 * of the app's own: one per connection id, kept while the operations view
 * asks and closed after a minute unused or when the core closes, so a refresh
 * every two seconds costs no login and never waits behind (or is cancelled
 * with) the operator's Workbench run. Actions (cancel, terminate, a fix) run
 * on a short-lived engine of their own, so a busy refresh cannot delay them.
 */
export class SystemViews {
  private readonly admins = new Map<string, Admin>();

  constructor(private readonly connections: WarehouseConnections) {}

  /** The connection, if it is a Redshift one (wire protocol or Data API). */
  async redshift(connectionId: string, signal: AbortSignal): Promise<ConnectionInfo> {
    const admin = this.admins.get(connectionId);
    if (admin) return admin.info;
    const info = await this.connections.info(connectionId, signal);
    if (info.dialect !== 'redshift') throw new AppError('NOT_FOUND', `${info.name} is not a Redshift connection.`);
    return info;
  }

  /** Every row of `sql` (a system-view query), by column name. */
  async rows(connectionId: string, sql: string, signal: AbortSignal): Promise<ViewRow[]> {
    const admin = await this.admin(connectionId, signal);
    const engine = await admin.engine;
    try {
      return await rowsOf(engine, `${OWN_QUERY_MARK} ${sql}`, signal);
    } catch (error) {
      // A lost connection is reopened on the next ask rather than kept broken.
      if (!(error instanceof StatementError)) this.close(connectionId);
      throw explained(error, admin.info);
    } finally {
      this.touch(connectionId);
    }
  }

  /** Whether the connection has a system view (or function), asked once per connection. */
  async has(connectionId: string, view: string, signal: AbortSignal): Promise<boolean> {
    const admin = await this.admin(connectionId, signal);
    let known = admin.has.get(view);
    if (!known) {
      // One row whatever the view holds: the Data API has no result to read for a statement that returns none.
      known = this.rows(connectionId, `SELECT count(*) AS n FROM (SELECT 1 FROM ${view} LIMIT 1) AS probe`, signal).then(
        () => true,
        (error: unknown) => {
          if (error instanceof AppError && error.code === 'NOT_FOUND') return false;
          admin.has.delete(view);
          throw error;
        },
      );
      admin.has.set(view, known);
    }
    return known;
  }

  /** Runs one statement on an engine of its own, closed after: an action the operator confirmed. */
  async action(connectionId: string, sql: string, signal: AbortSignal): Promise<ViewRow[]> {
    const info = await this.redshift(connectionId, signal);
    const engine = await this.connections.open(connectionId, signal);
    try {
      return await rowsOf(engine, sql, signal);
    } catch (error) {
      throw explained(error, info);
    } finally {
      await engine.close().catch(() => undefined);
    }
  }

  private async admin(connectionId: string, signal: AbortSignal): Promise<Admin> {
    let admin = this.admins.get(connectionId);
    if (!admin) {
      const info = await this.redshift(connectionId, signal);
      admin = this.admins.get(connectionId);
      if (!admin) {
        const engine = this.connections.open(connectionId, signal);
        admin = { engine, info, has: new Map() };
        this.admins.set(connectionId, admin);
        engine.catch(() => this.admins.get(connectionId)?.engine === engine && this.admins.delete(connectionId));
      }
    }
    this.touch(connectionId);
    return admin;
  }

  private touch(connectionId: string): void {
    const admin = this.admins.get(connectionId);
    if (!admin) return;
    clearTimeout(admin.timer);
    admin.timer = setTimeout(() => this.close(connectionId), IDLE_MS);
    admin.timer.unref();
  }

  private close(connectionId: string): void {
    const admin = this.admins.get(connectionId);
    if (!admin) return;
    this.admins.delete(connectionId);
    clearTimeout(admin.timer);
    void admin.engine.then((engine) => engine.close()).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    const all = [...this.admins.values()];
    this.admins.clear();
    await Promise.all(
      all.map(async (admin) => {
        clearTimeout(admin.timer);
        await (await admin.engine.catch(() => undefined))?.close().catch(() => undefined);
      }),
    );
  }
}

async function rowsOf(engine: Engine, sql: string, signal: AbortSignal): Promise<ViewRow[]> {
  let names: string[] = [];
  const out: ViewRow[] = [];
  await engine.execute(
    sql,
    {
      columns: (columns) => (names = columns.map((c) => c.name)),
      notice: () => undefined,
      rows: async (batch) => {
        for (const row of batch) out.push(Object.fromEntries(names.map((name, i) => [name, row[i] ?? null])));
      },
    },
    signal,
  );
  return out;
}

/** A missing view is NOT_FOUND (the cluster lacks it), other server complaints UNAVAILABLE: the input was valid. */
function explained(error: unknown, info: ConnectionInfo): Error {
  if (!(error instanceof StatementError)) return error instanceof Error ? error : new Error(String(error));
  // The Data API gives the server's message without its SQLSTATE.
  const missing = error.code
    ? error.code === UNDEFINED_TABLE || error.code === UNDEFINED_FUNCTION
    : /\bdoes not exist\b/i.test(error.message);
  if (missing) return new AppError('NOT_FOUND', `${info.name} does not have that system view: ${error.message}`);
  return new AppError('UNAVAILABLE', `${info.name} refused a system-view query: ${error.message}`);
}

/** A cell as a number (NULL and text that is not one give `fallback`). */
export function num(cell: Cell | undefined, fallback = 0): number {
  if (cell === null || cell === undefined || cell.trim() === '') return fallback;
  const value = Number(cell);
  return Number.isFinite(value) ? value : fallback;
}

/** A cell as text, trimmed (Redshift's STV/STL columns are blank-padded char(n)). */
export function text(cell: Cell | undefined): string {
  return (cell ?? '').trim();
}

/** A Redshift `timestamp` (UTC, without zone) as an ISO instant. */
export function utc(cell: Cell | undefined): string {
  const value = text(cell);
  if (!value) return '';
  const iso = `${value.replace(' ', 'T')}${/[zZ]|[+-]\d\d(:?\d\d)?$/.test(value) ? '' : 'Z'}`;
  const time = Date.parse(iso);
  return Number.isFinite(time) ? new Date(time).toISOString() : value;
}
