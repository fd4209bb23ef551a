import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { Page } from 'playwright-core';
import { readRunFile } from '../../sandbox/client/run-file.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sandboxClientConfig, type SandboxAccess } from '../../sandbox/client/constants.js';
import { openApp } from '../helpers/chromium.js';
import { pipelineView } from '../helpers/pipeline-page.js';
import { projectRoot } from '../helpers/web-host-process.js';
import { startSandboxCluster } from '../helpers/sandbox-cluster.js';
import { until } from '../helpers/until.js';

const { dataDir } = inject('sandbox');
// Read when this file runs, not at setup: sandbox.test.ts restarts the sandbox on new ports.
const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
const STREAM = 'pipeline-ui-events';
const BUCKET = 'pipeline-ui-test';
const TOTAL = 3000;
const TABLE = 'pipeline_ui_logs';
const ROLE = 'arn:aws:iam::123456789012:role/TributaryRedshiftS3Role';
const shots = join(projectRoot, 'test-results', 'screenshots');

let app: { page: Page; close(): Promise<void> } | undefined;
let page: Page;
let home: string;
let clusterId: string | undefined;
let clusterReady: Promise<string | undefined>;
const problems: string[] = [];

const { pipeline, picker, tab, asNumber, stage, runJob: submitJob } = pipelineView(() => page);
const runJob = (job: 'kinesis_to_s3' | 'raw_to_parquet') => submitJob(job, { within: 240_000, shot });

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `pipeline-${name}.png`), fullPage: true });
}

/** A Parquet file with the curated table's columns, every one a string: COPY refuses each row (bad timestamp, bad integer). */
function wrongTypedParquet(path: string): void {
  const strings = (v: string) => Array.from({ length: 5 }, () => v);
  const columns: [string, string][] = [
    ['ts', 'yesterday-ish'],
    ['client_ip', '10.1.1.1'],
    ['method', 'GET'],
    ['path', '/'],
    ['protocol', 'HTTP/1.1'],
    ['status', 'two hundred'],
    ['bytes', '12'],
    ['referrer', '-'],
    ['user_agent', 'x'],
    ['record_id', 'w'],
    ['extra', 'x'],
  ];
  writeFileSync(
    path,
    Buffer.from(
      parquetWriteBuffer({ columnData: columns.map(([name, value]) => ({ name, data: strings(value), type: 'STRING' as const })) }),
    ),
  );
}

/** An EMR cluster in the sandbox, as the provisioning wizard would leave one; undefined when the sandbox cannot make one. */
async function startCluster(access: SandboxAccess): Promise<string | undefined> {
  try {
    return await startSandboxCluster(access, 'pipeline-ui', {
      applications: ['Spark', 'Hive'],
      logUri: `s3://${BUCKET}/emr-logs/`,
      timeoutMs: 120_000,
    });
  } catch (error) {
    process.stdout.write(`pipeline-ui: no EMR cluster (${String(error)})\n`);
    return undefined;
  }
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'tributary-pipeline-ui-'));
  const config = sandboxClientConfig(run);
  const kinesis = new KinesisClient(config);
  const s3 = new S3Client(config);
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  clusterReady = startCluster(run);
  await until(
    `stream ${STREAM} ACTIVE`,
    async () =>
      (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE'
        ? true
        : undefined,
    60_000,
  );
  kinesis.destroy();
  s3.destroy();

  app = await openApp(dataDir, { HOME: home }, problems);
  page = app.page;
});

afterAll(async () => {
  await app?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the pipeline view in Chromium on the sandbox, as an operator uses it', () => {
  it('picks the stream and bucket, and shows every stage with its health', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Pipeline', exact: true }).click();
    const streamSelect = picker().getByRole('combobox', { name: 'Stream' });
    await streamSelect.locator('option', { hasText: STREAM }).waitFor({ state: 'attached' });
    await streamSelect.selectOption(STREAM);
    const bucketSelect = picker().getByRole('combobox', { name: 'Bucket' });
    await bucketSelect.locator('option', { hasText: BUCKET }).waitFor({ state: 'attached' });
    await bucketSelect.selectOption(BUCKET);
    const connection = picker().getByRole('combobox', { name: 'Redshift connection' });
    await connection.locator('option', { hasText: 'Sandbox warehouse (Redshift)' }).waitFor({ state: 'attached' });
    await connection.selectOption({ label: 'Sandbox warehouse (Redshift)' });

    await expect.poll(() => pipeline().getByRole('list', { name: 'Pipeline stages' }).locator('.pipeline-stage').count()).toBe(5);
    // The Firehose path stands beside the Spark path, waiting for a delivery stream to be picked.
    expect(await stage('firehose').getAttribute('data-health')).toBe('unknown');
    expect(await stage('firehose').textContent()).toContain('No Firehose stream picked');
    // The stream is ACTIVE with two open shards: green; the bucket has no raw data yet: amber.
    await expect.poll(() => stage('stream').getAttribute('data-health'), { timeout: 20_000 }).toBe('green');
    expect(await stage('stream').textContent()).toContain('2 open');
    await expect.poll(() => stage('raw').getAttribute('data-health'), { timeout: 20_000 }).toBe('amber');
    expect(await stage('raw').textContent()).toContain('No raw objects yet');
    expect(await stage('jobs').getAttribute('data-health')).toBe('unknown');

    // The choice is remembered across a reload.
    await page.reload();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Pipeline', exact: true }).click();
    await expect.poll(() => picker().getByRole('combobox', { name: 'Stream' }).inputValue()).toBe(STREAM);
    expect(await picker().getByRole('combobox', { name: 'Bucket' }).inputValue()).toBe(BUCKET);
    await shot('overview');
  });

  it('generates records with live counters until every one is acknowledged, and the tail shows them with the iterator age', async () => {
    const tail = page.getByRole('region', { name: 'Stream tail' });
    // The tail reads from LATEST: wait until its first GetRecords answered, so the run's records are after its iterators.
    await expect
      .poll(() => tail.getByRole('status', { name: 'Iterator age' }).textContent(), { timeout: 30_000 })
      .toMatch(/Iterator age: \d/);

    const ingest = page.getByRole('region', { name: 'Ingest' });
    await ingest.getByRole('spinbutton', { name: 'Seed' }).fill('42');
    await ingest.getByRole('spinbutton', { name: 'Records/s' }).fill('600');
    await ingest.getByRole('spinbutton', { name: /^Total/ }).fill(String(TOTAL));
    await ingest.getByRole('button', { name: 'Start', exact: true }).click();

    // Counters move: a moment with some sent and not all acknowledged, then all acknowledged.
    let sawMoving = false;
    await expect
      .poll(
        async () => {
          const acknowledged = await asNumber('acknowledged');
          const sent = await asNumber('sent');
          if (sent > 0 && acknowledged < TOTAL) sawMoving = true;
          return acknowledged;
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBe(TOTAL);
    expect(sawMoving).toBe(true);
    await expect
      .poll(() => ingest.getByRole('status', { name: 'Ingest state' }).textContent(), { timeout: 10_000 })
      .toMatch(/^Run completed/);
    expect(await asNumber('sent')).toBe(TOTAL);
    expect(await asNumber('failed')).toBe(0);

    const rows = tail.getByRole('table', { name: 'Latest records' }).locator('tbody tr');
    await expect.poll(() => rows.first().textContent(), { timeout: 30_000 }).toMatch(/"rid=r[a-z0-9]+-\d+"/);
    expect(await rows.count()).toBeGreaterThan(10);
    expect(await tail.getByRole('status', { name: 'Iterator age' }).textContent()).toMatch(/Iterator age: \d/);
    // The stage's iterator age is CloudWatch's (the sandbox publishes it from the reads, the tail's included).
    await expect
      .poll(
        async () => {
          await page.getByRole('region', { name: 'Pipeline' }).getByRole('button', { name: 'Refresh' }).click();
          return stage('stream').textContent();
        },
        { timeout: 30_000, interval: 3_000 },
      )
      .toMatch(new RegExp(`Last 15 min${TOTAL.toLocaleString('en-US')} records.*Iterator age\\d`));
    await shot('ingest');
  });

  it('browses the bucket, uploads a file with progress and previews it', async () => {
    await tab('S3 browser').click();
    const objects = page.getByRole('table', { name: 'Objects' });
    await objects.getByText('Nothing under this prefix.').waitFor({ timeout: 15_000 });

    // The workspace (~/Tributary, made by the app at start) holds what the operator uploads; a name is taken from there.
    const wrong = join(home, 'Tributary', 'typed.parquet');
    wrongTypedParquet(wrong);
    const upload = page.getByRole('form', { name: 'Upload' });
    const status = page.getByRole('status', { name: 'Transfer status' });
    await upload.getByRole('textbox', { name: /^Local file/ }).fill('typed.parquet');
    await upload.getByRole('textbox', { name: /^Object name/ }).fill('wrong/typed.parquet');
    await upload.getByRole('button', { name: 'Upload' }).click();
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/typed\.parquet: done, /);

    const file = join(home, 'Tributary', 'sample.json');
    const sample = {
      pipeline: 'tributary',
      records: Array.from({ length: 400 }, (_, i) => ({ i, path: `/p/${i % 13}`, status: i % 10 ? 200 : 503 })),
    };
    writeFileSync(file, JSON.stringify(sample));
    await upload.getByRole('textbox', { name: /^Local file/ }).fill(file);
    await upload.getByRole('textbox', { name: /^Object name/ }).fill('samples/sample.json');
    await upload.getByRole('button', { name: 'Upload' }).click();
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/sample\.json: done, \d+(\.\d)? KiB$/);
    expect(await page.getByRole('progressbar', { name: 'Transfer progress' }).getAttribute('value')).toBe('100');

    await objects.getByRole('button', { name: /samples\/$/ }).click();
    await objects.getByRole('button', { name: 'sample.json' }).click();
    const previewText = page.getByRole('region', { name: 'Object preview' }).getByLabel('Preview text');
    await expect.poll(() => previewText.textContent(), { timeout: 15_000 }).toContain('"pipeline": "tributary"');
    expect(await page.getByRole('region', { name: 'Object preview' }).textContent()).toContain('JSON');
    await shot('s3-preview');

    await objects.getByRole('button', { name: '../' }).click();
    await objects.getByRole('button', { name: 'wrong/' }).click();
    await objects.getByRole('button', { name: 'typed.parquet' }).click();
    const schema = page.getByRole('table', { name: 'Parquet schema' });
    await schema.waitFor({ timeout: 15_000 });
    expect(await schema.locator('tbody tr').count()).toBe(11);
    expect(await page.getByRole('table', { name: 'Parquet rows' }).locator('tbody tr').count()).toBe(5);
    expect(await page.getByRole('table', { name: 'Parquet rows' }).locator('tbody tr').first().textContent()).toContain('two hundred');
    await shot('s3-parquet');
  });

  it('submits kinesis_to_s3 as an EMR step and follows it to COMPLETED with its log tail', async () => {
    clusterId = await clusterReady;
    if (!clusterId) {
      process.stdout.write('pipeline-ui: skipping the Spark job: the sandbox made no EMR cluster\n');
      return;
    }
    await picker().getByRole('combobox', { name: 'EMR cluster' }).fill(clusterId);
    const summary = await runJob('kinesis_to_s3');
    expect(summary['records']).toBeGreaterThanOrEqual(TOTAL);

    // The overview follows: the last job COMPLETED (green) and the raw stage has today's objects.
    // The job's summary can arrive a moment before EMR lists the step COMPLETED: the operator refreshes until it does.
    await expect
      .poll(
        async () => {
          await pipeline().getByRole('button', { name: 'Refresh' }).click();
          return stage('jobs').textContent();
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toContain('COMPLETED');
    expect(await stage('jobs').getAttribute('data-health')).toBe('green');
    await expect.poll(() => stage('raw').getAttribute('data-health'), { timeout: 20_000 }).toBe('green');
    await shot('kinesis_to_s3-completed');

    // The raw stage's link opens the S3 browser at raw/access_logs/, where the job wrote a dt= prefix.
    await stage('raw').getByRole('button').click();
    await page
      .getByRole('table', { name: 'Objects' })
      .getByRole('button', { name: /^dt=\d{4}-\d\d-\d\d\/$/ })
      .first()
      .waitFor({ timeout: 15_000 });
    await shot('raw-prefix');
  });

  it('turns the raw data into a curated Parquet version with raw_to_parquet', async () => {
    if (!clusterId) return;
    const summary = await runJob('raw_to_parquet');
    expect(summary).toMatchObject({ job: 'raw_to_parquet', version: 1, rows: TOTAL });
    await pipeline().getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => stage('curated').getAttribute('data-health'), { timeout: 20_000 }).toBe('green');
    expect(await stage('curated').textContent()).toMatch(/Versionsv1Partitions[1-9]\d*Rows3,000/);
    await shot('raw_to_parquet-completed');
  });

  it('COPYs the curated version into a table created from its Parquet schema, then shows the load errors of a wrong file', async () => {
    if (!clusterId) return;
    await tab('COPY into Redshift').click();
    const wizard = page.getByRole('region', { name: 'COPY wizard' });
    const source = wizard.getByRole('textbox', { name: 'S3 prefix or object' });
    expect(await source.inputValue()).toBe(`s3://${BUCKET}/curated/access_logs/`);
    await wizard.getByRole('button', { name: 'Browse…' }).click();
    const browse = wizard.getByRole('group', { name: 'Pick a prefix' });
    await browse.getByRole('button', { name: 'v1/' }).click();
    await browse.getByText(`s3://${BUCKET}/curated/access_logs/v1/`).waitFor();
    await browse.getByRole('button', { name: 'Use this prefix' }).click();
    expect(await source.inputValue()).toBe(`s3://${BUCKET}/curated/access_logs/v1/`);

    await wizard.getByRole('textbox', { name: 'Table', exact: true }).fill(TABLE);
    await wizard.getByRole('checkbox', { name: /Create it from the Parquet schema/ }).check();
    await wizard.getByRole('button', { name: 'Propose CREATE TABLE' }).click();
    const ddl = wizard.getByRole('textbox', { name: 'CREATE TABLE statement' });
    await expect.poll(() => ddl.inputValue(), { timeout: 15_000 }).toMatch(new RegExp(`CREATE TABLE[\\s\\S]*${TABLE}[\\s\\S]*DISTKEY`));
    // The proposal sizes VARCHARs from a sample; the operator widens them before loading every file.
    await ddl.fill((await ddl.inputValue()).replace(/VARCHAR\(\d+\)/g, 'VARCHAR(1024)'));
    await wizard.getByRole('combobox', { name: 'IAM role' }).fill(ROLE);
    await wizard.getByRole('button', { name: 'Preview COPY' }).click();
    await expect
      .poll(() => wizard.getByLabel('COPY statement').textContent())
      .toBe(`COPY ${TABLE}\nFROM 's3://${BUCKET}/curated/access_logs/v1/'\nIAM_ROLE '${ROLE}'\nFORMAT AS PARQUET;`);
    await shot('copy-preview');

    await wizard.getByRole('button', { name: 'Run COPY' }).click();
    const outcome = page.getByRole('region', { name: 'COPY outcome' });
    await expect
      .poll(() => outcome.getByRole('status').textContent(), { timeout: 60_000 })
      .toBe(`${TOTAL.toLocaleString('en-US')} rows loaded · table created`);
    // The stage reads the warehouse's load history, which other tests' loads share: this load, by its table, newest.
    await expect
      .poll(() => stage('redshift').textContent(), { timeout: 15_000 })
      .toMatch(new RegExp(`Rows3,000Errors0Last load into ${TABLE} completed`));
    expect(await stage('redshift').getAttribute('data-health')).toBe('green');

    await source.fill(`s3://${BUCKET}/wrong/`);
    await wizard.getByRole('checkbox', { name: /Create it from the Parquet schema/ }).uncheck();
    await wizard.getByRole('button', { name: 'Run COPY' }).click();
    await outcome.getByRole('alert').waitFor({ timeout: 60_000 });
    const errors = page.getByRole('table', { name: 'Load errors' });
    await errors.waitFor();
    expect(await errors.locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await errors.locator('tbody tr').first().textContent()).toContain(`s3://${BUCKET}/wrong/typed.parquet`);
    expect(await outcome.textContent()).toMatch(/sys_load_error_detail|stl_load_errors/);
    await expect
      .poll(() => stage('redshift').textContent(), { timeout: 15_000 })
      .toMatch(
        new RegExp(`Rows0Errors([1-9]\\d*)Last load into ${TABLE} aborted \\(\\1 load errors?: invalid input syntax for type timestamp`),
      );
    expect(await stage('redshift').getAttribute('data-health')).toBe('red');
    await errors.scrollIntoViewIfNeeded();
    await shot('copy-errors');
  });

  it('logged no page errors on the way', () => {
    expect(problems).toEqual([]);
  });
});
