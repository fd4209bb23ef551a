import type { Cell, ColumnMeta, SortKey } from '../../../../shared/contract/operations/workbench';

/** One result as the results pane sees it; the workbench builds it over `results.rows` and `results.view`. */
export interface GridSource {
  columns: ColumnMeta[];
  /** Rows so far; grows while the query runs. */
  total: number;
  complete: boolean;
  /** The result's first rows when they came with it: the grid draws them without a round trip. */
  firstRows?: Cell[][];
  /**
   * Reads a window of rows through the current view. The pane treats a new
   * `fetch` function as a new result and drops what it cached, so keep it
   * stable for the life of one result.
   */
  fetch(offset: number, limit: number): Promise<Cell[][]>;
  /**
   * Applies sort/filter on the server; later fetches read through it. Resolves to the view's row count,
   * or to undefined when a later call superseded this one before its answer came.
   */
  setView(sort: SortKey[], filter?: ViewFilter): Promise<number | undefined>;
}

export interface ViewFilter {
  text: string;
  /** One column, or every column when absent. */
  column?: number;
}

/** The `results.rows` bound: larger windows are refused by the host. */
export const MAX_FETCH_ROWS = 10_000;

export const isNumericKind = (kind: ColumnMeta['kind']): boolean => kind === 'int' || kind === 'decimal' || kind === 'float';

export const formatCount = (n: number): string => n.toLocaleString('en-US');
