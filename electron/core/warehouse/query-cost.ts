import type { CostAnswer, PriceBasis, QueryCost } from '../../../shared/contract/index.js';
import { calendar, elapsedCost, serverlessShares, type QueryInterval } from './cost.js';
import { historySource } from './history.js';
import { num, OWN_QUERY_MARK, text, utc, type SystemViews } from './system-views.js';

export interface Priced {
  queryId: string;
  startedAt: string;
  elapsedMs: number;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/**
 * Each query's cost: a cluster's $/hour over its elapsed time; on Serverless its share of the RPU-seconds charged in
 * the SYS_SERVERLESS_USAGE windows it ran in (an estimate at base RPU while no window has been written yet).
 */
export async function priceQueries(
  views: SystemViews,
  connectionId: string,
  price: PriceBasis,
  queries: Priced[],
  signal: AbortSignal,
): Promise<Map<string, QueryCost>> {
  if (price.kind === 'cluster' || queries.length === 0) return new Map(queries.map((q) => [q.queryId, elapsedCost(price, q.elapsedMs)]));
  const intervals: QueryInterval[] = queries.map((q) => ({
    id: q.queryId,
    start: Date.parse(q.startedAt),
    end: Date.parse(q.startedAt) + q.elapsedMs,
  }));
  const from = stamp(Math.min(...intervals.map((q) => q.start)) - 60_000);
  const to = stamp(Math.max(...intervals.map((q) => q.end)) + 60_000);
  const [windows, others] = await Promise.all([
    views.rows(
      connectionId,
      `SELECT start_time, end_time, charged_seconds FROM sys_serverless_usage WHERE end_time >= '${from}' AND start_time <= '${to}'`,
      signal,
    ),
    views.rows(
      connectionId,
      `SELECT query_id, start_time, COALESCE(end_time, GETDATE()) AS end_time FROM sys_query_history WHERE COALESCE(end_time, GETDATE()) >= '${from}' AND start_time <= '${to}'`,
      signal,
    ),
  ]);
  const usage = windows.map((w) => ({
    start: Date.parse(utc(w.start_time)),
    end: Date.parse(utc(w.end_time)),
    chargedSeconds: num(w.charged_seconds),
  }));
  const shares = serverlessShares(
    intervals,
    others.map((o) => ({ id: text(o.query_id), start: Date.parse(utc(o.start_time)), end: Date.parse(utc(o.end_time)) })),
    usage,
    price.rpuHourUsd ?? 0,
  );
  return new Map(
    queries.map((q) => [q.queryId, shares.get(q.queryId)?.rpuSeconds ? shares.get(q.queryId)! : elapsedCost(price, q.elapsedMs)]),
  );
}

/** Money per day over the last `days`: a cluster's queries' shares summed; Serverless's charged RPU-seconds. */
export async function dailyCost(
  views: SystemViews,
  connectionId: string,
  price: PriceBasis,
  days: number,
  signal: AbortSignal,
): Promise<CostAnswer> {
  const sys = (await historySource(views, connectionId, signal)) === 'sys_query_history';
  const since = `DATEADD(day, -${days}, GETDATE())`;
  const perDay = await views.rows(
    connectionId,
    sys
      ? `SELECT DATE_TRUNC('day', start_time) AS day, SUM(elapsed_time - queue_time) AS micros, COUNT(*) AS queries FROM sys_query_history
          WHERE start_time >= ${since} AND query_text NOT LIKE '${OWN_QUERY_MARK}%' GROUP BY 1 ORDER BY 1`
      : `SELECT DATE_TRUNC('day', starttime) AS day, SUM(DATEDIFF(millisecond, starttime, endtime)) * 1000 AS micros, COUNT(*) AS queries
           FROM stl_query WHERE starttime >= ${since} AND querytxt NOT LIKE '${OWN_QUERY_MARK}%' GROUP BY 1 ORDER BY 1`,
    signal,
  );
  const day = (cell: string | null | undefined) => utc(cell).slice(0, 10);
  const queries = new Map(perDay.map((row) => [day(row.day), num(row.queries)]));
  if (price.kind === 'cluster') {
    const usd = new Map(perDay.map((row) => [day(row.day), elapsedCost(price, num(row.micros) / 1000).usd]));
    return {
      days: calendar(days, Date.now(), usd, queries),
      price,
      method: 'Each query’s time on the cluster (elapsed less queued) at the cluster’s $/hour, summed per day (UTC).',
    };
  }
  const charged = await views.rows(
    connectionId,
    `SELECT DATE_TRUNC('day', start_time) AS day, SUM(charged_seconds) AS rpu_seconds FROM sys_serverless_usage WHERE start_time >= ${since} GROUP BY 1 ORDER BY 1`,
    signal,
  );
  const usd = new Map(charged.map((row) => [day(row.day), (num(row.rpu_seconds) / 3600) * (price.rpuHourUsd ?? 0)]));
  return {
    days: calendar(days, Date.now(), usd, queries),
    price,
    method: 'RPU-seconds charged (SYS_SERVERLESS_USAGE) per day (UTC) at the price per RPU-hour.',
  };
}
