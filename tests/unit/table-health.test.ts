import { describe, expect, it } from 'vitest';
import {
  betterDistkey,
  byTrouble,
  diskWarning,
  distributionKey,
  fixStatement,
  healthRow,
  tableProblems,
  type TableInfo,
} from '../../electron/core/warehouse/table-health.js';

function info(overrides: Partial<TableInfo>): TableInfo {
  return {
    tableId: 100,
    schema: 'public',
    table: 'events',
    encoded: 'Y',
    diststyle: 'EVEN',
    sortkey1: null,
    size: 10,
    pctUsed: 0.1,
    unsorted: null,
    statsOff: 0,
    tblRows: 1_000_000,
    skewRows: 1,
    estimatedVisibleRows: 1_000_000,
    ...overrides,
  };
}

const row = (overrides: Partial<TableInfo>, distkey: string | null = null) => {
  const table = info(overrides);
  return healthRow(table, tableProblems(table, distkey));
};

describe('table health problems, at AWS published thresholds', () => {
  it('flags skew at 4 on a KEY-distributed table, proposing the better key when one is known, EVEN otherwise', () => {
    expect(tableProblems(info({ diststyle: 'KEY(customer_id)', skewRows: 3.99 }))).toEqual([]);
    const [even] = tableProblems(info({ diststyle: 'KEY(customer_id)', skewRows: 4 }));
    expect(even?.kind).toBe('skew');
    expect(even?.fix).toEqual({ kind: 'diststyle-even', statement: 'ALTER TABLE "public"."events" ALTER DISTSTYLE EVEN' });
    const [key] = tableProblems(info({ diststyle: 'KEY(customer_id)', skewRows: 12 }), 'order_id');
    expect(key?.fix).toEqual({ kind: 'alter-distkey', statement: 'ALTER TABLE "public"."events" ALTER DISTKEY "order_id"' });
    // An EVEN or ALL table is not re-keyed: its skew is rows too few for the slices.
    expect(tableProblems(info({ diststyle: 'EVEN', skewRows: 9 }))).toEqual([]);
  });

  it('flags unsorted above 20%, stale statistics above 10%, deleted rows from 5% and unencoded tables', () => {
    expect(tableProblems(info({ sortkey1: 'ts', unsorted: 20 }))).toEqual([]);
    expect(tableProblems(info({ statsOff: 10 }))).toEqual([]);
    const problems = tableProblems(info({ sortkey1: 'ts', unsorted: 35.5, statsOff: 60, estimatedVisibleRows: 900_000, encoded: 'N' }));
    expect(problems.map((problem) => [problem.kind, problem.fix.statement])).toEqual([
      ['unsorted', 'VACUUM SORT ONLY "public"."events" TO 95 PERCENT'],
      ['deleted-rows', 'VACUUM DELETE ONLY "public"."events" TO 95 PERCENT'],
      ['stale-stats', 'ANALYZE "public"."events"'],
      ['unencoded', 'ALTER TABLE "public"."events" ALTER ENCODE AUTO'],
    ]);
    expect(tableProblems(info({ estimatedVisibleRows: 960_000 }))).toEqual([]);
  });

  it('quotes odd identifiers so the statement names exactly that table', () => {
    const ref = { schema: 'we"ird', table: 'Order Lines' };
    expect(fixStatement('analyze', ref)).toBe('ANALYZE "we""ird"."Order Lines"');
    expect(fixStatement('alter-distkey', ref, 'a"b')).toBe('ALTER TABLE "we""ird"."Order Lines" ALTER DISTKEY "a""b"');
    expect(fixStatement('vacuum-sort', { schema: 'public', table: 'user' })).toBe('VACUUM SORT ONLY "public"."user" TO 95 PERCENT');
  });

  it('reads the key of KEY and AUTO(KEY) styles', () => {
    expect(distributionKey('KEY(customer_id)')).toBe('customer_id');
    expect(distributionKey('AUTO(KEY(customer_id))')).toBe('customer_id');
    expect(distributionKey('EVEN')).toBeNull();
    expect(distributionKey('AUTO(ALL)')).toBeNull();
  });
});

describe('choosing a better distribution key', () => {
  it('takes the evenly spread column with the most distinct values, never the current key', () => {
    const columns = [
      { column: 'customer_id', nDistinct: 50, topFrequency: 0.9 },
      { column: 'order_id', nDistinct: -1, topFrequency: null },
      { column: 'day', nDistinct: 365, topFrequency: 0.004 },
      { column: 'session', nDistinct: -0.5, topFrequency: 0.002 },
    ];
    expect(betterDistkey(columns, 1_000_000, 'customer_id')).toBe('order_id');
    expect(betterDistkey(columns, 1_000_000, 'order_id')).toBe('session');
  });

  it('proposes none when every column has a dominant value or too few values', () => {
    const columns = [
      { column: 'status', nDistinct: 5, topFrequency: 0.6 },
      { column: 'tenant', nDistinct: 5000, topFrequency: 0.3 },
    ];
    expect(betterDistkey(columns, 1_000_000, null)).toBeNull();
  });
});

describe('ordering by trouble', () => {
  it('puts skew first, then unsorted, deleted rows, stale statistics, unencoded; healthy tables last by size', () => {
    const tables = [
      row({ tableId: 1, size: 500 }),
      row({ tableId: 2, statsOff: 100 }),
      row({ tableId: 3, sortkey1: 'ts', unsorted: 90 }),
      row({ tableId: 4, diststyle: 'KEY(k)', skewRows: 5 }),
      row({ tableId: 5, encoded: 'N' }),
      row({ tableId: 6, diststyle: 'KEY(k)', skewRows: 40 }),
      row({ tableId: 7, size: 900 }),
    ];
    expect(tables.sort(byTrouble).map((table) => table.tableId)).toEqual([6, 4, 3, 2, 5, 7, 1]);
  });

  it('within a tier, the table further past the threshold comes first', () => {
    const tables = [row({ tableId: 1, statsOff: 15 }), row({ tableId: 2, statsOff: 80 })];
    expect(tables.sort(byTrouble).map((table) => table.tableId)).toEqual([2, 1]);
  });
});

describe('disk headroom', () => {
  it('warns when free space is under 2.5 × the largest table', () => {
    expect(diskWarning(600, 1000, 100)).toBeUndefined();
    expect(diskWarning(800, 1000, 100)).toMatch(/less than 2.5 × the largest table/);
  });
});
