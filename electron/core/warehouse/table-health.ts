import type {
  TableFix,
  TableFixKind,
  TableHealthRow,
  TableProblem,
  TableProblemKind,
} from '../../../shared/contract/operations/table-health.js';
import { redshiftIdent } from '../../../shared/sql/literal.js';

/**
 * AWS's published thresholds.
 * - skew_rows ≥ 4: "If a table has a skew value of 4.00 or higher, consider modifying its data
 *   distribution style", and pct_unsorted > 20 → VACUUM, both from
 *   https://docs.aws.amazon.com/redshift/latest/dg/identify-tables-with-data-skew-or-unsorted-rows.html
 * - stats_off > 10: ANALYZE skips a table with fewer than analyze_threshold_percent (default 10) of
 *   its rows changed, https://docs.aws.amazon.com/redshift/latest/dg/r_analyze_threshold_percent.html
 * - VACUUM's default threshold is 95 percent (sort skipped when more than 95% of rows are sorted;
 *   delete phase when at least 5% are marked deleted),
 *   https://docs.aws.amazon.com/redshift/latest/dg/r_VACUUM_command.html
 * - disk: keep free space of at least 2.5 times the largest table (same page as skew).
 */
export const THRESHOLDS = {
  skewRows: 4,
  unsortedPercent: 20,
  statsOffPercent: 10,
  vacuumPercent: 95,
  deletedPercent: 100 - 95,
  freeSpaceTimesLargestTable: 2.5,
} as const;

/**
 * Worst first. Skew comes first because Redshift never corrects it by itself and every query on the
 * table waits for its fullest slice; unsorted rows make range-restricted scans read every block;
 * deleted rows are still scanned; stale statistics mislead the planner (auto-analyze catches up);
 * an unencoded table only costs disk.
 */
const TIER: Record<TableProblemKind, number> = { skew: 0, unsorted: 1, 'deleted-rows': 2, 'stale-stats': 3, unencoded: 4 };

/** One svv_table_info row, its numbers parsed. */
export interface TableInfo {
  tableId: number;
  schema: string;
  table: string;
  encoded: string;
  diststyle: string;
  sortkey1: string | null;
  size: number;
  pctUsed: number | null;
  unsorted: number | null;
  statsOff: number | null;
  tblRows: number;
  skewRows: number | null;
  estimatedVisibleRows: number | null;
}

export interface TableRef {
  schema: string;
  table: string;
}

export function qualifiedName(ref: TableRef): string {
  return `${redshiftIdent(ref.schema)}.${redshiftIdent(ref.table)}`;
}

/** The distribution key a KEY or AUTO(KEY(c)) style names, or null. */
export function distributionKey(diststyle: string): string | null {
  const match = /KEY\((.+)\)/.exec(diststyle);
  return match ? match[1]!.replace(/\)+$/, '') : null;
}

/** The statement that applies a fix; `distkey` only for 'alter-distkey'. */
export function fixStatement(kind: TableFixKind, ref: TableRef, distkey?: string): string {
  const name = qualifiedName(ref);
  switch (kind) {
    case 'vacuum-sort':
      return `VACUUM SORT ONLY ${name} TO ${THRESHOLDS.vacuumPercent} PERCENT`;
    case 'vacuum-delete':
      return `VACUUM DELETE ONLY ${name} TO ${THRESHOLDS.vacuumPercent} PERCENT`;
    case 'analyze':
      return `ANALYZE ${name}`;
    case 'alter-distkey':
      if (!distkey) throw new Error('ALTER DISTKEY needs a column');
      return `ALTER TABLE ${name} ALTER DISTKEY ${redshiftIdent(distkey)}`;
    case 'diststyle-even':
      return `ALTER TABLE ${name} ALTER DISTSTYLE EVEN`;
    case 'encode-auto':
      return `ALTER TABLE ${name} ALTER ENCODE AUTO`;
  }
}

/** What pg_stats says of one column. */
export interface ColumnStats {
  column: string;
  /** PostgreSQL's convention: negative is minus the share of rows that are distinct. */
  nDistinct: number;
  /** The most common value's share of rows; null when no value is more common than the rest. */
  topFrequency: number | null;
}

/** A key spreads evenly only if no value holds more than 1% of rows and there are enough values for any cluster's slices. */
const CANDIDATE_MAX_TOP_FREQUENCY = 0.01;
const CANDIDATE_MIN_DISTINCT = 1000;

/**
 * A better distribution key for a skewed table: of the other columns whose values spread evenly
 * (see above), the one with the most distinct values; null when none qualifies, and then the
 * proposal is DISTSTYLE EVEN (no join co-location, but no skew either).
 */
export function betterDistkey(columns: ColumnStats[], rows: number, currentKey: string | null): string | null {
  let best: { column: string; distinct: number } | null = null;
  for (const stats of columns) {
    if (stats.column === currentKey) continue;
    const distinct = stats.nDistinct < 0 ? -stats.nDistinct * rows : stats.nDistinct;
    if (distinct < CANDIDATE_MIN_DISTINCT || (stats.topFrequency ?? 0) > CANDIDATE_MAX_TOP_FREQUENCY) continue;
    if (!best || distinct > best.distinct) best = { column: stats.column, distinct };
  }
  return best?.column ?? null;
}

const round = (value: number) => Math.round(value * 100) / 100;

/** The table's problems, worst first, each with the statement that fixes it. */
export function tableProblems(info: TableInfo, distkey: string | null = null): TableProblem[] {
  const problems: TableProblem[] = [];
  const fix = (kind: TableFixKind, column?: string): TableFix => ({ kind, statement: fixStatement(kind, info, column) });
  const currentKey = distributionKey(info.diststyle);
  if (currentKey !== null && info.skewRows !== null && info.skewRows >= THRESHOLDS.skewRows) {
    problems.push({
      kind: 'skew',
      measure: 'skew_rows',
      value: info.skewRows,
      threshold: THRESHOLDS.skewRows,
      reason: `The fullest slice holds ${round(info.skewRows)}× the rows of the emptiest (AWS: 4 or more): ${
        distkey ? `${distkey} spreads rows evenly` : 'no column spreads rows evenly, so distribute them round-robin'
      }.`,
      fix: distkey ? fix('alter-distkey', distkey) : fix('diststyle-even'),
    });
  }
  if (info.unsorted !== null && info.unsorted > THRESHOLDS.unsortedPercent) {
    problems.push({
      kind: 'unsorted',
      measure: 'unsorted',
      value: info.unsorted,
      threshold: THRESHOLDS.unsortedPercent,
      reason: `${round(info.unsorted)}% of rows are out of sort key order (AWS: vacuum above 20%).`,
      fix: fix('vacuum-sort'),
    });
  }
  const deleted = deletedPercent(info);
  if (deleted !== null && deleted >= THRESHOLDS.deletedPercent) {
    problems.push({
      kind: 'deleted-rows',
      measure: 'tbl_rows − estimated_visible_rows',
      value: round(deleted),
      threshold: THRESHOLDS.deletedPercent,
      reason: `${round(deleted)}% of rows are deleted but still stored and scanned (VACUUM reclaims at 5% or more).`,
      fix: fix('vacuum-delete'),
    });
  }
  if (info.statsOff !== null && info.statsOff > THRESHOLDS.statsOffPercent) {
    problems.push({
      kind: 'stale-stats',
      measure: 'stats_off',
      value: info.statsOff,
      threshold: THRESHOLDS.statsOffPercent,
      reason: `Statistics are ${round(info.statsOff)}% stale (ANALYZE's default threshold is 10%).`,
      fix: fix('analyze'),
    });
  }
  if (info.encoded.trim().toUpperCase().startsWith('N') && info.tblRows > 0) {
    problems.push({
      kind: 'unencoded',
      measure: 'encoded',
      value: 0,
      threshold: 1,
      reason: 'No column is compressed: ENCODE AUTO lets Redshift choose and maintain encodings.',
      fix: fix('encode-auto'),
    });
  }
  return problems.sort((a, b) => TIER[a.kind] - TIER[b.kind]);
}

function deletedPercent(info: TableInfo): number | null {
  if (info.estimatedVisibleRows === null || info.tblRows <= 0) return null;
  return (Math.max(0, info.tblRows - info.estimatedVisibleRows) / info.tblRows) * 100;
}

export function healthRow(info: TableInfo, problems: TableProblem[]): TableHealthRow {
  return {
    tableId: info.tableId,
    schema: info.schema,
    table: info.table,
    sizeMb: info.size,
    rows: info.tblRows,
    skewRows: info.skewRows,
    unsorted: info.unsorted,
    statsOff: info.statsOff,
    diststyle: info.diststyle,
    sortkey: info.sortkey1,
    encoded: !info.encoded.trim().toUpperCase().startsWith('N'),
    pctUsed: info.pctUsed,
    problems,
  };
}

/** How far past its threshold a problem is. */
function excess(problem: TableProblem): number {
  return problem.value / problem.threshold;
}

/**
 * Most trouble first: by the worst problem's tier, then how far it is past its threshold, then by
 * the number of problems; healthy tables last; ties by size, largest first.
 */
export function byTrouble(a: TableHealthRow, b: TableHealthRow): number {
  const worstA = a.problems[0];
  const worstB = b.problems[0];
  if (worstA && !worstB) return -1;
  if (worstB && !worstA) return 1;
  if (worstA && worstB) {
    if (TIER[worstA.kind] !== TIER[worstB.kind]) return TIER[worstA.kind] - TIER[worstB.kind];
    if (excess(worstA) !== excess(worstB)) return excess(worstB) - excess(worstA);
    if (a.problems.length !== b.problems.length) return b.problems.length - a.problems.length;
  }
  return b.sizeMb - a.sizeMb;
}

/** AWS's advice is free space of at least 2.5 × the largest table (VACUUM and spills need it). */
export function diskWarning(usedMb: number, capacityMb: number, largestTableMb: number): string | undefined {
  const free = capacityMb - usedMb;
  if (capacityMb <= 0 || free >= THRESHOLDS.freeSpaceTimesLargestTable * largestTableMb) return undefined;
  return `Free disk (${free} MB) is less than 2.5 × the largest table (${largestTableMb} MB): VACUUM and queries that spill may run out of space.`;
}
