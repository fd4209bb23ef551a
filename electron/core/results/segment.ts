import type { Cell } from '../../../shared/contract/operations/workbench.js';
import type { PackedChunk } from './spill.js';

/** A run of consecutive rows the scan can read, wherever they live. */
export interface Segment {
  start: number;
  count: number;
  cell(row: number, column: number): Cell;
  row(row: number): Cell[];
}

/** A view's rows in order, as row indices; 4 bytes a row until a result passes 2^32 rows. */
export type Permutation = Uint32Array | Float64Array;

export function permutation(length: number, wide: boolean): Permutation {
  return wide ? new Float64Array(length) : new Uint32Array(length);
}

export function memorySegment(start: number, count: number, rows: Cell[][]): Segment {
  return { start, count, cell: (row, column) => rows[row]![column] ?? null, row: (row) => rows[row]! };
}

export function packedSegment(start: number, packed: PackedChunk): Segment {
  return { start, count: packed.length, cell: (row, column) => packed.cell(row, column), row: (row) => packed.row(row) };
}

export function sliceSegment(segment: Segment, from: number, count: number): Segment {
  return {
    start: segment.start + from,
    count,
    cell: (row, column) => segment.cell(row + from, column),
    row: (row) => segment.row(row + from),
  };
}
