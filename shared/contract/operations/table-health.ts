import { z } from 'zod';

/**
 * The fixes table health proposes. The renderer names one by kind and the table by its oid;
 * the core rebuilds the statement from the catalog, so no SQL text crosses from the renderer.
 */
export const tableFixKinds = ['vacuum-sort', 'vacuum-delete', 'analyze', 'alter-distkey', 'diststyle-even', 'encode-auto'] as const;
export type TableFixKind = (typeof tableFixKinds)[number];
export const tableFixKindSchema = z.enum(tableFixKinds);

export type TableProblemKind = 'skew' | 'unsorted' | 'stale-stats' | 'deleted-rows' | 'unencoded';

export interface TableFix {
  kind: TableFixKind;
  /** Exactly what runs, shown before it does. */
  statement: string;
}

export interface TableProblem {
  kind: TableProblemKind;
  /** The measure as svv_table_info has it (skew_rows, unsorted, stats_off, …) and its threshold. */
  measure: string;
  value: number;
  threshold: number;
  /** One sentence for the operator: what is wrong and where the threshold comes from. */
  reason: string;
  fix: TableFix;
}

export interface TableHealthRow {
  tableId: number;
  schema: string;
  table: string;
  /** 1 MB blocks, as svv_table_info counts size. */
  sizeMb: number;
  rows: number;
  /** Rows in the fullest slice ÷ rows in the emptiest; null without rows. */
  skewRows: number | null;
  /** Percent; null for a table without a sort key. */
  unsorted: number | null;
  statsOff: number | null;
  diststyle: string;
  sortkey: string | null;
  encoded: boolean;
  /** Share of the warehouse's disk the table takes, percent. */
  pctUsed: number | null;
  /** Worst first; empty for a healthy table. */
  problems: TableProblem[];
}

export interface NodeDisk {
  node: number;
  usedMb: number;
  capacityMb: number;
}

export interface TableHealth {
  /** Most trouble first. */
  tables: TableHealthRow[];
  nodes: NodeDisk[];
  /** Set when the disk is fuller than AWS advises: why, in one sentence. */
  diskWarning?: string;
}

export interface TableFixResult {
  statement: string;
  before: TableHealthRow;
  /** Absent when the statement removed the table from svv_table_info (it never should). */
  after?: TableHealthRow;
}
