import type { ConnectionInfo, PriceBasis } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/node/log.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import { elapsedCost, priceBasis } from './cost.js';
import { pastQueries, queryDetail } from './history.js';
import { locksNow } from './locks.js';
import type { WarehouseConnections, WarehousePricing } from './ports.js';
import { dailyCost, priceQueries } from './query-cost.js';
import { runningQueries } from './running.js';
import { SystemViews, text } from './system-views.js';
import { fixTable, tableHealth } from './table-health-queries.js';
import { wlmNow } from './wlm.js';

export interface WarehouseDeps {
  connections: WarehouseConnections;
  pricing: WarehousePricing;
  log: Logger;
}

/** A warehouse's shape changes rarely (a resize); DescribeClusters is asked again after this long. */
const PRICE_TTL_MS = 5 * 60_000;

/**
 * Operating a Redshift warehouse from its system views: what runs and waits (with cancel and terminate), sessions
 * and locks, WLM, history with plans and steps, and what queries cost.
 */
export class WarehouseService {
  readonly views: SystemViews;
  private readonly prices = new Map<string, { at: number; price: Promise<PriceBasis | undefined> }>();

  constructor(private readonly deps: WarehouseDeps) {
    this.views = new SystemViews(deps.connections);
  }

  /** SQL text as the app shows it anywhere: secrets masked. */
  private readonly redact = (sql: string) => this.deps.log.redact(sql);

  /** What the connection's warehouse costs, or undefined when its compute or node type cannot be priced. */
  price(connectionId: string, signal: AbortSignal): Promise<PriceBasis | undefined> {
    const known = this.prices.get(connectionId);
    if (known && Date.now() - known.at < PRICE_TTL_MS) return known.price;
    const price = (async () => {
      const info = await this.views.redshift(connectionId, signal);
      const compute = await this.deps.pricing.compute(info, signal);
      return compute && priceBasis(compute, this.deps.pricing);
    })();
    this.prices.set(connectionId, { at: Date.now(), price });
    price.catch((error: unknown) => {
      this.prices.delete(connectionId);
      this.deps.log.warn('warehouse', `Could not price connection ${connectionId}`, error);
    });
    return price;
  }

  /** The price, or no price when asking for it failed: a query list is shown without its cost rather than not at all. */
  private priceIfKnown(connectionId: string, signal: AbortSignal): Promise<PriceBasis | undefined> {
    return this.price(connectionId, signal).catch(() => undefined);
  }

  /** pg_cancel_backend / pg_terminate_backend answer true (or 1) when the signal was sent. */
  private async signal(connectionId: string, fn: 'pg_cancel_backend' | 'pg_terminate_backend', pid: number, signal: AbortSignal) {
    const [row] = await this.views.action(connectionId, `SELECT ${fn}(${pid}) AS signalled`, signal);
    const signalled = /^(t|true|1)$/i.test(text(row?.signalled));
    this.deps.log.info('warehouse', `${fn}(${pid}) on ${connectionId}: ${signalled ? 'sent' : 'no such session'}`);
    return { signalled };
  }

  handlers(): HandlerGroup {
    const { views } = this;
    return {
      'warehouse.running': async ({ connectionId }, { signal }) => {
        // The views' own answer time, not the price's first DescribeClusters.
        const timed = async () => {
          const started = Date.now();
          const queries = await runningQueries(views, connectionId, signal, this.redact);
          return { queries, tookMs: Date.now() - started };
        };
        const [{ queries, tookMs }, price] = await Promise.all([timed(), this.priceIfKnown(connectionId, signal)]);
        return {
          // A query holds the warehouse while it executes, not while it waits in a queue.
          queries: price ? queries.map((q) => ({ ...q, cost: elapsedCost(price, q.executingMs) })) : queries,
          tookMs,
          ...(price ? { price } : {}),
        };
      },
      'warehouse.cancel': ({ connectionId, pid }, { signal }) => this.signal(connectionId, 'pg_cancel_backend', pid, signal),
      'warehouse.terminate': ({ connectionId, pid }, { signal }) => this.signal(connectionId, 'pg_terminate_backend', pid, signal),
      'warehouse.locks': ({ connectionId }, { signal }) =>
        locksNow(views, connectionId, signal, async () => {
          const running = await runningQueries(views, connectionId, signal, this.redact).catch(() => []);
          return new Map(running.map((q) => [q.pid, q.sql]));
        }),
      'warehouse.wlm': async ({ connectionId }, { signal }) => {
        const info = await views.redshift(connectionId, signal);
        if (!(await views.has(connectionId, 'stv_wlm_service_class_config', signal)))
          throw new AppError('NOT_FOUND', `${info.name} has no WLM queues to show (Redshift Serverless manages its own).`);
        return wlmNow(views, connectionId, signal);
      },
      'warehouse.history': async ({ connectionId, view, limit }, { signal }) => {
        const [{ source, queries }, price] = await Promise.all([
          pastQueries(views, connectionId, view, limit, signal, this.redact),
          this.priceIfKnown(connectionId, signal),
        ]);
        if (!price) return { source, queries };
        const held = queries.map((q) => ({
          queryId: q.queryId,
          startedAt: new Date(Date.parse(q.startedAt) + q.queuedMs).toISOString(),
          elapsedMs: Math.max(0, q.elapsedMs - q.queuedMs),
        }));
        // A user who may not read SYS_SERVERLESS_USAGE (a superuser's view) still sees each query's estimate at base RPU.
        const costs = await priceQueries(views, connectionId, price, held, signal).catch(
          () => new Map(held.map((q) => [q.queryId, elapsedCost(price, q.elapsedMs)])),
        );
        return { source, queries: queries.map((q) => ({ ...q, ...(costs.has(q.queryId) ? { cost: costs.get(q.queryId) } : {}) })), price };
      },
      'warehouse.queryDetail': ({ connectionId, queryId }, { signal }) => queryDetail(views, connectionId, queryId, signal, this.redact),
      'warehouse.cost': async ({ connectionId, days }, { signal }) =>
        dailyCost(views, connectionId, await this.pricing(connectionId, signal), days, signal),
      'warehouse.tableHealth': ({ connectionId }, { signal }) => tableHealth(views, connectionId, signal),
      'warehouse.fixTable': async ({ connectionId, tableId, fix }, { signal }) => {
        const result = await fixTable(views, connectionId, tableId, fix, signal);
        this.deps.log.info('warehouse', `Table ${tableId} on ${connectionId}: ${result.statement}`);
        return result;
      },
      'warehouse.runCost': async ({ connectionId, elapsedMs }, { signal }) => {
        const price = await this.pricing(connectionId, signal);
        return { cost: elapsedCost(price, elapsedMs), price };
      },
    };
  }

  private async pricing(connectionId: string, signal: AbortSignal): Promise<PriceBasis> {
    const price = await this.price(connectionId, signal);
    if (!price) {
      const info: ConnectionInfo = await this.views.redshift(connectionId, signal);
      throw new AppError('NOT_FOUND', `The price table has no price for the warehouse behind ${info.name}.`);
    }
    return price;
  }

  dispose(): Promise<void> {
    return this.views.dispose();
  }
}
