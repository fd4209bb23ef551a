import type { PriceBasis, QueryCost } from '../../../shared/contract/index.js';
import type { WarehouseCompute, WarehousePricing } from './ports.js';

const HOUR_MS = 3_600_000;
const money = (usd: number) => `$${usd < 1 ? usd.toFixed(3) : usd.toFixed(2)}`;

/** What a warehouse costs, from its compute and the dated price table; undefined when the table lacks its node type. */
export function priceBasis(
  compute: WarehouseCompute,
  pricing: Pick<WarehousePricing, 'nodePrice' | 'rpuPrice' | 'priceDate'>,
): PriceBasis | undefined {
  if (compute.kind === 'cluster') {
    const node = pricing.nodePrice(compute.region, compute.nodeType);
    if (!node) return undefined;
    return {
      kind: 'cluster',
      describe: `${compute.count} × ${compute.nodeType} at ${money(node.usd)}/h each${compute.assumed ? ` (${compute.assumed})` : ''}`,
      hourlyUsd: node.usd * compute.count,
      priceDate: pricing.priceDate,
      pricedRegion: node.pricedRegion,
    };
  }
  const rpu = pricing.rpuPrice(compute.region);
  return {
    kind: 'serverless',
    describe: `Serverless, base ${compute.baseRpu} RPU, at ${money(rpu.rpuHour)} per RPU-hour`,
    rpuHourUsd: rpu.rpuHour,
    baseRpu: compute.baseRpu,
    minimumChargeSeconds: rpu.minimumChargeSeconds,
    priceDate: pricing.priceDate,
    pricedRegion: rpu.pricedRegion,
  };
}

/**
 * A query's cost from its elapsed time: on a cluster, its $/hour over the time the query held it; on Serverless,
 * an estimate at the base RPU (billed at least the minimum), for when the usage windows cannot say yet.
 */
export function elapsedCost(price: PriceBasis, elapsedMs: number): QueryCost {
  if (price.kind === 'cluster') return { usd: ((price.hourlyUsd ?? 0) * elapsedMs) / HOUR_MS };
  const seconds = Math.max(elapsedMs / 1000, price.minimumChargeSeconds ?? 0);
  const rpuSeconds = seconds * (price.baseRpu ?? 0);
  return { usd: (rpuSeconds / 3600) * (price.rpuHourUsd ?? 0), rpuSeconds, estimate: true };
}

/** One of sys_serverless_usage's windows (ms since the epoch) and the RPU-seconds charged in it. */
export interface UsageWindow {
  start: number;
  end: number;
  chargedSeconds: number;
}

export interface QueryInterval {
  id: string;
  start: number;
  end: number;
}

const overlap = (q: QueryInterval, w: UsageWindow) => Math.max(0, Math.min(q.end, w.end) - Math.max(q.start, w.start));

/**
 * Each query's share of the RPU-seconds charged in the windows it ran in: a window's charge is split between the
 * queries that ran in it by how long each ran inside it. `others` are the rest of the window's queries (they take
 * their share but are not priced). A query in no charged window costs nothing.
 */
export function serverlessShares(
  priced: QueryInterval[],
  others: QueryInterval[],
  windows: UsageWindow[],
  rpuHourUsd: number,
): Map<string, QueryCost> {
  const everyone = [...priced, ...others.filter((o) => !priced.some((p) => p.id === o.id))];
  const shares = new Map<string, number>(priced.map((q) => [q.id, 0]));
  for (const window of windows) {
    const total = everyone.reduce((sum, q) => sum + overlap(q, window), 0);
    if (total <= 0 || window.chargedSeconds <= 0) continue;
    for (const q of priced) shares.set(q.id, shares.get(q.id)! + (window.chargedSeconds * overlap(q, window)) / total);
  }
  return new Map([...shares].map(([id, rpuSeconds]) => [id, { usd: (rpuSeconds / 3600) * rpuHourUsd, rpuSeconds }]));
}

/** Every UTC day of the last `days` up to today's (`now`), oldest first, with its money and queries (0 on a quiet day). */
export function calendar(
  days: number,
  now: number,
  usd: ReadonlyMap<string, number>,
  queries: ReadonlyMap<string, number>,
): { day: string; usd: number; queries: number }[] {
  const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10);
    return { day, usd: usd.get(day) ?? 0, queries: queries.get(day) ?? 0 };
  });
}
