import type { RunningQuery } from '../../../shared/contract/index.js';
import { num, text, utc, type SystemViews, type ViewRow } from './system-views.js';

/**
 * What runs and waits, from SYS_QUERY_HISTORY (Redshift's current view, also on Serverless), its user named from
 * pg_user; the app's own session is left out. A cluster without it is read from STV_RECENTS, STV_INFLIGHT and
 * STV_WLM_QUERY_STATE instead.
 */
const FROM_SYS = `SELECT h.query_id, h.session_id AS pid, COALESCE(u.usename, h.user_id::varchar) AS user_name,
       COALESCE(NULLIF(TRIM(h.service_class_name), ''), h.service_class_id::varchar) AS queue, h.status, h.start_time,
       h.queue_time, h.execution_time, h.elapsed_time, h.returned_rows, h.query_text
  FROM sys_query_history h LEFT JOIN pg_user u ON u.usesysid = h.user_id
 WHERE h.status IN ('planning', 'queued', 'running', 'returning') AND h.session_id <> pg_backend_pid()
 ORDER BY h.start_time`;

const FROM_STV = `SELECT COALESCE(i.query, w.query) AS query_id, r.pid, TRIM(r.user_name) AS user_name, w.service_class::varchar AS queue,
       COALESCE(TRIM(w.state), TRIM(r.status)) AS status, r.starttime AS start_time, w.queue_time, w.exec_time AS execution_time,
       r.duration AS elapsed_time, NULL AS returned_rows, r.query AS query_text
  FROM stv_recents r
  LEFT JOIN (SELECT pid, MAX(query) AS query FROM stv_inflight GROUP BY pid) i ON i.pid = r.pid
  LEFT JOIN stv_wlm_query_state w ON w.query = i.query
 WHERE TRIM(r.status) = 'Running' AND r.pid <> pg_backend_pid()
 ORDER BY r.starttime`;

export async function runningQueries(
  views: SystemViews,
  connectionId: string,
  signal: AbortSignal,
  redact: (sql: string) => string,
): Promise<RunningQuery[]> {
  const sql = (await views.has(connectionId, 'sys_query_history', signal)) ? FROM_SYS : FROM_STV;
  const rows = await views.rows(connectionId, sql, signal);
  const now = Date.now();
  return rows.map((row) => running(row, now, redact));
}

function running(row: ViewRow, now: number, redact: (sql: string) => string): RunningQuery {
  const startedAt = utc(row.start_time);
  const queuedMs = num(row.queue_time) / 1000;
  const state = text(row.status);
  const queued = /queue/i.test(state);
  // A running statement's execution_time may still be 0: its time so far is the wall clock less its queueing.
  const elapsedMs = num(row.elapsed_time) / 1000 || Math.max(0, now - Date.parse(startedAt));
  const executingMs = queued ? 0 : num(row.execution_time) / 1000 || Math.max(0, elapsedMs - queuedMs);
  return {
    queryId: text(row.query_id) || '—',
    pid: num(row.pid),
    user: text(row.user_name),
    queue: text(row.queue),
    state: state.charAt(0).toUpperCase() + state.slice(1),
    startedAt,
    queuedMs: queued ? Math.max(queuedMs, elapsedMs) : queuedMs,
    executingMs,
    rows: row.returned_rows === null || row.returned_rows === undefined ? null : num(row.returned_rows),
    sql: redact(text(row.query_text)),
  };
}
