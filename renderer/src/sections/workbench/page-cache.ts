import type { Cell } from '../../../../shared/contract/operations/workbench';

export const PAGE_ROWS = 500;
const MAX_PAGES = 60;

type Listener = (firstRow: number, count: number) => void;

/**
 * A bounded cache of 500-row pages of one result view: the grid asks for what
 * is on screen, so memory stays at MAX_PAGES pages however long the result.
 * Map insertion order is the LRU order; `ensure` refreshes it for pages in view.
 */
export class RowPageCache {
  private readonly pages = new Map<number, Cell[][]>();
  private readonly inFlight = new Map<number, Promise<Cell[][]>>();
  private readonly listeners = new Set<Listener>();
  private generation = 0;

  constructor(
    private readonly fetchRows: (offset: number, limit: number) => Promise<Cell[][]>,
    private readonly onError: (error: unknown) => void,
    /** Rows from the start of the result already at hand; a short first page is read again in full when it is in view. */
    firstRows: Cell[][] = [],
  ) {
    if (firstRows.length > 0) this.pages.set(0, firstRows.slice(0, PAGE_ROWS));
  }

  /** Called per painted cell, so it neither fetches nor reorders. */
  row(index: number): Cell[] | undefined {
    return this.pages.get(Math.floor(index / PAGE_ROWS))?.[index % PAGE_ROWS];
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Loads the pages covering rows [first, last] and the page after them (scrolling is mostly forward). */
  ensure(first: number, last: number, total: number): void {
    if (total === 0) return;
    const lastPage = Math.floor(Math.min(last + PAGE_ROWS, total - 1) / PAGE_ROWS);
    for (let page = Math.floor(first / PAGE_ROWS); page <= lastPage; page++) {
      const rows = this.pages.get(page);
      if (rows && !this.isStale(page, rows, total)) {
        this.pages.delete(page);
        this.pages.set(page, rows);
      } else this.load(page, total).catch(this.onError);
    }
  }

  /** Rows [first, first + count), from the cache where it has them. */
  async read(first: number, count: number, total: number): Promise<Cell[][]> {
    const out: Cell[][] = [];
    const end = Math.min(first + count, total);
    for (let page = Math.floor(first / PAGE_ROWS); page * PAGE_ROWS < end; page++) {
      const cached = this.pages.get(page);
      const rows = cached && !this.isStale(page, cached, total) ? cached : await this.load(page, total);
      const from = Math.max(first - page * PAGE_ROWS, 0);
      out.push(...rows.slice(from, end - page * PAGE_ROWS));
    }
    return out;
  }

  /** Whether every row in [first, first + count) is cached now. */
  has(first: number, count: number): boolean {
    for (let page = Math.floor(first / PAGE_ROWS); page * PAGE_ROWS < first + count; page++) {
      const rows = this.pages.get(page);
      if (!rows || page * PAGE_ROWS + rows.length < Math.min((page + 1) * PAGE_ROWS, first + count)) return false;
    }
    return true;
  }

  /** After a sort or filter every cached row is in the wrong place. */
  reset(): void {
    this.generation++;
    this.pages.clear();
    this.inFlight.clear();
  }

  /** A page read while the result was shorter than it is now. */
  private isStale(page: number, rows: Cell[][], total: number): boolean {
    return rows.length < PAGE_ROWS && page * PAGE_ROWS + rows.length < total;
  }

  private load(page: number, total: number): Promise<Cell[][]> {
    const pending = this.inFlight.get(page);
    if (pending) return pending;
    const generation = this.generation;
    const first = page * PAGE_ROWS;
    const request = this.fetchRows(first, Math.min(PAGE_ROWS, total - first)).finally(() => {
      if (generation === this.generation) this.inFlight.delete(page);
    });
    this.inFlight.set(page, request);
    return request.then((rows) => {
      if (generation !== this.generation) return rows;
      this.pages.set(page, rows);
      while (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
      for (const listener of this.listeners) listener(first, rows.length);
      return rows;
    });
  }
}
