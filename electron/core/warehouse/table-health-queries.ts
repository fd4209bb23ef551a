import type { Cell } from '../../../shared/contract/index.js';
import type {
  NodeDisk,
  TableFixKind,
  TableFixResult,
  TableHealth,
  TableHealthRow,
} from '../../../shared/contract/operations/table-health.js';
import { AppError } from '../../../shared/errors.js';
import { redshiftLiteral } from '../../../shared/sql/literal.js';
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

/** Every row of one system-view query, each value the server's text. */
export type SystemQuery = (sql: string, signal: AbortSignal) => Promise<Cell[][]>;

const TABLE_INFO = `SELECT table_id, "schema", "table", encoded, diststyle, sortkey1, size, pct_used, unsorted, stats_off,
  tbl_rows, skew_rows, estimated_visible_rows FROM svv_table_info`;

/** Per node, as stv_partitions counts it (1 MB blocks; one row per disk). */
const DISK = 'SELECT owner, SUM(used), SUM(capacity) FROM stv_partitions GROUP BY owner ORDER BY owner';

const num = (cell: Cell | undefined) => (cell === null || cell === undefined ? null : Number(cell));

function tableInfo(row: Cell[]): TableInfo {
  return {
    tableId: Number(row[0]),
    schema: (row[1] ?? '').trim(),
    table: (row[2] ?? '').trim(),
    encoded: row[3] ?? 'N',
    diststyle: (row[4] ?? '').trim(),
    sortkey1: row[5]?.trim() || null,
    size: num(row[6]) ?? 0,
    pctUsed: num(row[7]),
    unsorted: num(row[8]),
    statsOff: num(row[9]),
    tblRows: num(row[10]) ?? 0,
    skewRows: num(row[11]),
    estimatedVisibleRows: num(row[12]),
  };
}

/** The most common value's share: PostgreSQL (and Redshift's pg_stats) list the frequencies most common first. */
function topFrequency(cell: Cell): number | null {
  const first = cell ? /^\{\s*([^,}]+)/.exec(cell)?.[1] : undefined;
  return first === undefined ? null : Number(first);
}

async function columnStats(query: SystemQuery, info: TableInfo, signal: AbortSignal): Promise<ColumnStats[]> {
  const rows = await query(
    `SELECT attname, n_distinct, most_common_freqs FROM pg_stats WHERE schemaname = ${redshiftLiteral(info.schema)} AND tablename = ${redshiftLiteral(info.table)}`,
    signal,
  );
  return rows.map((row) => ({ column: row[0] ?? '', nDistinct: Number(row[1] ?? 0), topFrequency: topFrequency(row[2] ?? null) }));
}

/** A table's row with its problems; the statistics behind a better distribution key are read only for a skewed table. */
async function assess(query: SystemQuery, info: TableInfo, signal: AbortSignal): Promise<TableHealthRow> {
  const first = tableProblems(info);
  if (!first.some((problem) => problem.kind === 'skew')) return healthRow(info, first);
  const key = betterDistkey(await columnStats(query, info, signal), info.tblRows, distributionKey(info.diststyle));
  return healthRow(info, tableProblems(info, key));
}

export async function readTableHealth(query: SystemQuery, signal: AbortSignal): Promise<TableHealth> {
  const [infos, disk] = await Promise.all([query(TABLE_INFO, signal), query(DISK, signal)]);
  const tables: TableHealthRow[] = [];
  for (const row of infos) tables.push(await assess(query, tableInfo(row), signal));
  tables.sort(byTrouble);
  const nodes: NodeDisk[] = disk.map((row) => ({ node: Number(row[0]), usedMb: Number(row[1] ?? 0), capacityMb: Number(row[2] ?? 0) }));
  const used = nodes.reduce((sum, node) => sum + node.usedMb, 0);
  const capacity = nodes.reduce((sum, node) => sum + node.capacityMb, 0);
  const warning = diskWarning(used, capacity, Math.max(0, ...tables.map((table) => table.sizeMb)));
  return warning ? { tables, nodes, diskWarning: warning } : { tables, nodes };
}

async function readTable(query: SystemQuery, tableId: number, signal: AbortSignal): Promise<TableHealthRow | undefined> {
  const [row] = await query(`${TABLE_INFO} WHERE table_id = ${Math.trunc(tableId)}`, signal);
  return row ? assess(query, tableInfo(row), signal) : undefined;
}

/**
 * Runs the fix of `kind` for the table `tableId`, rebuilt here from the catalog: only a fix the table's
 * current problems call for runs, so nothing but these statements on real tables can come of it.
 * `execute` runs the statement (its own connection: VACUUM cannot run inside a transaction block).
 */
export async function fixTable(
  query: SystemQuery,
  execute: (sql: string, signal: AbortSignal) => Promise<void>,
  tableId: number,
  kind: TableFixKind,
  signal: AbortSignal,
): Promise<TableFixResult> {
  const before = await readTable(query, tableId, signal);
  if (!before) throw new AppError('NOT_FOUND', `No table with id ${tableId} in svv_table_info.`);
  const problem = before.problems.find((candidate) => candidate.fix.kind === kind);
  if (!problem) {
    throw new AppError('CONFLICT', `${before.schema}.${before.table} has no problem that ${kind} fixes now; refresh the list.`);
  }
  await execute(problem.fix.statement, signal);
  const after = await readTable(query, tableId, signal);
  return after ? { statement: problem.fix.statement, before, after } : { statement: problem.fix.statement, before };
}
