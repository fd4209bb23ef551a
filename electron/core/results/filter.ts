import type { Cell } from '../../../shared/contract/operations/workbench.js';
import { permutation, type Permutation, type Segment } from './segment.js';

/** Whether a row of a segment is kept by a view's filter. */
export type RowFilter = (segment: Segment, row: number) => boolean;

/** Case-insensitive substring match in one column or any. */
export function rowFilter(text: string, column: number | undefined, columnCount: number): RowFilter {
  const needle = text.toLowerCase();
  const has = (cell: Cell) => cell !== null && cell.toLowerCase().includes(needle);
  if (column !== undefined) return (segment, row) => has(segment.cell(row, column));
  return (segment, row) => {
    for (let c = 0; c < columnCount; c++) if (has(segment.cell(row, c))) return true;
    return false;
  };
}

/** The indices of the rows `matches` keeps, in order: a view with a filter and no sort. */
export async function filteredOrder(total: number, rows: AsyncIterable<Segment>, matches: RowFilter): Promise<Permutation> {
  const wide = total > 0xffffffff;
  // A growable list: doubled when full, cut to length at the end.
  let items = permutation(1024, wide);
  let length = 0;
  for await (const segment of rows) {
    for (let i = 0; i < segment.count; i++) {
      if (!matches(segment, i)) continue;
      if (length === items.length) {
        const bigger = permutation(length * 2, wide);
        bigger.set(items);
        items = bigger;
      }
      items[length++] = segment.start + i;
    }
  }
  return items.slice(0, length);
}
