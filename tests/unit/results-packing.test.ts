import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultSet } from '../../electron/core/results/result-set.js';
import type { Cell } from '../../shared/contract/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Cells that trip byte packing: NULL next to '', multi-byte text, emoji, long strings. */
function row(i: number): Cell[] {
  const text = ['', 'ascii', 'café', '漢字', '🚀 emoji', 'x'.repeat(300), 'quote \' " \t tab'][i % 7]!;
  return [String(i), i % 5 === 0 ? null : text, i % 3 === 0 ? '' : null];
}

describe('rows packed column by column, in memory and spilled', () => {
  it('gives back every cell exactly, while running and after, across packing and spill boundaries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-packing-'));
    dirs.push(dir);
    // A small memory bound, so most chunks spill and some stay packed in memory.
    const set = new ResultSet({
      id: 'rpack',
      dir,
      memoryBytes: 256 * 1024,
      columns: [
        { name: 'i', type: 'int8', kind: 'int' },
        { name: 't', type: 'text', kind: 'text' },
        { name: 'e', type: 'text', kind: 'text' },
      ],
    });
    const total = 70_000;
    for (let start = 0; start < total; start += 1_000) {
      await set.append(Array.from({ length: 1_000 }, (_, k) => row(start + k)));
      if (start === 35_000) expect(await set.rows(2_040, 20)).toEqual(Array.from({ length: 20 }, (_, k) => row(2_040 + k)));
    }
    await set.finish();
    expect(set.total).toBe(total);
    expect(set.spilled).toBe(true);
    for (const offset of [0, 2_047, 2_048, 32_760, 40_000, total - 5]) {
      expect(await set.rows(offset, 10)).toEqual(Array.from({ length: Math.min(10, total - offset) }, (_, k) => row(offset + k)));
    }
    await set.dispose();
  });
});
