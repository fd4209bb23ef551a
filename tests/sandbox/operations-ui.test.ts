import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readRunFile } from '../../sandbox/client/run-file.js';
import { chartPaint, openApp } from '../helpers/chromium.js';
import { projectRoot } from '../helpers/web-host-process.js';

const shots = join(projectRoot, 'test-results', 'screenshots');
const { dataDir } = inject('sandbox');

let app: { page: Page; close(): Promise<void> } | undefined;
let page: Page;
let home: string;
const problems: string[] = [];
const clients: pg.Client[] = [];

/** A session of someone else's on the warehouse: the operator sees it only through the Operations view. */
async function session(): Promise<pg.Client & { processID: number }> {
  // Read now, not at setup: sandbox.test.ts restarts the sandbox on new ports.
  const { host, port, adminUser, adminPassword } = readRunFile(join(dataDir, 'sandbox', 'run.json'))!.redshift;
  const client = new pg.Client({ host, port, database: 'dev', user: adminUser, password: adminPassword });
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client as pg.Client & { processID: number };
}

const shot = (name: string) => page.screenshot({ path: join(shots, `operations-${name}.png`), fullPage: true });
const tab = (name: string) => page.getByRole('tablist', { name: 'What to see' }).getByRole('tab', { name, exact: true });
const status = () => page.getByRole('status', { name: 'Action outcome' }).filter({ visible: true });

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'tributary-ui-home-'));
  app = await openApp(dataDir, { HOME: home }, problems);
  page = app.page;
  const setup = await session();
  await setup.query('DROP TABLE IF EXISTS ops_ui_t; CREATE TABLE ops_ui_t (id int, v varchar(20))');
  await setup.query("INSERT INTO ops_ui_t SELECT g, 'v' || g FROM generate_series(1, 500) g");
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await app?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the Operations view in Chromium on the sandbox warehouse', () => {
  it('shows a long query live; Cancel → confirm takes it off the list', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Operations', exact: true }).click();
    const picker = page.getByRole('combobox', { name: 'Redshift connection' });
    await picker.locator('option', { hasText: 'Sandbox warehouse (Redshift)' }).waitFor({ state: 'attached' });
    await picker.selectOption({ label: 'Sandbox warehouse (Redshift)' });

    const other = await session();
    const sleeping = other.query('SELECT pg_sleep(60) AS ui_sleep').catch((error: Error) => error);
    const list = page.getByRole('table', { name: 'Running and queued queries' });
    const row = list.getByRole('row').filter({ hasText: 'pg_sleep(60)' });
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => (await row.textContent()) ?? '', { timeout: 5000 }).toContain(String(other.processID));
    await shot('queries');

    await row.getByRole('button', { name: /^Cancel query / }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByRole('heading').textContent()).toMatch(/^Cancel query \S+\?$/);
    await shot('cancel-confirm');
    await dialog.getByRole('button', { name: /^Yes, cancel query / }).click();
    await expect.poll(() => status().textContent(), { timeout: 15_000 }).toMatch(/^Cancelled: query \S+ left the list after \d+ ms$/);
    expect(await row.count()).toBe(0);
    expect(String(await sleeping)).toMatch(/cancel/i);
    await shot('cancelled');
  });

  it('draws the blocking chain as a tree, and Terminate holder frees the waiter', async () => {
    const holder = await session();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE ops_ui_t');
    const waiter = await session();
    const waiting = waiter.query('SELECT count(*) AS n FROM ops_ui_t');

    await tab('Sessions & locks').click();
    const tree = page.getByRole('tree', { name: 'Blocking chains' });
    const root = tree.getByRole('treeitem', { name: `Holder pid ${holder.processID}` });
    await root.waitFor({ timeout: 15_000 });
    await root.getByRole('treeitem', { name: `Waiter pid ${waiter.processID}` }).waitFor();
    await shot('locks');

    await root.getByRole('button', { name: `Terminate holder (pid ${holder.processID})` }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: `Yes, terminate session ${holder.processID}` })
      .click();
    expect((await waiting).rows[0]).toEqual({ n: '500' });
    await expect.poll(() => status().textContent(), { timeout: 15_000 }).toMatch(/^Terminated: holder \d+ left the list after \d+ ms$/);
    await shot('locks-freed');
  });

  it('shows the WLM queues and a failed query under Failed with its error', async () => {
    await tab('WLM').click();
    await page.getByRole('table', { name: 'WLM queues' }).getByRole('row').nth(1).waitFor();
    await shot('wlm');

    const other = await session();
    await other.query('SELECT * FROM ops_ui_no_such_table').catch(() => undefined);
    await other.query('SELECT a.v, count(*) FROM ops_ui_t a JOIN ops_ui_t b ON a.id = b.id GROUP BY a.v LIMIT 3');
    await tab('History').click();
    const history = page.getByRole('table', { name: 'Query history' });
    const which = page.getByRole('group', { name: 'Which queries' });
    await which.getByRole('button', { name: 'Failed' }).click();
    await expect
      .poll(
        async () => {
          await which.getByRole('button', { name: 'Refresh' }).click();
          return history.getByRole('row').filter({ hasText: 'ops_ui_no_such_table' }).count();
        },
        { timeout: 20_000 },
      )
      .toBeGreaterThan(0);
    await expect.poll(() => history.getByText('relation "ops_ui_no_such_table" does not exist').count()).toBeGreaterThan(0);
    await shot('history-failed');
  });

  it('opens a query’s plan as a tree and its steps from the history', async () => {
    const history = page.getByRole('table', { name: 'Query history' });
    await page.getByRole('group', { name: 'Which queries' }).getByRole('button', { name: 'Recent' }).click();
    const join = history.getByRole('row').filter({ hasText: 'JOIN ops_ui_t b' }).first();
    await join.waitFor({ timeout: 20_000 });
    await join.getByRole('button', { name: /^Plan and steps of query / }).click();
    await page.getByRole('tree', { name: 'Query plan' }).waitFor();
    await page.getByRole('table', { name: 'Query steps' }).getByRole('row').nth(1).waitFor();
    await page.getByRole('tree', { name: 'Query plan' }).scrollIntoViewIfNeeded();
    await shot('history-plan');
  });

  it('charts the cost per day with the price table’s date', async () => {
    await tab('Cost').click();
    const chart = page.getByRole('img', { name: 'Cost per day' }).locator('canvas');
    await chart.waitFor();
    await expect.poll(async () => (await chartPaint(chart)).drawn, { timeout: 10_000 }).toBeGreaterThan(0.01);
    await expect.poll(() => page.getByText(/price table of \d{4}-\d{2}-\d{2}/).count()).toBeGreaterThan(0);
    await shot('cost');
  });

  it('shows a Redshift statement’s cost in the Workbench’s run messages', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Workbench', exact: true }).click();
    const connection = page.getByRole('region', { name: 'SQL workbench' }).getByRole('combobox', { name: 'Connection' });
    await connection.locator('option', { hasText: 'Sandbox warehouse (Redshift)' }).waitFor({ state: 'attached' });
    await connection.selectOption({ label: 'Sandbox warehouse (Redshift)' });
    await page.locator('.monaco-editor .view-lines').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText('SELECT count(*) FROM ops_ui_t;');
    await page.keyboard.press('ControlOrMeta+Enter');
    const log = page.getByRole('log', { name: 'Run messages' });
    await expect.poll(() => log.textContent(), { timeout: 20_000 }).toMatch(/· cost \$0\.\d+ \(prices of \d{4}-\d{2}-\d{2}\)/);
    await shot('workbench-cost');
  });

  it('logged no error in the page', () => {
    expect(problems).toEqual([]);
  });
});
