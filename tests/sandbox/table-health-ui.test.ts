import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readRunFile } from '../../sandbox/client/run-file.js';
import { openApp } from '../helpers/chromium.js';
import { until } from '../helpers/until.js';
import { staleTable, warehouseClient } from '../helpers/warehouse.js';
import { projectRoot } from '../helpers/web-host-process.js';

const shots = join(projectRoot, 'test-results', 'screenshots');
const TABLE = `th_ui_stale_${Date.now().toString(36)}`;

let app: { page: Page; close(): Promise<void> } | undefined;
let page: Page;
let home: string;
let db: pg.Client;
const problems: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `table-health-${name}.png`), fullPage: true });
}

const statsOff = async () =>
  Number((await db.query<{ stats_off: string }>(`SELECT stats_off FROM svv_table_info WHERE "table" = '${TABLE}'`)).rows[0]?.stats_off);
const health = () => page.getByRole('table', { name: 'Table health' });

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const { dataDir } = inject('sandbox');
  const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
  db = await warehouseClient(run);
  await staleTable(db, TABLE);
  // PostgreSQL's statistics reach svv_table_info a little after the transaction (DIFFERENCES.md).
  await until('stale statistics in svv_table_info', async () => (await statsOff()) > 10, 30_000);
  home = mkdtempSync(join(tmpdir(), 'tributary-ui-home-'));
  app = await openApp(dataDir, { HOME: home }, problems);
  page = app.page;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await db?.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await db?.end();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('table health in Chromium, as an operator uses it', () => {
  it('shows the stale table, its ANALYZE before it runs, runs it on Run and shows stats_off before and after', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Operations', exact: true }).click();
    await page.getByRole('tab', { name: 'Table health' }).click();
    const row = health().getByRole('row', { name: `public.${TABLE}` });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.getByRole('cell').nth(5).textContent()).not.toBe('0%');
    await page.getByRole('list', { name: 'Disk use per node' }).getByRole('meter').first().waitFor();
    await shot('list');

    await row.getByRole('button', { name: `Show fix: Stale statistics of public.${TABLE}` }).click();
    const fix = page.getByRole('region', { name: `Fix for public.${TABLE}` });
    expect(await fix.getByLabel('Fix statement').textContent()).toBe(`ANALYZE "public"."${TABLE}"`);
    await shot('fix-shown');
    // Shown is not run: the statistics are still stale until Run.
    expect(Number((await db.query(`SELECT stats_off FROM svv_table_info WHERE "table" = '${TABLE}'`)).rows[0].stats_off)).toBeGreaterThan(
      10,
    );

    await fix.getByRole('button', { name: 'Run', exact: true }).click();
    const done = page.getByRole('region', { name: `Fixed public.${TABLE}` });
    const statsOff = done.getByRole('row', { name: 'Stats off' });
    await statsOff.waitFor({ timeout: 60_000 });
    const [, before, after] = await statsOff.getByRole('cell').allTextContents();
    expect(Number(before!.replace('%', ''))).toBeGreaterThan(10);
    expect(after).toBe('0%');
    await expect.poll(() => row.getByRole('cell').nth(5).textContent()).toBe('0%');
    await shot('fixed');
    expect(problems).toEqual([]);
  });
});
