import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cell, ColumnMeta } from '../../shared/contract/operations/workbench.js';
import { filteredOrder, rowFilter } from '../../electron/core/results/filter.js';
import { memorySegment, type Segment } from '../../electron/core/results/segment.js';
import { sortedOrder } from '../../electron/core/results/sort.js';
import { SpillFile } from '../../electron/core/results/spill.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Rows in segments of `size`, as the result set's scan hands them out. */
async function* segments(rows: Cell[][], size: number): AsyncGenerator<Segment> {
  for (let start = 0; start < rows.length; start += size)
    yield memorySegment(start, Math.min(size, rows.length - start), rows.slice(start, start + size));
}

const columns: ColumnMeta[] = [
  { name: 'id', type: 'int4', kind: 'int' },
  { name: 'word', type: 'varchar', kind: 'text' },
];

describe('a view’s order', () => {
  it('a filter keeps the matching rows in order, past its list’s first growth', async () => {
    const rows: Cell[][] = Array.from({ length: 5000 }, (_, i) => [String(i), i % 3 === 0 ? 'Fizz' : 'buzz']);
    const order = await filteredOrder(rows.length, segments(rows, 700), rowFilter('fizz', 1, 2));
    expect(order.length).toBe(1667);
    expect([...order.slice(0, 3)]).toEqual([0, 3, 6]);
    expect(order.every((index, i) => index === i * 3)).toBe(true);
  });

  it('a sort in memory orders by its keys, numbers as numbers, and keeps the rows’ order among equal keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-sort-'));
    dirs.push(dir);
    const rows: Cell[][] = [
      ['10', 'b'],
      ['9', 'a'],
      ['10', 'a'],
      ['2', 'c'],
      ['9', 'b'],
    ];
    const sort = (keys: { column: number; descending: boolean }[]) =>
      sortedOrder({
        columns,
        sort: keys,
        total: rows.length,
        rows: segments(rows, 2),
        matches: undefined,
        scratch: new SpillFile(dir, 'sort'),
      });
    expect([...(await sort([{ column: 0, descending: false }]))]).toEqual([3, 1, 4, 0, 2]);
    expect([...(await sort([{ column: 0, descending: true }]))]).toEqual([0, 2, 1, 4, 3]);
    expect([
      ...(await sort([
        { column: 1, descending: false },
        { column: 0, descending: true },
      ])),
    ]).toEqual([2, 1, 0, 4, 3]);
  });
});
