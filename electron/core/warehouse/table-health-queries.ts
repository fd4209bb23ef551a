import type { Cell, NodeDisk, TableFixKind, TableFixResult, TableHealth, TableHealthRow } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { redshiftLiteral } from '../../../shared/sql/literal.js';
import { num, text, type SystemViews, type ViewRow } from './system-views.js';
import {
  betterDistkey,
  byTrouble,
  diskWarning,
  distributionKey,
  healthRow,
  tableProblems,
  type ColumnStats,
  type TableInfo,
} from './table-health.js';

const TABLE_INFO = `SELECT table_id, "schema", "table", encoded, diststyle, sortkey1, size, pct_used, unsorted, stats_off,
  tbl_rows, skew_rows, estimated_visible_rows FROM svv_table_info`;

/** Per node, as stv_partitions counts it (1 MB blocks, one row per disk). */
const DISK = 'SELECT owner, SUM(used) AS used, SUM(capacity) AS capacity FROM stv_partitions GROUP BY owner ORDER BY owner';

const orNull = (cell: Cell | undefined) => (cell === null || text(cell) === '' ? null : num(cell));

function tableInfo(row: ViewRow): TableInfo {
  return {
    tableId: num(row.table_id),
    schema: text(row.schema),
    table: text(row.table),
    encoded: text(row.encoded) || 'N',
    diststyle: text(row.diststyle),
    sortkey1: text(row.sortkey1) || null,
    size: num(row.size),
    pctUsed: orNull(row.pct_used),
    unsorted: orNull(row.unsorted),
    statsOff: orNull(row.stats_off),
    tblRows: num(row.tbl_rows),
    skewRows: orNull(row.skew_rows),
    estimatedVisibleRows: orNull(row.estimated_visible_rows),
  };
}

/** The most common value's share: pg_stats lists the frequencies most common first, as `{0.9,0.01}`. */
function topFrequency(cell: ViewRow[string]): number | null {
  const first = cell ? /^\{\s*([^,}]+)/.exec(cell)?.[1] : undefined;
  return first === undefined ? null : num(first);
}

async function columnStats(views: SystemViews, connectionId: string, info: TableInfo, signal: AbortSignal): Promise<ColumnStats[]> {
  const rows = await views.rows(
    connectionId,
    `SELECT attname, n_distinct, most_common_freqs FROM pg_stats
      WHERE schemaname = ${redshiftLiteral(info.schema)} AND tablename = ${redshiftLiteral(info.table)}`,
    signal,
  );
  return rows.map((row) => ({
    column: text(row.attname),
    nDistinct: num(row.n_distinct),
    topFrequency: topFrequency(row.most_common_freqs ?? null),
  }));
}

/** A table's row with its problems; the statistics behind a better distribution key are read only for a skewed table. */
async function assess(views: SystemViews, connectionId: string, info: TableInfo, signal: AbortSignal): Promise<TableHealthRow> {
  const first = tableProblems(info);
  if (!first.some((problem) => problem.kind === 'skew')) return healthRow(info, first);
  const stats = await columnStats(views, connectionId, info, signal);
  return healthRow(info, tableProblems(info, betterDistkey(stats, info.tblRows, distributionKey(info.diststyle))));
}

export async function tableHealth(views: SystemViews, connectionId: string, signal: AbortSignal): Promise<TableHealth> {
  const [infos, disk] = await Promise.all([views.rows(connectionId, TABLE_INFO, signal), views.rows(connectionId, DISK, signal)]);
  const tables: TableHealthRow[] = [];
  for (const row of infos) tables.push(await assess(views, connectionId, tableInfo(row), signal));
  tables.sort(byTrouble);
  const nodes: NodeDisk[] = disk.map((row) => ({ node: num(row.owner), usedMb: num(row.used), capacityMb: num(row.capacity) }));
  const used = nodes.reduce((sum, node) => sum + node.usedMb, 0);
  const capacity = nodes.reduce((sum, node) => sum + node.capacityMb, 0);
  const warning = diskWarning(used, capacity, Math.max(0, ...tables.map((table) => table.sizeMb)));
  return warning ? { tables, nodes, diskWarning: warning } : { tables, nodes };
}

async function readTable(views: SystemViews, connectionId: string, tableId: number, signal: AbortSignal) {
  const [row] = await views.rows(connectionId, `${TABLE_INFO} WHERE table_id = ${Math.trunc(tableId)}`, signal);
  return row ? assess(views, connectionId, tableInfo(row), signal) : undefined;
}

/**
 * Runs the fix of `kind` for the table `tableId`, rebuilt here from the catalog: only a fix the table's current
 * problems call for runs, so nothing but these statements on real tables can come of it, whatever the renderer sends.
 * It runs on a connection of its own (VACUUM cannot run inside a transaction block, and a refresh must not wait on it).
 */
export async function fixTable(
  views: SystemViews,
  connectionId: string,
  tableId: number,
  kind: TableFixKind,
  signal: AbortSignal,
): Promise<TableFixResult> {
  const before = await readTable(views, connectionId, tableId, signal);
  if (!before) throw new AppError('NOT_FOUND', `No table with id ${tableId} in svv_table_info: refresh the list.`);
  const problem = before.problems.find((candidate) => candidate.fix.kind === kind);
  if (!problem) throw new AppError('CONFLICT', `${before.schema}.${before.table} has no problem that ${kind} fixes now: refresh the list.`);
  await views.action(connectionId, problem.fix.statement, signal);
  const after = await readTable(views, connectionId, tableId, signal);
  return after ? { statement: problem.fix.statement, before, after } : { statement: problem.fix.statement, before };
}
