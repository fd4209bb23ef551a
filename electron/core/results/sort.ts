import type { Cell, ColumnMeta, SortKey } from '../../../shared/contract/operations/workbench.js';
import { keyComparator } from './compare.js';
import type { RowFilter } from './filter.js';
import { permutation, type Permutation, type Segment } from './segment.js';
import { DecodedChunk, encodeChunk, type SpillFile, type SpillLocation } from './spill.js';

/** Sort entries gathered before a sorted run goes to disk, as estimated heap bytes. */
const RUN_BYTES = 16 << 20;
/** Rows per block of a sorted run on disk; the merge holds one block per run. */
const RUN_BLOCK_ROWS = 2048;

interface SortEntry {
  keys: Cell[];
  index: number;
}

/** One sorted run of a sort too large for memory: its row indices in memory, its keys on disk in blocks. */
interface DiskRun {
  indices: Permutation;
  blocks: SpillLocation[];
}

/**
 * What a row's keys cost on V8's heap, roughly: the array and a header per
 * string on top of the text. Used for the run budget, so it errs on the high side.
 */
function keysCost(keys: readonly Cell[]): number {
  let cost = 32 + 8 * keys.length;
  for (const cell of keys) if (cell !== null) cost += 24 + cell.length * 2;
  return cost;
}

export interface SortInput {
  columns: ColumnMeta[];
  sort: SortKey[];
  /** Rows scanned; the order covers them all (less what `matches` leaves out). */
  total: number;
  rows: AsyncIterable<Segment>;
  matches: RowFilter | undefined;
  /** Where sorted runs go when the sort is too large for memory; deleted when the sort ends. */
  scratch: SpillFile;
}

/**
 * Sorts by gathering (keys, row index) entries. What fits the run budget is
 * sorted in memory; a larger sort writes sorted runs of keys to a scratch
 * spill file and merges them, so memory stays bounded by the budget plus the
 * resulting permutation. Ties keep the rows' order.
 */
export async function sortedOrder({ columns, sort, total, rows, matches, scratch }: SortInput): Promise<Permutation> {
  const keyColumns = sort.map((key) => key.column);
  const keyMeta = keyColumns.map((column) => columns[column]!);
  const compareKeys = keyComparator(
    keyMeta.map((column) => column.kind),
    sort,
  );
  const compare = (a: SortEntry, b: SortEntry) => compareKeys(a.keys, b.keys) || a.index - b.index;
  const wide = total > 0xffffffff;
  const runs: DiskRun[] = [];
  const writes: Promise<void>[] = [];
  let entries: SortEntry[] = [];
  let cost = 0;
  const flush = () => {
    entries.sort(compare);
    const indices = permutation(entries.length, wide);
    const blocks: SpillLocation[] = [];
    for (let i = 0; i < entries.length; i += RUN_BLOCK_ROWS) {
      const block = entries.slice(i, i + RUN_BLOCK_ROWS);
      block.forEach((entry, j) => (indices[i + j] = entry.index));
      const { location, written } = scratch.append(
        encodeChunk(
          keyMeta,
          block.map((entry) => entry.keys),
        ),
      );
      blocks.push(location);
      writes.push(written);
    }
    runs.push({ indices, blocks });
    entries = [];
    cost = 0;
  };
  try {
    for await (const segment of rows) {
      for (let i = 0; i < segment.count; i++) {
        if (matches && !matches(segment, i)) continue;
        const keys = keyColumns.map((column) => segment.cell(i, column));
        entries.push({ keys, index: segment.start + i });
        cost += keysCost(keys) + 48;
      }
      if (cost > RUN_BYTES) flush();
    }
    if (runs.length === 0) {
      entries.sort(compare);
      const order = permutation(entries.length, wide);
      entries.forEach((entry, i) => (order[i] = entry.index));
      return order;
    }
    if (entries.length > 0) flush();
    await Promise.all(writes);
    return await mergeRuns(runs, scratch, compare, wide);
  } finally {
    await Promise.allSettled(writes);
    await scratch.delete();
  }
}

/** A k-way merge of sorted runs with a binary heap, reading each run's keys one block at a time. */
async function mergeRuns(
  runs: DiskRun[],
  scratch: SpillFile,
  compare: (a: SortEntry, b: SortEntry) => number,
  wide: boolean,
): Promise<Permutation> {
  interface Cursor {
    run: DiskRun;
    position: number;
    block: DecodedChunk;
    entry: SortEntry;
  }
  const count = runs.reduce((sum, run) => sum + run.indices.length, 0);
  const order = permutation(count, wide);
  const entryAt = (run: DiskRun, position: number, block: DecodedChunk): Cursor => ({
    run,
    position,
    block,
    entry: { keys: block.row(position % RUN_BLOCK_ROWS), index: run.indices[position]! },
  });
  // Only a block boundary reads the disk; every other step stays synchronous.
  const advance = async (run: DiskRun, position: number, block: DecodedChunk | undefined): Promise<Cursor | undefined> => {
    if (position >= run.indices.length) return undefined;
    if (position % RUN_BLOCK_ROWS !== 0 && block) return entryAt(run, position, block);
    return entryAt(run, position, new DecodedChunk(await scratch.read(run.blocks[position / RUN_BLOCK_ROWS]!)));
  };
  const heap: Cursor[] = [];
  const less = (a: Cursor, b: Cursor) => compare(a.entry, b.entry) < 0;
  const siftDown = (i: number) => {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && less(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && less(heap[right]!, heap[least]!)) least = right;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  };
  for (const run of runs) {
    const cursor = await advance(run, 0, undefined);
    if (cursor) heap.push(cursor);
  }
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
  for (let out = 0; heap.length > 0; out++) {
    const top = heap[0]!;
    order[out] = top.entry.index;
    const position = top.position + 1;
    const next =
      position < top.run.indices.length && position % RUN_BLOCK_ROWS !== 0
        ? entryAt(top.run, position, top.block)
        : await advance(top.run, position, top.block);
    if (next) heap[0] = next;
    else {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    siftDown(0);
  }
  return order;
}
