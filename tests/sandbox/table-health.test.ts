import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { readRunFile } from '../../sandbox/client/run-file.js';
import type { TableHealthRow } from '../../shared/contract/index.js';
import { RpcClient } from '../../shared/rpc-client.js';
import { tempDir, testCore } from '../helpers/core.js';
import { LoopbackTransport } from '../helpers/loopback.js';
import { staleTable, warehouseClient } from '../helpers/warehouse.js';

const { dataDir } = inject('sandbox');
const signal = new AbortController().signal;
const connectionId = 'sandbox-warehouse';
const tag = Date.now().toString(36);
const SKEWED = `th_skewed_${tag}`;
const UNSORTED = `th_unsorted_${tag}`;
const STALE = `th_stale_${tag}`;

let core: Core;
let db: pg.Client;

const health = () => core.handlers['warehouse.tableHealth']({ connectionId }, { signal });
const fix = (tableId: number, kind: 'vacuum-sort' | 'analyze' | 'alter-distkey' | 'diststyle-even') =>
  core.handlers['warehouse.fixTable']({ connectionId, tableId, fix: kind }, { signal });

async function row(table: string): Promise<TableHealthRow> {
  const found = (await health()).tables.find((candidate) => candidate.schema === 'public' && candidate.table === table);
  if (!found) throw new Error(`${table} is not in the table health list`);
  return found;
}

beforeAll(async () => {
  const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
  const appDir = tempDir('tributary-table-health-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  db = await warehouseClient(run);

  // 90% of 200,000 rows share one key value: whichever slice that value hashes to holds most of the table.
  await db.query(`CREATE TABLE ${SKEWED} (customer_id int, order_id int, note varchar(32)) DISTKEY(customer_id)`);
  await db.query(`INSERT INTO ${SKEWED} SELECT CASE WHEN g % 10 = 0 THEN g ELSE 7 END, g, md5(g::text) FROM generate_series(1, 200000) g`);
  await db.query(`ANALYZE ${SKEWED}`);

  // A sorted first load, then a larger batch appended below it in reverse order: most rows out of sort key order.
  await db.query(`CREATE TABLE ${UNSORTED} (ts int, note varchar(32)) SORTKEY(ts)`);
  await db.query(`INSERT INTO ${UNSORTED} SELECT g, md5(g::text) FROM generate_series(100001, 120000) g ORDER BY g`);
  await db.query(`INSERT INTO ${UNSORTED} SELECT g, md5(g::text) FROM generate_series(80000, 1, -1) g`);
  await db.query(`ANALYZE ${UNSORTED}`);

  // Analyzed, then every row changed: the statistics describe a table that is no longer there.
  await staleTable(db, STALE);
}, 120_000);

afterAll(async () => {
  for (const table of [SKEWED, UNSORTED, STALE]) await db?.query(`DROP TABLE IF EXISTS ${table}`);
  await db?.end();
  await core?.dispose();
});

describe('table health on the sandbox warehouse', () => {
  it('shows the skewed table first, over AWS’s skew threshold, with a re-distribution as its fix', async () => {
    const { tables, nodes } = await health();
    const skewed = tables.find((table) => table.table === SKEWED)!;
    expect(skewed.skewRows).toBeGreaterThanOrEqual(4);
    expect(tables[0]!.tableId).toBe(skewed.tableId);
    const [problem] = skewed.problems;
    expect(problem).toMatchObject({ kind: 'skew', measure: 'skew_rows', threshold: 4 });
    // order_id is unique: the statistics name it as the key that spreads rows evenly.
    expect(problem!.fix).toEqual({
      kind: 'alter-distkey',
      statement: `ALTER TABLE "public"."${SKEWED}" ALTER DISTKEY "order_id"`,
    });
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) expect(node.usedMb).toBeLessThanOrEqual(node.capacityMb);

    const result = await fix(skewed.tableId, 'alter-distkey');
    expect(result.after!.diststyle).toBe('KEY(order_id)');
    expect(result.after!.skewRows!).toBeLessThan(4);
    expect(result.after!.problems.some((p) => p.kind === 'skew')).toBe(false);
  });

  it('proposes VACUUM SORT ONLY for rows appended out of sort key order, and unsorted falls when it runs', async () => {
    const before = await row(UNSORTED);
    expect(before.unsorted!).toBeGreaterThan(20);
    const problem = before.problems.find((p) => p.kind === 'unsorted')!;
    expect(problem.fix.statement).toBe(`VACUUM SORT ONLY "public"."${UNSORTED}" TO 95 PERCENT`);
    const result = await fix(before.tableId, 'vacuum-sort');
    expect(result.statement).toBe(problem.fix.statement);
    expect(result.after!.unsorted!).toBeLessThan(20);
    expect(result.after!.unsorted!).toBeLessThan(before.unsorted!);
    expect((await row(UNSORTED)).problems.some((p) => p.kind === 'unsorted')).toBe(false);
  });

  it('proposes ANALYZE for statistics more than 10% off, and stats_off falls to 0 when it runs', async () => {
    // PostgreSQL's statistics reach svv_table_info up to about a second after a transaction ends (DIFFERENCES.md).
    await expect.poll(async () => (await row(STALE)).statsOff, { timeout: 30_000 }).toBeGreaterThan(10);
    const before = await row(STALE);
    const problem = before.problems.find((p) => p.kind === 'stale-stats')!;
    expect(problem.fix.statement).toBe(`ANALYZE "public"."${STALE}"`);
    const result = await fix(before.tableId, 'analyze');
    expect(result.after!.statsOff).toBe(0);
    expect(result.after!.problems.some((p) => p.kind === 'stale-stats')).toBe(false);
  });

  it('refuses a forged table id or fix kind with a typed error, and runs nothing it did not propose', async () => {
    await expect(fix(2_000_000_000, 'analyze')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The stale table was just analyzed: ANALYZE is no fix it needs now.
    const stale = await row(STALE);
    await expect(fix(stale.tableId, 'analyze')).rejects.toMatchObject({ code: 'CONFLICT' });
    // Through the RPC session as the renderer calls: a kind outside the list never reaches the handler.
    const client = new RpcClient(new LoopbackTransport(core));
    await expect(
      client.call('warehouse.fixTable', { connectionId, tableId: stale.tableId, fix: 'drop-table' as 'analyze' }),
    ).rejects.toMatchObject({ code: 'VALIDATION', issues: [{ path: 'fix' }] });
    await expect(
      client.call('warehouse.fixTable', { connectionId, tableId: 'pg_class; DROP TABLE x' as unknown as number, fix: 'analyze' }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});
