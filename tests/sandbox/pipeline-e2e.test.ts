import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { readRunFile } from '../../sandbox/client/run-file.js';
import { readLedger } from '../../electron/core/ingest/ledger.js';
import { chartPaint, openApp } from '../helpers/chromium.js';
import { pipelineView } from '../helpers/pipeline-page.js';
import { projectRoot } from '../helpers/web-host-process.js';

/**
 * The whole story in Chromium on the sandbox, as an operator tells it: create the pipeline from a prefix,
 * produce 100,000 records, run both Spark jobs, query the curated table with Spark SQL, COPY it into
 * Redshift, check that Redshift holds exactly the ids Kinesis acknowledged, and chart the error rate.
 */

const { dataDir } = inject('sandbox');
// Read when this file runs, not at setup: sandbox.test.ts restarts the sandbox on new ports, with new keys.
const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
const suffix = randomBytes(3).toString('hex');
const PREFIX = `e2e${suffix}`;
const STREAM = `${PREFIX}-events`;
const EMR = `${PREFIX}-emr`;
const WAREHOUSE_CONNECTION = `${PREFIX} warehouse (Redshift)`;
const SPARK_CONNECTION = `Spark SQL on ${EMR}`;
const TABLE = `e2e_access_logs_${suffix}`;
const TOTAL = 100_000;
const RATE = 5_000;
/** Log time runs at the send rate: 100,000 records span about 20 s of it; the burst sits in the middle. */
const BURST = { at: 8, for: 4, share: 0.5 };
const shots = join(projectRoot, 'test-results', 'screenshots');

/** The whole story gets at most this long; each wait below takes the smaller of its own bound and what is left. */
const STORY_MS = 12 * 60_000;
let deadline = Date.now() + STORY_MS;
const budget = (ms: number) => Math.max(1_000, Math.min(ms, deadline - Date.now()));

let app: { page: Page; close(): Promise<void> } | undefined;
let page: Page;
let home: string;
let bucket = '';
let clusterId = '';
let runId = '';
/** The curated version raw_to_parquet wrote. */
let version = 0;
const problems: string[] = [];

const nav = (name: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name, exact: true });
const { pipeline, picker, tab, asNumber, stage, runJob: submitJob } = pipelineView(() => page);
const runJob = (job: 'kinesis_to_s3' | 'raw_to_parquet', within: number) => submitJob(job, { within, bound: budget, shot });
const workbench = () => page.getByRole('region', { name: 'SQL workbench' });
const results = () => page.getByRole('region', { name: 'Results' });
const runLog = () => page.getByRole('log', { name: 'Run messages' });
const runButton = () => workbench().getByRole('button', { name: 'Run', exact: true });
const resultViews = () => page.getByRole('tablist', { name: 'Result views' });

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `e2e-${name}.png`), fullPage: true });
}

/** The first `n` cells of one grid row as Glide's accessibility table (inside the canvas) has them. */
async function rowCells(row: number, n: number): Promise<string[]> {
  const cells = await results()
    .locator(`[role="row"][aria-rowindex="${row + 2}"]`)
    .getByRole('gridcell', { includeHidden: true })
    .allTextContents();
  return cells.slice(0, n).map((cell) => cell.replace(/[,\s\u00a0]/g, ''));
}

/** Replaces the editor's text as typing would, runs it with Ctrl+Enter, and waits for that statement to end without an error. */
async function runSql(sql: string, timeout: number): Promise<void> {
  await page.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(sql);
  await page.keyboard.press('ControlOrMeta+Enter');
  // The log shows the last run: wait for this statement's line (its title is the statement) to leave "running".
  const head = sql.replace(/\s+/g, ' ').slice(0, 40);
  const line = runLog().locator('li').last();
  let seen = '';
  await expect
    .poll(
      async () => {
        const ours =
          (await line.count()) > 0 && ((await line.locator('button').getAttribute('title')) ?? '').replace(/\s+/g, ' ').startsWith(head);
        seen = ours
          ? ((await line.getAttribute('data-status')) ?? '')
          : `not yet in the log; the workbench shows: ${(await workbench().textContent())?.slice(-300) ?? ''}`;
        return seen;
      },
      { timeout: budget(timeout), interval: 500, message: `${head}…: ${seen}` },
    )
    .toMatch(/^(done|error|cancelled)$/);
  expect(await line.getAttribute('data-status'), `the run did not succeed: ${await runLog().textContent()}`).toBe('done');
  await expect.poll(() => runButton().isEnabled(), { timeout: budget(30_000) }).toBe(true);
}

async function pickConnection(label: string): Promise<void> {
  const connection = workbench().getByRole('combobox', { name: 'Connection' });
  await connection
    .locator('option', { hasText: label })
    .first()
    .waitFor({ state: 'attached', timeout: budget(30_000) });
  await connection.selectOption({ label });
}

/** The error-rate chart's paint. */
function painted(): Promise<{ drawn: number; series: number }> {
  return chartPaint(
    page
      .getByRole('img', { name: /chart of sec, pct_5xx/ })
      .locator('canvas')
      .first(),
  );
}

async function warehouse(): Promise<pg.Client> {
  const password = run.redshift.adminPassword;
  const db = new pg.Client({ host: run.redshift.host, port: run.redshift.port, user: run.redshift.adminUser, password, database: 'dev' });
  await db.connect();
  return db;
}

const plainId = (id: string) => id.trim().replace(/^rid=/, '');

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'tributary-pipeline-e2e-'));
  // The web host shares the sandbox's data directory: its ingest ledger is where this test reads it.
  app = await openApp(dataDir, { HOME: home }, problems);
  page = app.page;
  deadline = Date.now() + STORY_MS;
});

afterAll(async () => {
  await app?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the whole pipeline end to end in Chromium on the sandbox', () => {
  // One story: once a stage breaks, the later ones have nothing to work on; they are skipped, the broken one named.
  let broken: string | undefined;
  beforeEach((context) => {
    if (broken) context.skip(`skipped: "${broken}" failed`);
  });
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail') return;
    await page.screenshot({ path: join(shots, 'e2e-failed.png'), fullPage: true }).catch(() => undefined);
    // Querying with Spark SQL is a leaf of the story: the COPY and what follows do not need it.
    if (!/Spark SQL/.test(context.task.name)) broken ??= context.task.name;
  });

  it('creates the whole pipeline from a prefix in Provision', async () => {
    await nav('Provision').click();
    await page.getByRole('tablist', { name: 'What to create' }).getByRole('tab', { name: 'Whole pipeline', exact: true }).click();
    const form = page.getByRole('form', { name: 'Whole pipeline wizard' });
    await form.getByRole('textbox', { name: 'Prefix' }).fill(PREFIX);
    const names = form.getByRole('region', { name: 'Names' });
    await expect.poll(() => names.textContent(), { timeout: budget(30_000) }).toContain(STREAM);
    // Until the account is known the bucket's name holds a placeholder: wait for the account id.
    await expect.poll(() => names.textContent(), { timeout: budget(30_000) }).toMatch(new RegExp(`S3 bucket${PREFIX}-\\d{12}-`));
    bucket = /S3 bucket(\S+?)EMR cluster/.exec((await names.textContent()) ?? '')?.[1] ?? '';
    await expect
      .poll(() => form.getByRole('region', { name: 'Hourly cost estimate' }).textContent(), { timeout: budget(30_000) })
      .toMatch(/\$\d+\.\d+ per hour/);
    await shot('provision-preview');

    await form.getByRole('button', { name: 'Create the whole pipeline', exact: true }).click();
    const progress = form.getByRole('region', { name: 'Whole pipeline progress' });
    await progress.waitFor({ timeout: budget(30_000) });
    await expect
      .poll(
        async () => {
          const outcome = (await progress.getByRole('status', { name: 'Outcome' }).textContent()) ?? '';
          if (/fail|error|rolled back/i.test(outcome)) throw new Error(`provisioning failed: ${outcome}`);
          return outcome;
        },
        { timeout: budget(240_000), interval: 1_000 },
      )
      .toMatch(/Ready/);
    const ready = (await progress.getByRole('status', { name: 'Outcome' }).textContent()) ?? '';
    expect(ready).toContain(bucket);
    clusterId = new RegExp(`${EMR} \\((j-[A-Za-z0-9]+)\\)`).exec(ready)?.[1] ?? '';
    expect(clusterId).toMatch(/^j-/);
    const saved = (await form.getByRole('list', { name: 'What was saved' }).textContent()) ?? '';
    expect(saved).toContain(WAREHOUSE_CONNECTION);
    expect(saved).toContain(SPARK_CONNECTION);
    await progress.scrollIntoViewIfNeeded();
    await shot('provision-done');
  }, 300_000);

  it('picks the new resources in Pipeline and produces 100,000 records at 5,000/s with an error burst, every one acknowledged', async () => {
    await nav('Pipeline').click();
    await picker().getByRole('button', { name: 'Reload lists' }).click();
    const streamSelect = picker().getByRole('combobox', { name: 'Stream' });
    await streamSelect.locator('option', { hasText: STREAM }).waitFor({ state: 'attached', timeout: budget(30_000) });
    await streamSelect.selectOption(STREAM);
    const bucketSelect = picker().getByRole('combobox', { name: 'Bucket' });
    await bucketSelect.locator('option', { hasText: bucket }).waitFor({ state: 'attached', timeout: budget(30_000) });
    await bucketSelect.selectOption(bucket);
    const connection = picker().getByRole('combobox', { name: 'Redshift connection' });
    await connection.locator('option', { hasText: WAREHOUSE_CONNECTION }).waitFor({ state: 'attached', timeout: budget(30_000) });
    await connection.selectOption({ label: WAREHOUSE_CONNECTION });
    await picker().getByRole('combobox', { name: 'EMR cluster' }).fill(clusterId);
    await expect.poll(() => stage('stream').getAttribute('data-health'), { timeout: budget(30_000) }).toBe('green');
    await shot('pipeline-picked');

    const ingest = page.getByRole('region', { name: 'Ingest' });
    await ingest.getByRole('spinbutton', { name: 'Seed' }).fill('7');
    await ingest.getByRole('checkbox', { name: 'Error burst' }).check();
    await ingest.getByRole('spinbutton', { name: 'at s' }).fill(String(BURST.at));
    await ingest.getByRole('spinbutton', { name: 'for s' }).fill(String(BURST.for));
    await ingest.getByRole('spinbutton', { name: '5xx share' }).fill(String(BURST.share));
    await ingest.getByRole('spinbutton', { name: 'Records/s' }).fill(String(RATE));
    await ingest.getByRole('spinbutton', { name: /^Total/ }).fill(String(TOTAL));
    await ingest.getByRole('button', { name: 'Start', exact: true }).click();

    const state = ingest.getByRole('status', { name: 'Ingest state' });
    await expect.poll(() => state.textContent(), { timeout: budget(30_000) }).toMatch(/· r[a-z0-9]+/);
    runId = /· (r[a-z0-9]+)/.exec((await state.textContent()) ?? '')![1]!;
    await expect.poll(() => asNumber('sent'), { timeout: budget(60_000) }).toBeGreaterThan(0);
    await shot('ingest-running');
    await expect
      .poll(
        async () => {
          if (/^Run (failed|cancelled|stopped)/.test((await state.textContent()) ?? ''))
            throw new Error(`ingest ended early: ${await state.textContent()}`);
          return asNumber('acknowledged');
        },
        { timeout: budget(360_000), interval: 1_000 },
      )
      .toBe(TOTAL);
    await expect.poll(() => state.textContent(), { timeout: budget(30_000) }).toMatch(/^Run completed/);
    expect(await asNumber('failed')).toBe(0);
    await shot('ingest-done');

    const ledger = join(dataDir, 'ingest', `${runId}.ids`);
    expect(existsSync(ledger)).toBe(true);
  }, 420_000);

  it('runs kinesis_to_s3 then raw_to_parquet as EMR steps until COMPLETED', async () => {
    const raw = await runJob('kinesis_to_s3', 360_000);
    expect(raw['records']).toBeGreaterThanOrEqual(TOTAL);
    await pipeline().getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => stage('raw').getAttribute('data-health'), { timeout: budget(30_000) }).toBe('green');

    const curated = await runJob('raw_to_parquet', 300_000);
    // Provisioning's bucket layout already holds an empty curated/access_logs/v1/ folder, which the job counts as taken.
    expect(curated).toMatchObject({ job: 'raw_to_parquet', rows: TOTAL, bad: 0, duplicates: 0 });
    version = Number(curated['version']);
    expect(version).toBeGreaterThanOrEqual(1);
    await pipeline().getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => stage('curated').getAttribute('data-health'), { timeout: budget(30_000) }).toBe('green');
    expect(await stage('curated').textContent()).toContain('Rows100,000');
    // The stream stage sums CloudWatch's IncomingRecords (published a moment after the puts): every record produced.
    await expect
      .poll(
        async () => {
          await pipeline().getByRole('button', { name: 'Refresh' }).click();
          return stage('stream').textContent();
        },
        { timeout: budget(90_000), interval: 5_000 },
      )
      .toContain('Last 15 min100,000 records');
    await shot('jobs-done');
  }, 600_000);

  it('opens an SSH session to the master (trusting its host key) and queries the curated table with Spark SQL in the Workbench', async () => {
    await nav('Sessions').click();
    await page.getByRole('button', { name: 'Refresh clusters' }).click();
    const open = page.getByRole('button', { name: `Open SSH session to ${EMR}` });
    await open.waitFor({ timeout: budget(30_000) });
    await open.click();
    const row = page.getByRole('row', { name: new RegExp(`${EMR}.*up`) });
    const hostKey = page.getByRole('dialog', { name: 'Unknown host key' });
    await hostKey
      .or(row)
      .first()
      .waitFor({ timeout: budget(60_000) });
    if (await hostKey.isVisible()) {
      // The fingerprint shown is the one of the key the master publishes.
      const key = Buffer.from(run.master.knownHostsLine.split(' ')[2]!, 'base64');
      const fingerprint = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
      expect(await hostKey.textContent()).toContain(fingerprint);
      await shot('sessions-host-key');
      await hostKey.getByRole('button', { name: 'Trust and connect' }).click();
    }
    await row.waitFor({ timeout: budget(60_000) });
    await shot('sessions-up');

    await nav('Workbench').click();
    await page.locator('.monaco-editor .view-lines').waitFor({ timeout: budget(30_000) });
    await pickConnection(SPARK_CONNECTION);
    await runSql(
      'SELECT count(*) AS n, count(DISTINCT record_id) AS ids, sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS errors_5xx FROM default.access_logs;',
      240_000,
    );
    await resultViews().getByRole('tab', { name: 'Grid' }).click();
    await expect.poll(() => rowCells(0, 2), { timeout: budget(30_000) }).toEqual([String(TOTAL), String(TOTAL)]);
    const errors = Number((await rowCells(0, 3))[2]);
    // The burst's half of 4 s of records plus the baseline 0.8 %: well above the baseline alone.
    expect(errors).toBeGreaterThan(TOTAL * 0.02);
    await shot('spark-sql');
  }, 360_000);

  it('COPYs the curated version into Redshift through the COPY wizard, creating the table from the Parquet schema', async () => {
    await nav('Pipeline').click();
    await tab('COPY into Redshift').click();
    const wizard = page.getByRole('region', { name: 'COPY wizard' });
    const source = wizard.getByRole('textbox', { name: 'S3 prefix or object' });
    await expect.poll(() => source.inputValue(), { timeout: budget(30_000) }).toBe(`s3://${bucket}/curated/access_logs/`);
    await wizard.getByRole('button', { name: 'Browse…' }).click();
    const browse = wizard.getByRole('group', { name: 'Pick a prefix' });
    const curated = `s3://${bucket}/curated/access_logs/v${version}/`;
    await browse.getByRole('button', { name: `v${version}/` }).click({ timeout: budget(30_000) });
    await browse.getByText(curated).waitFor({ timeout: budget(30_000) });
    await browse.getByRole('button', { name: 'Use this prefix' }).click();
    expect(await source.inputValue()).toBe(curated);

    await wizard.getByRole('textbox', { name: 'Table', exact: true }).fill(TABLE);
    await wizard.getByRole('checkbox', { name: /Create it from the Parquet schema/ }).check();
    await wizard.getByRole('button', { name: 'Propose CREATE TABLE' }).click();
    const ddl = wizard.getByRole('textbox', { name: 'CREATE TABLE statement' });
    await expect
      .poll(() => ddl.inputValue(), { timeout: budget(30_000) })
      .toMatch(new RegExp(`CREATE TABLE[\\s\\S]*${TABLE}[\\s\\S]*record_id`));
    // The proposal sizes VARCHARs from a sample; widened, every file of 100,000 rows fits.
    await ddl.fill((await ddl.inputValue()).replace(/VARCHAR\(\d+\)/g, 'VARCHAR(2048)'));
    // The role the pipeline made for COPY: <prefix>-redshift-copy in the account the bucket's name holds.
    const account = new RegExp(`^${PREFIX}-(\\d{12})-`).exec(bucket)?.[1] ?? '123456789012';
    const role = `arn:aws:iam::${account}:role/${PREFIX}-redshift-copy`;
    await wizard.getByRole('combobox', { name: 'IAM role' }).fill(role);
    await wizard.getByRole('button', { name: 'Preview COPY' }).click();
    await expect
      .poll(() => wizard.getByLabel('COPY statement').textContent(), { timeout: budget(30_000) })
      .toBe(`COPY ${TABLE}\nFROM '${curated}'\nIAM_ROLE '${role}'\nFORMAT AS PARQUET;`);
    await shot('copy-preview');

    await wizard.getByRole('button', { name: 'Run COPY' }).click();
    const outcome = page.getByRole('region', { name: 'COPY outcome' });
    await outcome.waitFor({ timeout: budget(240_000) });
    expect(await outcome.getAttribute('data-ok'), (await outcome.textContent()) ?? '').toBe('true');
    await expect
      .poll(() => outcome.getByRole('status').textContent(), { timeout: budget(30_000) })
      .toBe(`${TOTAL.toLocaleString('en-US')} rows loaded · table created`);
    await expect.poll(() => stage('redshift').getAttribute('data-health'), { timeout: budget(30_000) }).toBe('green');
    // Read from the warehouse's own SYS_LOAD_HISTORY, as it would be for a COPY run anywhere else.
    await expect.poll(() => stage('redshift').textContent(), { timeout: budget(30_000) }).toMatch(/Rows100,000Errors0/);
    expect(await stage('redshift').textContent()).toContain(`Last load into ${TABLE} completed`);
    await shot('copy-done');
  }, 300_000);

  it('holds in Redshift exactly the record ids Kinesis acknowledged: nothing lost, nothing duplicated', async () => {
    // In the Workbench, on the connection the pipeline saved.
    await nav('Workbench').click();
    await pickConnection(WAREHOUSE_CONNECTION);
    await runSql(`SELECT count(*) AS n, count(DISTINCT record_id) AS ids FROM ${TABLE};`, 120_000);
    await resultViews().getByRole('tab', { name: 'Grid' }).click();
    await expect.poll(() => rowCells(0, 2), { timeout: budget(30_000) }).toEqual([String(TOTAL), String(TOTAL)]);
    await shot('redshift-counts');

    // And as sets, from the test: the ledger against the table.
    const acknowledged: string[] = [];
    for await (const entry of readLedger(join(dataDir, 'ingest', `${runId}.ids`))) acknowledged.push(plainId(entry.id));
    expect(acknowledged).toHaveLength(TOTAL);
    const ledger = new Set(acknowledged);
    expect(ledger.size).toBe(TOTAL);

    const db = await warehouse();
    try {
      const rows = (await db.query<{ record_id: string }>(`SELECT record_id FROM ${TABLE}`)).rows.map((r) => plainId(r.record_id));
      expect(rows).toHaveLength(TOTAL);
      const loaded = new Set(rows);
      expect(loaded.size, 'duplicated ids in Redshift').toBe(rows.length);
      const lost = acknowledged.filter((id) => !loaded.has(id));
      const extra = [...loaded].filter((id) => !ledger.has(id));
      expect(lost.slice(0, 5), `${lost.length} acknowledged ids missing from Redshift`).toEqual([]);
      expect(extra.slice(0, 5), `${extra.length} ids in Redshift that Kinesis never acknowledged`).toEqual([]);
    } finally {
      await db.end();
    }
  }, 180_000);

  it('charts the error rate per second of log time in the Workbench, the burst standing out', async () => {
    const sql = `SELECT date_trunc('second', ts) AS sec, count(*) AS requests,
  CAST(round(100.0 * sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) / count(*), 2) AS DOUBLE PRECISION) AS pct_5xx
FROM ${TABLE}
GROUP BY 1
ORDER BY 1;`;
    const db = await warehouse();
    let seconds: { pct_5xx: number }[];
    try {
      seconds = (await db.query<{ pct_5xx: number }>(sql)).rows;
    } finally {
      await db.end();
    }
    // A shape: most seconds near the baseline, the burst's seconds far above it.
    expect(seconds.length).toBeGreaterThanOrEqual(10);
    const sorted = seconds.map((s) => Number(s.pct_5xx)).sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(5);
    expect(sorted.at(-1)).toBeGreaterThan(30);

    await runSql(sql, 120_000);
    await resultViews().getByRole('tab', { name: 'Grid' }).click();
    await expect
      .poll(() => page.getByRole('status', { name: 'Result status' }).textContent(), { timeout: budget(30_000) })
      .toBe(`${seconds.length} rows`);
    await resultViews().getByRole('tab', { name: 'Chart' }).click();
    const controls = page.getByRole('toolbar', { name: 'Chart' });
    await controls.getByRole('combobox', { name: 'Type' }).selectOption('line');
    await controls.getByRole('combobox', { name: 'X' }).selectOption('sec');
    for (const box of await controls.getByRole('checkbox').all()) if (await box.isChecked()) await box.uncheck();
    await controls.getByRole('checkbox', { name: 'pct_5xx' }).check();
    await page.getByRole('img', { name: 'line chart of sec, pct_5xx' }).waitFor({ timeout: budget(30_000) });
    await expect
      .poll(() => page.getByRole('status', { name: 'Chart status' }).textContent(), { timeout: budget(30_000) })
      .toBe(`Charted ${seconds.length} rows.`);
    // ECharts draws the line in from the left: wait until the series' paint stops changing, well above its legend mark alone.
    let before = -1;
    await expect
      .poll(
        async () => {
          const now = (await painted()).series;
          const settled = now === before && now > 0.001;
          before = now;
          return settled;
        },
        { timeout: budget(30_000), interval: 750 },
      )
      .toBe(true);
    expect((await painted()).drawn).toBeGreaterThan(0.01);
    await shot('error-rate-chart');
  }, 180_000);

  it('logged no page errors on the way', () => {
    expect(problems).toEqual([]);
  });
});
