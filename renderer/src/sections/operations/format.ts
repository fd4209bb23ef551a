import type { PriceBasis, QueryCost } from '../../../../shared/contract';
import { formatDuration, formatUsd } from '../provision/format';

/** A duration as an operator reads a query's: milliseconds below a second, then seconds, then minutes. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

/** A query's cost; an estimate is marked with ≈. */
export function formatCost(cost: QueryCost | undefined): string {
  if (!cost) return '—';
  // A query of seconds on a cluster costs thousandths of a cent: two significant digits say more than $0.0000.
  const usd =
    cost.usd > 0 && cost.usd < 0.01 ? `$${cost.usd.toFixed(Math.min(10, 1 - Math.floor(Math.log10(cost.usd))))}` : formatUsd(cost.usd);
  return `${cost.estimate ? '≈ ' : ''}${usd}`;
}

/** The line that says where costs come from. */
export function priceLine(price: PriceBasis | undefined): string {
  if (!price) return 'No price for this warehouse: its node type is not in the price table, or its shape could not be read.';
  return `Priced as ${price.describe}; price table of ${price.priceDate} (${price.pricedRegion}).`;
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('en-US');
}

export function formatTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isFinite(time) ? new Date(time).toLocaleString() : iso || '—';
}
