import { readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AddJobFlowStepsCommand, DescribeStepCommand, EMRClient, TerminateJobFlowsCommand } from '@aws-sdk/client-emr';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { sandboxClientConfig } from '../../sandbox/client/constants.js';
import { fill } from '../../electron/core/pipeline/assets.js';
import { readRunFile, type RunFile } from '../../sandbox/client/run-file.js';
import type { Cell, InputOf, PipelineRunChunk, RunChunk } from '../../shared/contract/index.js';
import { ACCESS_LOG_REGEX, recordIdOf } from '../../shared/pipeline/access-log.js';
import { tempDir, testCore, workspaceOf } from '../helpers/core.js';
import { openSandboxMaster, startSandboxCluster } from '../helpers/sandbox-cluster.js';
import { until } from '../helpers/until.js';

const { dataDir } = inject('sandbox');
const signal = new AbortController().signal;
const BUCKET = 'pipeline-jobs-test';
const STREAM = 'pipeline-access-logs';
const ROLE = 'arn:aws:iam::123456789012:role/TributaryRedshiftS3Role';
const LINES = 3000;
let run: RunFile;
let core: Core;
let clusterId: string;
let s3: S3Client;
let put: string[] = [];

/** Every 100th line is malformed in a different way; the rest are combined-format lines with a record id. */
function line(i: number): string {
  if (i % 100 === 7)
    return [
      `garbage line ${i} "rid=bad-${i}"`,
      `10.0.0.1 - - [99/Foo/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x" "rid=badts-${i}"`,
      `10.0.0.${i % 250} - - [02/Jan/2024:03:04:05 +0000] "GET /x HTTP/1.1" 200`,
    ][i % 3]!;
  const day = 1 + (i % 3);
  return `10.0.${i % 7}.${i % 250} - - [0${day}/Jan/2024:${String(i % 24).padStart(2, '0')}:04:${String(i % 60).padStart(2, '0')} +0000] "GET /p/${i % 13}?q=${i} HTTP/1.1" ${i % 10 ? 200 : 503} ${i * 3} "-" "curl/8.${i % 5} (\\"quoted\\")" "rid=pj-${i}"`;
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const chunks: T[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const follow = (runId: string, abort?: AbortSignal) =>
  collect(core.handlers['pipeline.follow']({ clusterId, runId }, { signal: abort ?? signal }));
const submit = (options: InputOf<'pipeline.submit'>['options'], via: 'step' | 'ssh' = 'step') =>
  core.handlers['pipeline.submit']({ clusterId, bucket: BUCKET, via, options }, { signal });
const finalState = (chunks: PipelineRunChunk[]) => chunks.filter((c) => c.kind === 'state').at(-1);
const summaryOf = (chunks: PipelineRunChunk[]) =>
  chunks.find((c): c is Extract<PipelineRunChunk, { kind: 'summary' }> => c.kind === 'summary')?.summary;
const stdout = (chunks: PipelineRunChunk[]) => chunks.map((c) => (c.kind === 'log' && c.stream === 'stdout' ? c.text : '')).join('');

async function keys(prefix: string): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    out.push(...(page.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0 })));
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

const text = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();

async function rawLines(): Promise<string[]> {
  const lines: string[] = [];
  for (const { key } of await keys('raw/access_logs/')) lines.push(...(await text(key)).split('\n').filter(Boolean));
  return lines;
}

async function runSql(connectionId: string, sql: string): Promise<RunChunk[]> {
  return collect(core.handlers['queries.run']({ connectionId, sql, origin: { line: 1, column: 1 } }, { signal }));
}

async function firstRows(chunks: RunChunk[]): Promise<Cell[][]> {
  const errors = chunks.filter((c) => c.kind === 'error');
  if (errors.length) throw new Error(JSON.stringify(errors));
  const result = chunks.filter((c) => c.kind === 'result').at(-1);
  if (!result || result.kind !== 'result') throw new Error('no result');
  return (await core.handlers['results.rows']({ resultId: result.resultId, offset: 0, limit: 1000 }, { signal })).rows;
}

beforeAll(async () => {
  run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
  const appDir = tempDir('tributary-pipeline-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  const config = sandboxClientConfig(run);
  s3 = new S3Client(config);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const kinesis = new KinesisClient(config);
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  const cluster = startSandboxCluster(run, 'pipeline-test', {
    applications: ['Spark', 'Hive'],
    logUri: `s3://${BUCKET}/emr-logs/`,
  });
  await until('ACTIVE stream', async () =>
    (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE'
      ? true
      : undefined,
  );
  put = Array.from({ length: LINES }, (_, i) => line(i));
  for (let at = 0; at < LINES; at += 500) {
    const answer = await kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: put.slice(at, at + 500).map((data, i) => ({ PartitionKey: `k${at + i}`, Data: Buffer.from(data) })),
      }),
    );
    expect(answer.FailedRecordCount).toBe(0);
  }
  kinesis.destroy();
  clusterId = await cluster;
  await openSandboxMaster(core, run, clusterId, signal);
});

afterAll(async () => {
  s3?.destroy();
  await core?.dispose();
});

describe('kinesis_to_s3: Kinesis → S3 raw, exactly once across a crash and a cancel', () => {
  it('dies between writing a batch and checkpointing it (fault injection), leaving the batch pending', async () => {
    // The hidden --crash-after-write flag is not in the app's options: add the step with the SDK, the script as the app uploaded it.
    const submitted = await submit({ job: 'kinesis_to_s3', stream: STREAM, batchSize: 250, maxBatches: 1 });
    expect(finalState(await follow(submitted.runId))).toMatchObject({ state: 'COMPLETED' });
    const emr = new EMRClient(sandboxClientConfig(run));
    const { StepIds } = await emr.send(
      new AddJobFlowStepsCommand({
        JobFlowId: clusterId,
        Steps: [
          {
            Name: 'crash',
            ActionOnFailure: 'CONTINUE',
            HadoopJarStep: {
              Jar: 'command-runner.jar',
              Args: [...submitted.command.filter((a) => a !== '--max-batches' && a !== '1'), '--crash-after-write', '2'],
            },
          },
        ],
      }),
    );
    const chunks = await follow(StepIds![0]!);
    emr.destroy();
    expect(finalState(chunks)).toMatchObject({ state: 'FAILED', reason: expect.stringMatching(/Exit status/) });
    expect(chunks.some((c) => c.kind === 'event' && c.event.event === 'crash')).toBe(true);
    const checkpoints = await Promise.all(
      (await keys(`checkpoints/kinesis_to_s3/${STREAM}/`)).map(async ({ key }) => JSON.parse(await text(key)) as { pending: unknown }),
    );
    expect(checkpoints.some((c) => c.pending)).toBe(true);
  });

  it('is cancelled mid-run (CancelSteps), following its state and logs live', async () => {
    const submitted = await submit({ job: 'kinesis_to_s3', stream: STREAM, batchSize: 100, batchIntervalSeconds: 1, untilIdleSeconds: 30 });
    expect(submitted.command.slice(0, 4)).toEqual(['spark-submit', '--deploy-mode', 'client', `s3://${BUCKET}/spark/kinesis_to_s3.py`]);
    const abort = new AbortController();
    const following = follow(submitted.runId, abort.signal);
    // Cancel once a few batches have been committed (the job pauses a second after each).
    const before = (await rawLines()).length;
    await until('a few batches written', async () => ((await rawLines()).length >= before + 300 ? true : undefined), 120_000);
    expect(await core.handlers['pipeline.cancel']({ clusterId, runId: submitted.runId }, { signal })).toMatchObject({ state: 'SUBMITTED' });
    const chunks = await following;
    expect(chunks.filter((c) => c.kind === 'state').map((c) => c.kind === 'state' && c.state)).toEqual(
      expect.arrayContaining(['RUNNING', 'CANCELLED']),
    );
    expect(finalState(chunks)).toMatchObject({ state: 'CANCELLED' });
    expect(chunks.some((c) => c.kind === 'log' && c.stream === 'stderr')).toBe(true);
    expect(chunks.find((c) => c.kind === 'sparkUi')).toMatchObject({
      applicationId: expect.stringMatching(/^local-/),
      note: expect.stringMatching(/UI off/),
    });
    expect(stdout(chunks)).toMatch(/TRIBUTARY_EVENT .*"event": "replay"/);
    expect((await rawLines()).length).toBeLessThan(LINES);
  });

  it('runs again to the end: the raw lines are exactly the ones put, none lost, none twice', async () => {
    const submitted = await submit({ job: 'kinesis_to_s3', stream: STREAM, batchSize: 1000, untilIdleSeconds: 4 });
    const chunks = await follow(submitted.runId);
    expect(finalState(chunks)).toMatchObject({ state: 'COMPLETED' });
    expect(summaryOf(chunks)).toMatchObject({ job: 'kinesis_to_s3', stream: STREAM });
    const lines = await rawLines();
    expect(lines.length).toBe(LINES);
    expect([...lines].sort()).toEqual([...put].sort());
    // Every id once (lines cut short before their id have none).
    const ids = lines.map((l) => recordIdOf(l)).filter((id) => id !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(put.filter((l) => recordIdOf(l) !== undefined).length);
    for (const { key } of await keys('raw/access_logs/'))
      expect(key).toMatch(/^raw\/access_logs\/dt=\d{4}-\d{2}-\d{2}\/batch-shardId-\d+-\d+-\d+\.txt$/);
  });

  it('started again over the SSH session with spark-submit, finds nothing new and writes nothing', async () => {
    const submitted = await submit({ job: 'kinesis_to_s3', stream: STREAM, untilIdleSeconds: 2 }, 'ssh');
    expect(submitted.runId).toMatch(/^ssh-/);
    const chunks = await follow(submitted.runId);
    expect(finalState(chunks)).toMatchObject({ state: 'COMPLETED' });
    expect(summaryOf(chunks)).toMatchObject({ records: 0, batches: 0 });
    expect((await rawLines()).length).toBe(LINES);
    const runs = await core.handlers['pipeline.runs']({ clusterId }, { signal });
    expect(runs.find((r) => r.runId === submitted.runId)).toMatchObject({ via: 'ssh', state: 'COMPLETED' });
    expect(runs.filter((r) => r.via === 'step').map((r) => r.state)).toEqual(expect.arrayContaining(['COMPLETED', 'FAILED', 'CANCELLED']));
  });
});

describe('step logs, kept as EMR keeps them', () => {
  const logKey = (stepId: string, name: string) => `emr-logs/${clusterId}/steps/${stepId}/${name}.gz`;
  const logText = async (key: string) =>
    gunzipSync(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray()).toString('utf8');

  it('reach the cluster’s LogUri in S3 as gzip objects while the step runs and when it ends, and the app reads them there', async () => {
    const emr = new EMRClient(sandboxClientConfig(run));
    try {
      const script = 'echo early-line; echo err-line >&2; sleep 6; echo late-line';
      const { StepIds } = await emr.send(
        new AddJobFlowStepsCommand({
          JobFlowId: clusterId,
          Steps: [
            { Name: 'logs', ActionOnFailure: 'CONTINUE', HadoopJarStep: { Jar: 'command-runner.jar', Args: ['bash', '-c', script] } },
          ],
        }),
      );
      const stepId = StepIds![0]!;
      // Uploaded while it runs: the first line is in S3 before the step has ended.
      await until(
        'stdout.gz while running',
        async () => ((await logText(logKey(stepId, 'stdout')).catch(() => '')).includes('early-line') ? true : undefined),
        30_000,
      );
      const state = (await emr.send(new DescribeStepCommand({ ClusterId: clusterId, StepId: stepId }))).Step?.Status?.State;
      expect(state).toBe('RUNNING');
      expect(await logText(logKey(stepId, 'stdout'))).not.toContain('late-line');

      const chunks = await follow(stepId);
      expect(finalState(chunks)).toMatchObject({ state: 'COMPLETED' });
      expect(stdout(chunks)).toBe('early-line\nlate-line\n');
      expect(chunks.filter((c) => c.kind === 'log' && c.stream === 'stderr').map((c) => c.kind === 'log' && c.text)).toEqual([
        'err-line\n',
      ]);
      // At the end every log is there, gzip-compressed, where EMR puts them.
      expect((await keys(`emr-logs/${clusterId}/steps/${stepId}/`)).map((k) => k.key).sort()).toEqual(
        ['controller', 'stderr', 'stdout'].map((name) => logKey(stepId, name)),
      );
      const raw = await (
        await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: logKey(stepId, 'stdout') }))
      ).Body!.transformToByteArray();
      expect([raw[0], raw[1]]).toEqual([0x1f, 0x8b]);
      expect(await logText(logKey(stepId, 'stdout'))).toBe('early-line\nlate-line\n');
      expect(await logText(logKey(stepId, 'controller'))).toMatch(/startExec 'bash -c [^\n]+\n.*Process exited with code 0\n/s);

      // What the app shows is what S3 holds: rewrite the object and the app follows the new text.
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: logKey(stepId, 'stdout'), Body: gzipSync('read from S3\n') }));
      expect(stdout(await follow(stepId))).toBe('read from S3\n');
    } finally {
      emr.destroy();
    }
  });

  it('on a cluster without a LogUri are not in S3, and the app says where EMR keeps them instead', async () => {
    const emr = new EMRClient(sandboxClientConfig(run));
    const plain = await startSandboxCluster(run, 'no-log-uri');
    try {
      const { StepIds } = await emr.send(
        new AddJobFlowStepsCommand({
          JobFlowId: plain,
          Steps: [{ Name: 'no-log-uri', ActionOnFailure: 'CONTINUE', HadoopJarStep: { Jar: 'command-runner.jar', Args: ['echo', 'hi'] } }],
        }),
      );
      const chunks = await collect(core.handlers['pipeline.follow']({ clusterId: plain, runId: StepIds![0]! }, { signal }));
      expect(finalState(chunks)).toMatchObject({ state: 'COMPLETED' });
      expect(stdout(chunks)).toBe('');
      expect(chunks.find((c) => c.kind === 'log' && c.stream === 'stderr')).toMatchObject({ text: expect.stringMatching(/has no LogUri/) });
      expect(await keys(`emr-logs/${plain}/`)).toEqual([]);
    } finally {
      await emr.send(new TerminateJobFlowsCommand({ JobFlowIds: [plain] }));
      emr.destroy();
    }
  });
});

/** Lines 7, 107, …: a third do not match the format at all (not_the_format), a third have an impossible date (bad_time), a third are cut short (truncated). */
const BAD = Array.from({ length: LINES }, (_, i) => line(i)).filter(
  (l) => !new RegExp(ACCESS_LOG_REGEX).test(l) || l.includes('[99/Foo/'),
).length;

describe('raw_to_parquet: typed Parquet by dt, malformed lines set aside, the table in the metastore', () => {
  it('parses, counts and sets aside the malformed lines, writes v1 partitioned by dt', async () => {
    expect(BAD).toBe(30);
    const submitted = await submit({ job: 'raw_to_parquet' });
    const chunks = await follow(submitted.runId);
    expect(finalState(chunks)).toMatchObject({ state: 'COMPLETED' });
    expect(summaryOf(chunks)).toMatchObject({
      lines: LINES,
      good: LINES - BAD,
      bad: BAD,
      duplicates: 0,
      rows: LINES - BAD,
      version: 1,
      partitions: ['2024-01-01', '2024-01-02', '2024-01-03'],
      table: 'default.access_logs',
    });
    expect(stdout(chunks)).toContain(`${BAD} malformed set aside`);
    const parquet = (await keys('curated/access_logs/v1/')).filter((o) => o.key.endsWith('.parquet'));
    expect(new Set(parquet.map((o) => o.key.split('/')[3]))).toEqual(new Set(['dt=2024-01-01', 'dt=2024-01-02', 'dt=2024-01-03']));
    const rejects = (await keys('rejects/access_logs/')).filter((o) => o.key.endsWith('.json'));
    const rejected = (await Promise.all(rejects.map((o) => text(o.key))))
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { line: string; reason: string });
    expect(rejected).toHaveLength(BAD);
    expect(new Set(rejected.map((r) => r.reason))).toEqual(new Set(['not_the_format', 'bad_time', 'truncated']));
    expect(summaryOf(chunks)).toMatchObject({ rejected: { truncated: 10, not_the_format: 10, bad_time: 10 }, foreign: 0 });
    // The Pipeline view opens a reason's lines from the same folder.
    const folder = (summaryOf(chunks)!.rejects as string).replace(`s3://${BUCKET}/`, '');
    const cut = await core.handlers['pipeline.rejects']({ bucket: BUCKET, prefix: folder, reason: 'truncated', limit: 3 }, { signal });
    expect(cut).toHaveLength(3);
    for (const r of cut)
      expect(r).toMatchObject({
        reason: 'truncated',
        line: expect.stringMatching(/" 200$/),
        sourceFile: expect.stringContaining('raw/access_logs/'),
      });

    // The curated stage's row count, from the files' footers (Spark's _SUCCESS marker is not a file of the table).
    const counted = await core.handlers['pipeline.parquetRows']({ bucket: BUCKET, prefix: 'curated/access_logs/v1/' }, { signal });
    expect(counted).toEqual({
      files: parquet.length,
      bytes: parquet.reduce((sum, o) => sum + o.size, 0),
      rows: LINES - BAD,
      complete: true,
    });
    await expect(core.handlers['pipeline.parquetRows']({ bucket: BUCKET, prefix: 'raw/access_logs/' }, { signal })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/is not readable as Parquet/),
    });
  });

  it('answers Spark SQL over the curated and raw external tables through the workbench', async () => {
    const spark = `sandbox-spark-${clusterId.toLowerCase()}`;
    expect(await firstRows(await runSql(spark, 'SELECT count(*), count(DISTINCT record_id), count(DISTINCT dt) FROM access_logs'))).toEqual(
      [[String(LINES - BAD), String(LINES - BAD), '3']],
    );
    expect(
      await firstRows(
        await runSql(spark, "SELECT status, count(*) FROM access_logs WHERE dt = DATE'2024-01-02' GROUP BY status ORDER BY status"),
      ),
    ).toHaveLength(2);
    const assets = await core.handlers['pipeline.assets']({}, { signal });
    const raw = assets.sql.find((a) => a.path === 'sql/spark/raw_access_logs.sql')!;
    expect(raw.placeholders).toEqual(['bucket']);
    const created = await runSql(spark, fill(raw.text, { bucket: BUCKET }));
    expect(created.filter((c) => c.kind === 'error')).toEqual([]);
    // The RegexSerDe reads what raw_to_parquet's regex matched (a bad timestamp still matches the pattern).
    expect(await firstRows(await runSql(spark, 'SELECT count(*), count(record_id) FROM raw_access_logs'))).toEqual([
      [String(LINES), String(LINES - 20)],
    ]);
  });
});

describe('COPY into Redshift with the wizard', () => {
  it('proposes a table from the Parquet schema, previews the COPY, loads every good line', async () => {
    const proposal = await core.handlers['pipeline.tableFromParquet'](
      { source: `s3://${BUCKET}/curated/access_logs/v1/`, table: 'access_logs' },
      { signal },
    );
    expect(proposal.columns.map((c) => `${c.name} ${c.redshiftType}`)).toEqual([
      'ts TIMESTAMP',
      'client_ip VARCHAR(32)',
      'method VARCHAR(32)',
      'path VARCHAR(32)',
      'protocol VARCHAR(32)',
      'status INTEGER',
      'bytes BIGINT',
      'referrer VARCHAR(32)',
      'user_agent VARCHAR(64)',
      'record_id VARCHAR(32)',
      'extra VARCHAR(256)',
    ]);
    expect(proposal).toMatchObject({ distKey: 'client_ip', sortKey: 'ts' });
    expect(proposal.ddl).toMatch(/DISTKEY \(client_ip\)\nCOMPOUND SORTKEY \(ts\);$/);
    const spec = { table: 'access_logs', source: `s3://${BUCKET}/curated/access_logs/v1/`, format: 'parquet' as const, iamRole: ROLE };
    const preview = await core.handlers['pipeline.copyPreview'](spec, { signal });
    expect(preview.sql).toBe(`COPY access_logs\nFROM 's3://${BUCKET}/curated/access_logs/v1/'\nIAM_ROLE '${ROLE}'\nFORMAT AS PARQUET;`);
    // The shipped DDL (sql/redshift/access_logs.sql), not the proposal: the table the queries are written for.
    const ddl = (await core.handlers['pipeline.assets']({}, { signal })).sql.find((a) => a.path === 'sql/redshift/access_logs.sql')!.text;
    const outcome = await core.handlers['pipeline.copyRun']({ ...spec, connectionId: 'sandbox-warehouse', createTable: ddl }, { signal });
    expect(outcome).toMatchObject({ ok: true, created: true, rowsLoaded: LINES - BAD });
    expect(await firstRows(await runSql('sandbox-warehouse', 'SELECT count(*), count(DISTINCT record_id) FROM access_logs'))).toEqual([
      [String(LINES - BAD), String(LINES - BAD)],
    ]);
    const queries = (await core.handlers['pipeline.assets']({}, { signal })).sql.find((a) => a.path === 'sql/redshift/queries.sql')!.text;
    expect((await runSql('sandbox-warehouse', queries)).filter((c) => c.kind === 'error')).toEqual([]);
  });

  it('shows the load errors of a wrong-typed file as a result (uploaded through the browser)', async () => {
    const n = 5;
    const file = join(workspaceOf(core), 'wrong.parquet');
    const strings = (v: string) => Array.from({ length: n }, () => v);
    writeFileSync(
      file,
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'ts', data: strings('yesterday-ish'), type: 'STRING' },
            { name: 'client_ip', data: strings('10.1.1.1'), type: 'STRING' },
            { name: 'method', data: strings('GET'), type: 'STRING' },
            { name: 'path', data: strings('/'), type: 'STRING' },
            { name: 'protocol', data: strings('HTTP/1.1'), type: 'STRING' },
            { name: 'status', data: strings('two hundred'), type: 'STRING' },
            { name: 'bytes', data: strings('12'), type: 'STRING' },
            { name: 'referrer', data: strings('-'), type: 'STRING' },
            { name: 'user_agent', data: strings('x'), type: 'STRING' },
            { name: 'record_id', data: strings('w'), type: 'STRING' },
            { name: 'extra', data: strings('x'), type: 'STRING' },
          ],
        }),
      ),
    );
    const progress = await collect(
      core.handlers['pipeline.upload']({ bucket: BUCKET, key: 'wrong/typed.parquet', path: file }, { signal }),
    );
    expect(progress.at(-1)).toEqual({ kind: 'done', bytes: statSync(file).size, location: `s3://${BUCKET}/wrong/typed.parquet` });
    const outcome = await core.handlers['pipeline.copyRun'](
      { table: 'access_logs', source: `s3://${BUCKET}/wrong/`, format: 'parquet', iamRole: ROLE, connectionId: 'sandbox-warehouse' },
      { signal },
    );
    if (outcome.ok) throw new Error('the load should have failed');
    expect(outcome.error).toMatch(/sys_load_error_detail|stl_load_errors/);
    expect(outcome.loadErrors?.source).toBe('sys_load_error_detail');
    expect(outcome.loadErrors?.rows.length).toBeGreaterThan(0);
    const names = outcome.loadErrors!.columns.map((c) => c.name);
    const row = outcome.loadErrors!.rows[0]!;
    expect(row[names.indexOf('file_name')]).toBe(`s3://${BUCKET}/wrong/typed.parquet`);
    expect(row[names.indexOf('error_message')]).toMatch(/invalid input syntax for type timestamp|date\/time/);
    // The grid reads the same rows through the result store.
    const again = await core.handlers['results.rows']({ resultId: outcome.loadErrors!.resultId, offset: 0, limit: 10 }, { signal });
    expect(again.rows).toEqual(outcome.loadErrors!.rows.slice(0, 10));
    expect(await firstRows(await runSql('sandbox-warehouse', 'SELECT count(*) FROM access_logs'))).toEqual([[String(LINES - BAD)]]);
  });
});

describe('the warehouse’s load history behind the Redshift stage', () => {
  it('lists the loads newest first from SYS_LOAD_HISTORY, including one run outside the app', async () => {
    // The wizard's two loads above: the good one, then the wrong-typed file's failure.
    const [failed, loaded] = await core.handlers['pipeline.loads']({ connectionId: 'sandbox-warehouse', limit: 2 }, { signal });
    expect(loaded).toMatchObject({
      status: 'completed',
      table: 'access_logs',
      rows: LINES - BAD,
      errors: 0,
      source: `s3://${BUCKET}/curated/access_logs/v1/`,
    });
    expect(failed).toMatchObject({
      status: 'aborted',
      table: 'access_logs',
      rows: 0,
      source: `s3://${BUCKET}/wrong/`,
      error: expect.stringMatching(/invalid input syntax/),
    });
    expect(failed!.errors).toBeGreaterThan(0);
    expect(Date.parse(loaded!.startTime)).toBeLessThanOrEqual(Date.parse(failed!.startTime));

    // A COPY from psql or a script, on a connection of its own, is the warehouse's record too, not only the wizard's.
    const password = run.redshift.adminPassword;
    const outsider = new pg.Client({
      host: run.redshift.host,
      port: run.redshift.port,
      user: run.redshift.adminUser,
      password,
      database: 'dev',
    });
    await outsider.connect();
    try {
      await outsider.query('CREATE TABLE outside_copy (LIKE access_logs)');
      await outsider.query(`COPY outside_copy FROM 's3://${BUCKET}/curated/access_logs/v1/' IAM_ROLE '${ROLE}' FORMAT AS PARQUET`);
    } finally {
      await outsider.end();
    }
    const [outside] = await core.handlers['pipeline.loads']({ connectionId: 'sandbox-warehouse', limit: 1 }, { signal });
    expect(outside).toMatchObject({ status: 'completed', table: 'outside_copy', rows: LINES - BAD, errors: 0 });
    expect(Date.parse(outside!.startTime)).toBeGreaterThan(Date.now() - 120_000);
  });

  it('refuses a Spark SQL connection with a clear message', async () => {
    await expect(
      core.handlers['pipeline.loads']({ connectionId: `sandbox-spark-${clusterId.toLowerCase()}`, limit: 1 }, { signal }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/load history is Redshift/) });
  });
});

describe('the S3 browser of the pipeline’s bucket', () => {
  it('lists prefixes and objects with sizes, page by page', async () => {
    expect(await core.handlers['pipeline.buckets']({}, { signal })).toContain(BUCKET);
    const root = await core.handlers['pipeline.list']({ bucket: BUCKET, prefix: '', limit: 200 }, { signal });
    expect(root.prefixes).toEqual(expect.arrayContaining(['checkpoints/', 'curated/', 'raw/', 'rejects/', 'spark/', 'wrong/']));
    const spark = await core.handlers['pipeline.list']({ bucket: BUCKET, prefix: 'spark/', limit: 200 }, { signal });
    expect(spark.objects.map((o) => o.key).sort()).toEqual(['spark/kinesis_to_s3.py', 'spark/raw_to_parquet.py']);
    expect(spark.objects.every((o) => o.size > 1000)).toBe(true);
    const day = (await core.handlers['pipeline.list']({ bucket: BUCKET, prefix: 'raw/access_logs/', limit: 200 }, { signal })).prefixes[0]!;
    const first = await core.handlers['pipeline.list']({ bucket: BUCKET, prefix: day, limit: 2 }, { signal });
    expect(first.objects).toHaveLength(2);
    expect(first.nextToken).toBeDefined();
    const second = await core.handlers['pipeline.list']({ bucket: BUCKET, prefix: day, limit: 2, token: first.nextToken! }, { signal });
    expect(second.objects[0]!.key > first.objects[1]!.key).toBe(true);
  });

  it('previews text and Parquet objects, and downloads with progress', async () => {
    const raw = (await keys('raw/access_logs/'))[0]!;
    const text = await core.handlers['pipeline.preview']({ bucket: BUCKET, key: raw.key }, { signal });
    expect(text).toMatchObject({ kind: 'text', truncated: false, json: false });
    if (text.kind === 'text') expect(text.text.split('\n')[0]).toMatch(/rid=/);
    const parquet = (await keys('curated/access_logs/v1/dt=2024-01-02/')).find((o) => o.key.endsWith('.parquet'))!;
    const preview = await core.handlers['pipeline.preview']({ bucket: BUCKET, key: parquet.key }, { signal });
    if (preview.kind !== 'parquet') throw new Error(preview.kind);
    expect(preview.columns.map((c) => c.name)).toEqual([
      'ts',
      'client_ip',
      'method',
      'path',
      'protocol',
      'status',
      'bytes',
      'referrer',
      'user_agent',
      'record_id',
      'extra',
    ]);
    expect(preview.columns[0]!.parquetType).toBe('INT64 TIMESTAMP(MICROS, UTC)');
    expect(preview.rows).toHaveLength(100);
    expect(preview.rowCount).toBeGreaterThan(900);
    expect(preview.rows[0]![0]).toMatch(/^2024-01-02 \d\d:04:\d\d\.000000\+00$/);
    const path = join(workspaceOf(core), 'downloads', 'part.parquet');
    const progress = await collect(
      core.handlers['pipeline.download']({ bucket: BUCKET, key: parquet.key, path, overwrite: false }, { signal }),
    );
    expect(progress.at(-1)).toEqual({ kind: 'done', bytes: parquet.size, location: path });
    expect(readFileSync(path).subarray(0, 4).toString()).toBe('PAR1');
    const json = (await keys('rejects/access_logs/')).find((o) => o.key.endsWith('.json'))!;
    expect(await core.handlers['pipeline.preview']({ bucket: BUCKET, key: json.key }, { signal })).toMatchObject({
      kind: 'text',
      json: true,
    });
  });
});
