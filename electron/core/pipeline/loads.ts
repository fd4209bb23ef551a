import type { Cell, ConnectionInfo, LoadHistoryEntry } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { queryRows, type Engine } from '../engines/engine.js';

/** Where the look-up runs: an engine of its own for a saved connection (the workbench's connections). */
export interface LookupEngines {
  once<T>(id: string, signal: AbortSignal, use: (engine: Engine, info: ConnectionInfo) => Promise<T>): Promise<T>;
}

/**
 * SYS_LOAD_HISTORY is the warehouse's own record of every COPY, so the
 * pipeline's Redshift stage shows loads whoever ran them, not only this app's.
 */
export function loadHistoryQuery(limit: number): string {
  // The first error of each load, so a failed one shows why (a join, not a correlated subquery: Redshift refuses those here).
  return `SELECT h.query_id, h.status, trim(h.table_name), trim(h.database_name), h.start_time, h.end_time, h.loaded_rows, h.error_count,
  trim(h.data_source), trim(h.file_format), trim(e.error_message)
FROM sys_load_history h
LEFT JOIN (SELECT query_id, min(error_message) AS error_message FROM sys_load_error_detail GROUP BY query_id) e ON e.query_id = h.query_id
ORDER BY h.start_time DESC, h.query_id DESC
LIMIT ${limit}`;
}

/** Redshift prints timestamps in UTC without a zone: 2026-11-27 08:41:07.123456. */
function isoTime(text: Cell): string | undefined {
  if (!text) return undefined;
  const parsed = Date.parse(`${text.trim().replace(' ', 'T')}Z`);
  return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString();
}

export function loadEntry(row: Cell[]): LoadHistoryEntry {
  const [queryId, status, table, database, start, end, rows, errors, source, format, error] = row;
  const endTime = isoTime(end ?? null);
  return {
    queryId: queryId ?? '',
    status: (status ?? '').trim().toLowerCase(),
    table: table ?? '',
    ...(database ? { database } : {}),
    startTime: isoTime(start ?? null) ?? '',
    ...(endTime ? { endTime } : {}),
    rows: Number(rows ?? 0),
    errors: Number(errors ?? 0),
    ...(source ? { source } : {}),
    ...(format ? { format } : {}),
    ...(error ? { error } : {}),
  };
}

export async function loadHistory(
  engines: LookupEngines,
  connectionId: string,
  limit: number,
  signal: AbortSignal,
): Promise<LoadHistoryEntry[]> {
  return engines.once(connectionId, signal, async (engine, info) => {
    if (engine.dialect !== 'redshift')
      throw new AppError('VALIDATION', `${info.name} is a Spark SQL connection; load history is Redshift's (pick a Redshift connection).`);
    const rows = await queryRows(engine, loadHistoryQuery(limit), signal).catch((error: unknown) => {
      throw new AppError(
        'UNAVAILABLE',
        `Could not read SYS_LOAD_HISTORY on ${info.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    return rows.map(loadEntry);
  });
}
