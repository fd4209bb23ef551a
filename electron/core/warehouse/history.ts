import type { HistoryAnswer, HistoryView, PastQuery, QueryDetailAnswer } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { planTree } from './plan-rows.js';
import { num, OWN_QUERY_MARK, text, utc, type SystemViews, type ViewRow } from './system-views.js';

type Redact = (sql: string) => string;

const NOT_OURS = (column: string) => `${column} NOT LIKE '${OWN_QUERY_MARK}%'`;

const SYS_VIEWS: Record<HistoryView, { where: string; order: string }> = {
  recent: { where: 'TRUE', order: 'h.start_time DESC' },
  slowest: { where: "h.status = 'success'", order: 'h.elapsed_time DESC' },
  queued: { where: 'h.queue_time > 0', order: 'h.queue_time DESC' },
  failed: { where: "h.status = 'failed'", order: 'h.start_time DESC' },
};

const STL_VIEWS: Record<HistoryView, { where: string; order: string }> = {
  recent: { where: 'TRUE', order: 'q.starttime DESC' },
  slowest: { where: 'q.aborted = 0', order: 'elapsed_time DESC' },
  // STL_QUERY keeps no queue time: its most queued are its slowest.
  queued: { where: 'TRUE', order: 'elapsed_time DESC' },
  failed: { where: 'q.aborted = 1', order: 'q.starttime DESC' },
};

/** Which history the connection keeps: SYS_QUERY_HISTORY, or STL_QUERY on a cluster from before it. */
export async function historySource(views: SystemViews, connectionId: string, signal: AbortSignal): Promise<HistoryAnswer['source']> {
  return (await views.has(connectionId, 'sys_query_history', signal)) ? 'sys_query_history' : 'stl_query';
}

export async function pastQueries(
  views: SystemViews,
  connectionId: string,
  view: HistoryView,
  limit: number,
  signal: AbortSignal,
  redact: Redact,
): Promise<{ source: HistoryAnswer['source']; queries: PastQuery[] }> {
  const source = await historySource(views, connectionId, signal);
  const sql =
    source === 'sys_query_history'
      ? `SELECT h.query_id, h.session_id AS pid, COALESCE(u.usename, h.user_id::varchar) AS user_name, h.status, h.start_time, h.end_time,
                h.elapsed_time, h.queue_time, h.returned_rows, h.error_message, h.query_text
           FROM sys_query_history h LEFT JOIN pg_user u ON u.usesysid = h.user_id
          WHERE ${NOT_OURS('h.query_text')} AND ${SYS_VIEWS[view].where}
          ORDER BY ${SYS_VIEWS[view].order} LIMIT ${limit}`
      : `SELECT q.query AS query_id, q.pid, COALESCE(u.usename, q.userid::varchar) AS user_name,
                CASE WHEN q.aborted = 1 THEN 'failed' ELSE 'success' END AS status, q.starttime AS start_time, q.endtime AS end_time,
                DATEDIFF(millisecond, q.starttime, q.endtime) * 1000 AS elapsed_time, 0 AS queue_time, NULL AS returned_rows,
                NULL AS error_message, q.querytxt AS query_text
           FROM stl_query q LEFT JOIN pg_user u ON u.usesysid = q.userid
          WHERE ${NOT_OURS('q.querytxt')} AND ${STL_VIEWS[view].where}
          ORDER BY ${STL_VIEWS[view].order} LIMIT ${limit}`;
  const rows = await views.rows(connectionId, sql, signal);
  return { source, queries: rows.map((row) => past(row, redact)) };
}

function past(row: ViewRow, redact: Redact): PastQuery {
  const startedAt = utc(row.start_time);
  const ended = utc(row.end_time);
  const elapsedMs = num(row.elapsed_time) / 1000 || (ended ? Math.max(0, Date.parse(ended) - Date.parse(startedAt)) : 0);
  const error = text(row.error_message);
  return {
    queryId: text(row.query_id),
    pid: row.pid === null ? null : num(row.pid),
    user: text(row.user_name),
    status: text(row.status),
    startedAt,
    elapsedMs,
    queuedMs: num(row.queue_time) / 1000,
    rows: row.returned_rows === null || row.returned_rows === undefined ? null : num(row.returned_rows),
    error: error ? redact(error) : null,
    sql: redact(text(row.query_text)),
  };
}

/** A past query's plan as a tree and its steps, from the SYS_* views or, on an older cluster, STL_EXPLAIN and SVL_QUERY_SUMMARY. */
export async function queryDetail(
  views: SystemViews,
  connectionId: string,
  queryId: string,
  signal: AbortSignal,
  redact: Redact,
): Promise<QueryDetailAnswer> {
  const sys = (await historySource(views, connectionId, signal)) === 'sys_query_history';
  const id = BigInt(queryId).toString();
  const [textRows, planRows, stepRows] = await Promise.all([
    views.rows(
      connectionId,
      sys
        ? `SELECT query_text FROM sys_query_history WHERE query_id = ${id}`
        : `SELECT querytxt AS query_text FROM stl_query WHERE query = ${id}`,
      signal,
    ),
    views.rows(
      connectionId,
      sys
        ? `SELECT plan_node_id AS id, plan_parent_id AS parent, plan_node AS label, plan_info AS info FROM sys_query_explain
            WHERE query_id = ${id} ORDER BY child_query_sequence, plan_node_id`
        : `SELECT nodeid AS id, parentid AS parent, plannode AS label, info FROM stl_explain WHERE query = ${id} ORDER BY nodeid`,
      signal,
    ),
    views.rows(
      connectionId,
      sys
        ? `SELECT stream_id AS stream, segment_id AS segment, step_id AS step, TRIM(step_name) AS name, TRIM(table_name) AS table_name,
                  duration, output_rows AS rows, output_bytes AS bytes, spilled_block_local_disk AS spilled, TRIM(alert) AS alert
             FROM sys_query_detail WHERE query_id = ${id} ORDER BY stream_id, segment_id, step_id`
        : `SELECT stm AS stream, seg AS segment, step, TRIM(label) AS name, NULL AS table_name, maxtime AS duration, rows, bytes,
                  CASE WHEN is_diskbased = 't' THEN 1 ELSE 0 END AS spilled, NULL AS alert
             FROM svl_query_summary WHERE query = ${id} ORDER BY stm, seg, step`,
      signal,
    ),
  ]);
  if (textRows.length === 0) throw new AppError('NOT_FOUND', `Query ${queryId} is not in the warehouse’s history.`);
  return {
    queryId,
    sql: redact(text(textRows[0]!.query_text)),
    plan: planTree(
      planRows.map((row) => ({
        id: num(row.id),
        parent: row.parent === null ? null : num(row.parent),
        label: text(row.label),
        info: text(row.info),
      })),
    ),
    steps: stepRows.map((row) => ({
      stream: row.stream === null ? null : num(row.stream),
      segment: num(row.segment),
      step: num(row.step),
      name: text(row.name),
      table: text(row.table_name) || null,
      durationMs: row.duration === null ? null : num(row.duration) / 1000,
      rows: row.rows === null ? null : num(row.rows),
      bytes: row.bytes === null ? null : num(row.bytes),
      diskBased: num(row.spilled) > 0,
      alert: text(row.alert) || null,
    })),
    source: sys ? 'sys_query_explain, sys_query_detail' : 'stl_explain, svl_query_summary',
  };
}
