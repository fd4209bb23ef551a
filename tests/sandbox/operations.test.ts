import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { priceTable } from '../../electron/core/provision/pricing.js';
import { readRunFile, type RunFile } from '../../sandbox/client/run-file.js';
import { RedshiftEngine } from '../../electron/core/engines/redshift.js';
import { priceBasis } from '../../electron/core/warehouse/cost.js';
import { dailyCost, priceQueries } from '../../electron/core/warehouse/query-cost.js';
import { SystemViews } from '../../electron/core/warehouse/system-views.js';
import { nodePrice, serverlessRpuPrice } from '../../electron/core/provision/pricing.js';
import type { BlockingNode, RunChunk } from '../../shared/contract/index.js';
import { tempDir, testCore } from '../helpers/core.js';
import { until } from '../helpers/until.js';

const { dataDir } = inject('sandbox');
const signal = new AbortController().signal;
const WAREHOUSE = 'sandbox-warehouse';
let run: RunFile;
let core: Core;
const clients: pg.Client[] = [];

/** A session of its own on the stand-in, as another user's tool would hold one. */
async function session(): Promise<pg.Client> {
  const { host, port, adminUser, adminPassword } = run.redshift;
  const client = new pg.Client({ host, port, database: 'dev', user: adminUser, password: adminPassword });
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

/** A Workbench run, as the UI starts it, collecting its chunks until it ends. */
async function workbench(sql: string): Promise<RunChunk[]> {
  const chunks: RunChunk[] = [];
  for await (const chunk of core.handlers['queries.run']({ connectionId: WAREHOUSE, sql, origin: { line: 1, column: 1 } }, { signal }))
    chunks.push(chunk);
  return chunks;
}

const running = () => core.handlers['warehouse.running']({ connectionId: WAREHOUSE }, { signal });

beforeAll(async () => {
  run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
  const appDir = tempDir('tributary-operations-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  const setup = await session();
  await setup.query('DROP TABLE IF EXISTS ops_lock_t; CREATE TABLE ops_lock_t (id int, v varchar(20)) DISTKEY(id) SORTKEY(id)');
  await setup.query("INSERT INTO ops_lock_t SELECT g, 'v' || g FROM generate_series(1, 2000) g");
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await core?.dispose();
});

describe('running queries', () => {
  it('shows a Workbench pg_sleep(60) within 2 s, and Cancel takes it off the list within 1 s and ends the run cancelled', async () => {
    const started = Date.now();
    const ended = workbench('SELECT pg_sleep(60) AS ops_sleep');
    const seen = await until(
      'the sleep in the running list',
      async () => (await running()).queries.find((q) => q.sql.includes('pg_sleep(60)')),
      10_000,
    );
    expect(Date.now() - started).toBeLessThanOrEqual(2000);
    expect(seen.pid).toBeGreaterThan(0);
    expect(seen.user).toBe(run.redshift.adminUser);
    expect(seen.state).toMatch(/running/i);
    expect(seen.cost?.usd).toBeGreaterThan(0);

    const cancelled = Date.now();
    expect(await core.handlers['warehouse.cancel']({ connectionId: WAREHOUSE, pid: seen.pid }, { signal })).toEqual({ signalled: true });
    await until('the sleep to leave the list', async () => !(await running()).queries.some((q) => q.queryId === seen.queryId), 10_000);
    expect(Date.now() - cancelled).toBeLessThanOrEqual(1000);

    const chunks = await ended;
    const error = chunks.find((c) => c.kind === 'error');
    expect(error).toMatchObject({ code: 'CANCELLED' });
    expect(chunks.some((c) => c.kind === 'done')).toBe(false);
  });

  it('redacts a secret in a running query’s text', async () => {
    const holder = await session();
    const sleeping = holder.query('SELECT pg_sleep(5) /* password=hunter2-secret */').catch(() => undefined);
    const seen = await until(
      'the query with a secret',
      async () => (await running()).queries.find((q) => q.sql.includes('pg_sleep(5)')),
      10_000,
    );
    expect(seen.sql).not.toContain('hunter2-secret');
    await core.handlers['warehouse.cancel']({ connectionId: WAREHOUSE, pid: seen.pid }, { signal });
    await sleeping;
  });
});

describe('sessions and locks', () => {
  it('draws holder → waiter, and terminating the holder lets the waiter’s statement complete', async () => {
    const holder = await session();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE ops_lock_t');
    const holderPid = (holder as unknown as { processID: number }).processID;
    // Should the test fail before the terminate, the lock goes with the holder's connection, so later runs are not blocked.
    onTestFinished(() => holder.end().catch(() => undefined));
    const waiter = workbench('SELECT count(*) AS n FROM ops_lock_t');

    const chain = await until(
      'the blocking chain',
      async () =>
        (await core.handlers['warehouse.locks']({ connectionId: WAREHOUSE }, { signal })).chains.find((c) => c.waiters.length > 0),
      20_000,
    );
    expect(chain.pid).toBe(holderPid);
    expect(chain.relation).toMatch(/ops_lock_t/);
    const waiterNode: BlockingNode = chain.waiters[0]!;
    expect(waiterNode.pid).not.toBe(holderPid);
    expect(waiterNode.sql).toMatch(/ops_lock_t/);
    const locks = await core.handlers['warehouse.locks']({ connectionId: WAREHOUSE }, { signal });
    expect(locks.sessions.map((s) => s.pid)).toEqual(expect.arrayContaining([holderPid, waiterNode.pid]));

    expect(await core.handlers['warehouse.terminate']({ connectionId: WAREHOUSE, pid: holderPid }, { signal })).toEqual({
      signalled: true,
    });
    const chunks = await waiter;
    expect(chunks.find((c) => c.kind === 'done')).toMatchObject({ command: 'SELECT', rows: 1 });
    expect(chunks.some((c) => c.kind === 'error')).toBe(false);
    const after = await core.handlers['warehouse.locks']({ connectionId: WAREHOUSE }, { signal });
    expect(after.chains.some((c) => c.pid === holderPid)).toBe(false);
  });
});

describe('WLM', () => {
  it('lists the queues with their slots and counts', async () => {
    const wlm = await core.handlers['warehouse.wlm']({ connectionId: WAREHOUSE }, { signal });
    expect(wlm.queues.length).toBeGreaterThan(0);
    for (const queue of wlm.queues) {
      expect(queue.serviceClass).toBeGreaterThanOrEqual(5);
      expect(queue.slots).toBeGreaterThan(0);
    }
    expect(Array.isArray(wlm.ruleActions)).toBe(true);
  });
});

describe('history', () => {
  it('shows a failed statement under Failed with its error', async () => {
    const chunks = await workbench('SELECT * FROM ops_no_such_table_for_history');
    expect(chunks.some((c) => c.kind === 'error')).toBe(true);
    const failed = await until(
      'the failure in history',
      async () =>
        (await core.handlers['warehouse.history']({ connectionId: WAREHOUSE, view: 'failed', limit: 50 }, { signal })).queries.find((q) =>
          q.sql.includes('ops_no_such_table_for_history'),
        ),
      20_000,
    );
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/ops_no_such_table_for_history/);
  });

  it('opens a query’s plan as a tree and its steps, and prices it with the dated table', async () => {
    await workbench('SELECT a.v, count(*) FROM ops_lock_t a JOIN ops_lock_t b ON a.id = b.id GROUP BY a.v ORDER BY 2 DESC LIMIT 5');
    const history = await until(
      'the join in history',
      async () => {
        const answer = await core.handlers['warehouse.history']({ connectionId: WAREHOUSE, view: 'recent', limit: 100 }, { signal });
        return answer.queries.some((q) => q.sql.includes('JOIN ops_lock_t b') && q.status === 'success') && answer;
      },
      20_000,
    );
    const join = history.queries.find((q) => q.sql.includes('JOIN ops_lock_t b'))!;
    expect(history.price?.priceDate).toBe(priceTable.date);
    expect(join.cost?.usd).toBeGreaterThan(0);
    expect(join.elapsedMs).toBeGreaterThan(0);

    const slowest = await core.handlers['warehouse.history']({ connectionId: WAREHOUSE, view: 'slowest', limit: 10 }, { signal });
    const elapsed = slowest.queries.map((q) => q.elapsedMs);
    expect(elapsed).toEqual([...elapsed].sort((a, b) => b - a));

    const detail = await core.handlers['warehouse.queryDetail']({ connectionId: WAREHOUSE, queryId: join.queryId }, { signal });
    expect(detail.sql).toContain('JOIN ops_lock_t b');
    expect(detail.plan.length).toBeGreaterThan(0);
    const labels = JSON.stringify(detail.plan);
    expect(labels).toMatch(/Join|Hash|Merge|Nested/i);
    expect(detail.steps.length).toBeGreaterThan(0);
  });

  it('costs a day of queries and a Workbench run as positive money with the price table’s date', async () => {
    const cost = await core.handlers['warehouse.cost']({ connectionId: WAREHOUSE, days: 7 }, { signal });
    expect(cost.price.priceDate).toBe(priceTable.date);
    expect(cost.days.length).toBeGreaterThan(0);
    expect(cost.days.reduce((sum, d) => sum + d.usd, 0)).toBeGreaterThan(0);
    const runCost = await core.handlers['warehouse.runCost']({ connectionId: WAREHOUSE, elapsedMs: 3_600_000 }, { signal });
    expect(runCost.cost.usd).toBeCloseTo(runCost.price.hourlyUsd!, 6);
    expect(runCost.cost.usd).toBeGreaterThan(0);
  });
});

describe('cost on Serverless', () => {
  // Serverless connections come from another part of the app; the stand-in's database answers SYS_SERVERLESS_USAGE as
  // a workgroup's would, so the cost code is driven here with a workgroup's price over the sandbox warehouse's engine.
  it('prices a query as its share of the RPU-seconds SYS_SERVERLESS_USAGE charged while it ran', async () => {
    const { host, port, adminUser, adminPassword } = run.redshift;
    const info = (await core.handlers['connections.list']({}, { signal })).find((c) => c.id === WAREHOUSE)!;
    const views = new SystemViews({
      info: () => Promise.resolve(info),
      open: () =>
        Promise.resolve(
          new RedshiftEngine(() => Promise.resolve({ host, port, database: 'dev', user: adminUser, password: adminPassword })),
        ),
    });
    try {
      const price = priceBasis(
        { kind: 'workgroup', baseRpu: 8, region: 'us-east-1' },
        { nodePrice: (r, t) => ({ usd: nodePrice(r, t)!, pricedRegion: r }), rpuPrice: serverlessRpuPrice, priceDate: priceTable.date },
      )!;
      await workbench('SELECT pg_sleep(2) AS serverless_sleep');
      const sleep = await until(
        'the sleep in history',
        async () =>
          (await core.handlers['warehouse.history']({ connectionId: WAREHOUSE, view: 'recent', limit: 50 }, { signal })).queries.find(
            (q) => q.sql.includes('serverless_sleep') && q.status === 'success',
          ),
        20_000,
      );
      const costs = await priceQueries(views, WAREHOUSE, price, [sleep], signal);
      const cost = costs.get(sleep.queryId)!;
      expect(cost.estimate).toBeUndefined();
      expect(cost.rpuSeconds).toBeGreaterThan(0);
      expect(cost.usd).toBeCloseTo((cost.rpuSeconds! / 3600) * price.rpuHourUsd!, 9);
      const daily = await dailyCost(views, WAREHOUSE, price, 2, signal);
      expect(daily.price.priceDate).toBe(priceTable.date);
      expect(daily.days.at(-1)!.usd).toBeGreaterThan(0);
    } finally {
      await views.dispose();
    }
  });
});
