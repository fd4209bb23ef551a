// Over ~400 lines on purpose: the store, its spilled chunks, windows and views share one chunk index; sort, filter,
// export and segments, which only read it, are their own modules beside it.
import { randomBytes } from 'node:crypto';
import type { Cell, ColumnMeta, SortKey } from '../../../shared/contract/operations/workbench.js';
import { AppError } from '../../../shared/errors.js';
import { exportRows } from './export.js';
import { filteredOrder, rowFilter, type RowFilter } from './filter.js';
import type { ExportFormat } from './export-file.js';
import { memorySegment, packedSegment, sliceSegment, type Permutation, type Segment } from './segment.js';
import { sortedOrder } from './sort.js';
import { DecodedChunk, encodeChunk, PackedChunk, SpillFile, type SpillLocation } from './spill.js';

/** A chunk closes at whichever comes first; 1 MiB keeps a random window's read small. */
const CHUNK_TEXT_BYTES = 1 << 20;
const CHUNK_MAX_ROWS = 32_768;
/**
 * Newest rows are packed this many at a time, so the engine's row arrays and
 * strings die young (in V8's scavenges) instead of being promoted and waiting
 * for a full collection; a multiple of 8, so pieces join on byte boundaries.
 */
const PIECE_ROWS = 2048;
/** Decoded spilled chunks kept for scrolling back and forth (each about its text size). */
const DECODED_CACHE = 8;
/** Views are row permutations (4-8 bytes a row); a few per result is what a grid uses. */
const MAX_VIEWS = 4;

interface Chunk {
  start: number;
  count: number;
  cost: number;
  /** Present until the spilled copy is on disk. */
  packed: PackedChunk | undefined;
  spilled: SpillLocation | undefined;
}

/** Views are built to the end once started; their scans get a signal that never fires. */
const UNCANCELLED = new AbortController().signal;

interface View {
  /** Absent for the identity (no sort, no filter): the first `total` rows in order. */
  order: Permutation | undefined;
  total: number;
}

export interface ResultSetOptions {
  id: string;
  columns: ColumnMeta[];
  /** Spill directory, created on first spill. */
  dir: string;
  /** Estimated heap bytes of rows held in memory before older rows spill to disk. */
  memoryBytes?: number;
}

/**
 * The rows of one query result. Rows arrive in batches from an engine and
 * stay in memory up to a bound; past it, the oldest chunks go to disk as Arrow
 * IPC record batches and only an index of where they are (and a few decoded
 * chunks) stays, so a 10-million-row result costs about what a small one does.
 * Cells are kept as the engine's text throughout; nothing is turned into a
 * JS number.
 */
export class ResultSet {
  readonly id: string;
  readonly columns: ColumnMeta[];
  private readonly memoryBytes: number;
  private readonly spill: SpillFile;
  private readonly dir: string;
  private readonly chunks: Chunk[] = [];
  /** The newest rows, not yet a chunk: packed pieces, then loose rows (fewer than PIECE_ROWS). */
  private pieces: PackedChunk[] = [];
  private piecesRows = 0;
  private piecesCost = 0;
  private tail: Cell[][] = [];
  private tailCost = 0;
  /** Text of the pieces and the loose rows, for closing the chunk. */
  private tailText = 0;
  private rowCount = 0;
  private textBytes = 0;
  /** Estimated heap bytes of rows in memory, and the part of it whose spill write is under way. */
  private memoryCost = 0;
  private leavingCost = 0;
  /** Chunks before this index have been spilled (or are being written). */
  private nextToSpill = 0;
  private readonly writes = new Set<Promise<void>>();
  private failure: AppError | undefined;
  private done = false;
  private disposed = false;
  private waiters: (() => void)[] = [];
  private readonly decoded = new Map<number, Promise<DecodedChunk>>();
  private readonly views = new Map<string, View>();

  constructor(options: ResultSetOptions) {
    this.id = options.id;
    this.columns = options.columns;
    this.dir = options.dir;
    this.memoryBytes = options.memoryBytes ?? 32 << 20;
    this.spill = new SpillFile(options.dir, options.id);
  }

  get total(): number {
    return this.rowCount;
  }

  get complete(): boolean {
    return this.done;
  }

  get bytes(): number {
    return this.textBytes;
  }

  /** Whether any rows live on disk (for tests and diagnostics). */
  get spilled(): boolean {
    return this.nextToSpill > 0;
  }

  /** Resolves once the rows are accepted; while spill writes are behind it waits (backpressure for the engine). */
  async append(rows: Cell[][]): Promise<void> {
    this.usable();
    if (this.done) throw new AppError('CONFLICT', `Result ${this.id} is already complete; no rows can be added`);
    for (const row of rows) {
      // rowCost and the row's text length in one pass: this runs for every row of every result.
      let cost = 32 + 8 * row.length;
      let text = 0;
      for (const cell of row) {
        if (cell !== null) {
          cost += 24 + cell.length * 2;
          text += cell.length;
        }
      }
      this.tail.push(row);
      this.tailCost += cost;
      this.tailText += text;
      this.memoryCost += cost;
      this.textBytes += text;
      this.rowCount++;
      if (this.tail.length >= PIECE_ROWS) this.packTail();
      if (this.piecesRows + this.tail.length >= CHUNK_MAX_ROWS || this.tailText >= CHUNK_TEXT_BYTES) this.seal();
    }
    this.spillOverflow();
    this.wake();
    while (this.memoryCost > this.memoryBytes && this.writes.size > 0) {
      await Promise.race(this.writes);
      this.usable();
    }
  }

  /** No more rows. Engines call it also when a query fails or is cancelled: the rows so far are the result. */
  async finish(): Promise<void> {
    this.usable();
    if (this.done) return;
    this.seal();
    this.spillOverflow();
    await Promise.all(this.writes);
    this.usable();
    this.done = true;
    this.wake();
  }

  async rows(offset: number, limit: number, view?: string): Promise<Cell[][]> {
    this.usable();
    if (view === undefined) {
      const end = Math.min(offset + limit, this.rowCount);
      const out: Cell[][] = [];
      for (let at = offset; at < end;) {
        const segment = await this.segmentAt(at, true);
        const stop = Math.min(end, segment.start + segment.count);
        for (; at < stop; at++) out.push(segment.row(at - segment.start));
      }
      return out;
    }
    const found = this.findView(view);
    if (!found.order) return this.rows(offset, Math.max(0, Math.min(limit, found.total - offset)));
    const picks = found.order.subarray(offset, Math.min(offset + limit, found.total));
    const out: Cell[][] = [];
    // Consecutive picks often share a chunk; remembering the last one saves the lookups.
    let segment: Segment | undefined;
    for (const index of picks) {
      if (!segment || index < segment.start || index >= segment.start + segment.count) segment = await this.segmentAt(index, true);
      out.push(segment.row(index - segment.start));
    }
    return out;
  }

  /** Rows in a view: what the result had when the view was made, less what its filter left out. */
  viewTotal(view: string): number {
    return this.findView(view).total;
  }

  async view(sort: SortKey[], filter?: { text: string; column?: number }): Promise<{ view: string; total: number }> {
    this.usable();
    if (sort.length > 4) throw new AppError('VALIDATION', 'Sort by at most 4 columns');
    for (const key of sort) this.checkColumn(key.column);
    if (filter?.column !== undefined) this.checkColumn(filter.column);
    const total = this.rowCount;
    const matches = filter ? rowFilter(filter.text, filter.column, this.columns.length) : undefined;
    let order: Permutation | undefined;
    if (sort.length > 0) order = await this.sorted(total, sort, matches);
    else if (matches) order = await filteredOrder(total, this.scan(UNCANCELLED, total), matches);
    const id = `v${randomBytes(8).toString('hex')}`;
    this.views.set(id, { order, total: order ? order.length : total });
    for (const old of this.views.keys()) if (this.views.size > MAX_VIEWS) this.views.delete(old);
    return { view: id, total: order ? order.length : total };
  }

  /**
   * Writes the whole result to `path` (through `<path>.partial`, renamed at
   * the end). CSV and JSON Lines follow the rows as they arrive; Parquet waits
   * for the result to complete, because it settles its column types first.
   */
  async exportTo(
    format: ExportFormat,
    path: string,
    signal: AbortSignal,
    onProgress: (rows: number, bytes: number) => void,
  ): Promise<{ rows: number; bytes: number }> {
    this.usable();
    const source = {
      columns: this.columns,
      scan: (signal: AbortSignal) => this.scan(signal),
      whenComplete: (signal: AbortSignal) => this.whenComplete(signal),
    };
    return exportRows(source, format, path, signal, onProgress);
  }

  /** Deletes spill files; reads and exports under way fail with NOT_FOUND. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.chunks.length = 0;
    this.pieces = [];
    this.tail = [];
    this.decoded.clear();
    this.views.clear();
    this.wake();
    await Promise.allSettled(this.writes);
    await this.spill.delete();
  }

  private usable(): void {
    if (this.disposed) throw new AppError('NOT_FOUND', `That result is gone (${this.id} was released)`);
    if (this.failure) throw this.failure;
  }

  private findView(view: string): View {
    const found = this.views.get(view);
    if (!found) throw new AppError('NOT_FOUND', `That view of result ${this.id} is gone (sort or filter again)`);
    return found;
  }

  private checkColumn(column: number): void {
    if (!Number.isInteger(column) || column < 0 || column >= this.columns.length) {
      throw new AppError('VALIDATION', `Column ${column} does not exist; the result has ${this.columns.length} column(s)`);
    }
  }

  /** The loose rows become a piece, packed by column: a few objects where there were three a row. */
  private packTail(): void {
    if (this.tail.length === 0) return;
    const piece = PackedChunk.pack(this.tail, this.columns.length);
    this.pieces.push(piece);
    this.piecesRows += piece.length;
    this.piecesCost += piece.bytes;
    this.memoryCost += piece.bytes - this.tailCost;
    // A new array, not a cleared one: a segment handed out earlier still reads the old one.
    this.tail = [];
    this.tailCost = 0;
  }

  /** The pieces and loose rows become one chunk, the unit that spills. */
  private seal(): void {
    this.packTail();
    if (this.pieces.length === 0) return;
    const packed = this.pieces.length === 1 ? this.pieces[0]! : PackedChunk.concat(this.pieces);
    this.memoryCost += packed.bytes - this.piecesCost;
    this.chunks.push({ start: this.rowCount - this.piecesRows, count: this.piecesRows, cost: packed.bytes, packed, spilled: undefined });
    this.pieces = [];
    this.piecesRows = 0;
    this.piecesCost = 0;
    this.tailText = 0;
  }

  /** Starts writing the oldest in-memory chunks until what stays is under the bound; the tail never spills. */
  private spillOverflow(): void {
    while (this.memoryCost - this.leavingCost > this.memoryBytes && this.nextToSpill < this.chunks.length) {
      const chunk = this.chunks[this.nextToSpill++]!;
      const { location, written } = this.spill.append(encodeChunk(this.columns, chunk.packed!));
      chunk.spilled = location;
      this.leavingCost += chunk.cost;
      const write: Promise<void> = written.then(
        () => {
          chunk.packed = undefined;
          this.memoryCost -= chunk.cost;
          this.leavingCost -= chunk.cost;
          this.writes.delete(write);
        },
        (error: unknown) => {
          this.failure ??=
            error instanceof AppError
              ? error
              : new AppError('STORAGE', `Cannot spill query results to ${this.dir}: ${(error as Error).message}`);
          this.writes.delete(write);
          this.wake();
        },
      );
      this.writes.add(write);
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new AppError('CANCELLED', 'Cancelled'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  private async whenComplete(signal: AbortSignal): Promise<void> {
    while (!this.done) {
      this.usable();
      await this.changed(signal);
    }
    this.usable();
  }

  /** The chunk (or the in-memory tail) holding row `index`. `cache` keeps a decoded spilled chunk for the next window. */
  private async segmentAt(index: number, cache: boolean): Promise<Segment> {
    this.usable();
    const chunks = this.chunks;
    let low = 0;
    let high = chunks.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const chunk = chunks[mid]!;
      if (index < chunk.start) high = mid - 1;
      else if (index >= chunk.start + chunk.count) low = mid + 1;
      else return this.chunkSegment(mid, chunk, cache);
    }
    let start = this.rowCount - this.piecesRows - this.tail.length;
    for (const piece of this.pieces) {
      if (index < start + piece.length) return packedSegment(start, piece);
      start += piece.length;
    }
    const rows = this.tail;
    return memorySegment(start, rows.length, rows);
  }

  private async chunkSegment(position: number, chunk: Chunk, cache: boolean): Promise<Segment> {
    if (chunk.packed) return packedSegment(chunk.start, chunk.packed);
    const location = chunk.spilled!;
    let decoded = this.decoded.get(position);
    if (decoded) {
      // Touch: the map's order is the LRU order.
      this.decoded.delete(position);
      this.decoded.set(position, decoded);
    } else {
      decoded = this.spill.read(location).then((bytes) => new DecodedChunk(bytes));
      if (cache) {
        this.decoded.set(position, decoded);
        decoded.catch(() => this.decoded.delete(position));
        for (const old of this.decoded.keys()) if (this.decoded.size > DECODED_CACHE) this.decoded.delete(old);
      }
    }
    const rows = await decoded;
    this.usable();
    return { start: chunk.start, count: chunk.count, cell: (row, column) => rows.cell(row, column), row: (row) => rows.row(row) };
  }

  /**
   * Every row from the first, segment by segment, following a running query
   * until it completes. Full scans do not go through the decoded-chunk cache,
   * so an export does not push out what the grid is showing.
   */
  private async *scan(signal: AbortSignal, limit?: number): AsyncGenerator<Segment> {
    let at = 0;
    for (;;) {
      if (signal.aborted) throw new AppError('CANCELLED', 'Cancelled');
      this.usable();
      const end = limit ?? this.rowCount;
      if (at >= end) {
        if (limit !== undefined || this.done) return;
        await this.changed(signal);
        continue;
      }
      const segment = await this.segmentAt(at, false);
      const from = at - segment.start;
      const count = Math.min(segment.count - from, end - at);
      at += count;
      yield from === 0 && count === segment.count ? segment : sliceSegment(segment, from, count);
    }
  }

  /** The sort (external when it is large) reads the rows the view covers; its runs go to a scratch file of its own. */
  private sorted(total: number, sort: SortKey[], matches: RowFilter | undefined): Promise<Permutation> {
    return sortedOrder({
      columns: this.columns,
      sort,
      total,
      rows: this.scan(UNCANCELLED, total),
      matches,
      scratch: new SpillFile(this.dir, `${this.id}-sort`),
    });
  }
}
