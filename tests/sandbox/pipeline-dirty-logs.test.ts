import { join } from 'node:path';
import { symlinkSync } from 'node:fs';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { sandboxClientConfig } from '../../sandbox/client/constants.js';
import { readRunFile, type RunFile } from '../../sandbox/client/run-file.js';
import type { Cell, PipelineRunChunk, RunChunk } from '../../shared/contract/index.js';
import { tempDir, testCore } from '../helpers/core.js';
import { BAD_KINDS, dirtyLogs, type GoodLine } from '../helpers/dirty-logs.js';
import { openSandboxMaster, startSandboxCluster } from '../helpers/sandbox-cluster.js';
import { until } from '../helpers/until.js';

/**
 * A foreign corpus through the whole pipeline, once: 20,000 dirty combined and common lines put to Kinesis,
 * kinesis_to_s3, raw_to_parquet, Spark SQL and the COPY. Every good line lands in Redshift exactly once with
 * its fields as meant; every bad line is a reject with the reason the generator gave it.
 */

const { dataDir } = inject('sandbox');
const signal = new AbortController().signal;
const BUCKET = 'pipeline-dirty-logs';
const STREAM = 'pipeline-dirty-logs';
const TABLE = 'dirty_access_logs';
const ROLE = 'arn:aws:iam::123456789012:role/TributaryRedshiftS3Role';
const corpus = dirtyLogs(14, 20_000);
const good = corpus.filter((l): l is GoodLine => l.kind === 'good');
// kinesis_to_s3 writes no line for a record without text (by design): the empty lines arrive as another
// writer's raw object instead, as a replayed log copied into the bucket would.
const viaKinesis = corpus.filter((l) => l.kind !== 'empty');
const empty = corpus.filter((l) => l.kind === 'empty');
const expectedRejects = Object.fromEntries(BAD_KINDS.map((kind) => [kind, corpus.filter((l) => l.kind === kind).length]));

let run: RunFile;
let core: Core;
let clusterId: string;
let s3: S3Client;
let summary: Record<string, unknown>;

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const chunks: T[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function runJob(
  options: { job: 'kinesis_to_s3'; stream: string; untilIdleSeconds: number } | { job: 'raw_to_parquet'; table: string },
) {
  const { runId } = await core.handlers['pipeline.submit']({ clusterId, bucket: BUCKET, via: 'step', options }, { signal });
  const chunks: PipelineRunChunk[] = await collect(core.handlers['pipeline.follow']({ clusterId, runId }, { signal }));
  expect(chunks.filter((c) => c.kind === 'state').at(-1)).toMatchObject({ state: 'COMPLETED' });
  return chunks.find((c): c is Extract<PipelineRunChunk, { kind: 'summary' }> => c.kind === 'summary')!.summary;
}

async function sparkRows(sql: string): Promise<Cell[][]> {
  const chunks: RunChunk[] = await collect(
    core.handlers['queries.run'](
      { connectionId: `sandbox-spark-${clusterId.toLowerCase()}`, sql, origin: { line: 1, column: 1 } },
      { signal },
    ),
  );
  const result = chunks.filter((c) => c.kind === 'result').at(-1);
  if (!result || result.kind !== 'result') throw new Error(JSON.stringify(chunks.filter((c) => c.kind === 'error')));
  return (await core.handlers['results.rows']({ resultId: result.resultId, offset: 0, limit: 100 }, { signal })).rows;
}

/** Every JSON line under the run's rejects folder. */
async function rejects(folder: string): Promise<{ line: string; reason: string }[]> {
  const out: { line: string; reason: string }[] = [];
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: folder }));
  for (const object of listed.Contents ?? []) {
    if (!object.Key!.endsWith('.json')) continue;
    const text = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: object.Key! }))).Body!.transformToString();
    out.push(
      ...text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { line: string; reason: string }),
    );
  }
  return out;
}

beforeAll(async () => {
  run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
  const appDir = tempDir('tributary-dirty-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  const config = sandboxClientConfig(run);
  s3 = new S3Client(config);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const kinesis = new KinesisClient(config);
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  const cluster = startSandboxCluster(run, 'dirty-logs', { applications: ['Spark', 'Hive'], logUri: `s3://${BUCKET}/emr-logs/` });
  await until('ACTIVE stream', async () =>
    (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE'
      ? true
      : undefined,
  );
  for (let at = 0; at < viaKinesis.length; at += 500) {
    const answer = await kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: viaKinesis.slice(at, at + 500).map((line, i) => ({ PartitionKey: `k${at + i}`, Data: line.data })),
      }),
    );
    expect(answer.FailedRecordCount).toBe(0);
  }
  kinesis.destroy();
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'raw/access_logs/dt=2025-01-01/replayed-empty.txt',
      Body: Buffer.from(empty.map((l) => `${l.data.toString()}\n`).join('')),
    }),
  );
  clusterId = await cluster;
  await openSandboxMaster(core, run, clusterId, signal);
  await runJob({ job: 'kinesis_to_s3', stream: STREAM, untilIdleSeconds: 4 });
  summary = await runJob({ job: 'raw_to_parquet', table: TABLE });
});

afterAll(async () => {
  s3?.destroy();
  await core?.dispose();
});

describe('a foreign corpus of dirty access logs, through ingest, both jobs, Spark SQL and COPY', () => {
  it('counts every line, sets every bad one aside with the reason the generator gave it', async () => {
    expect(Object.values(expectedRejects).every((n) => n > 100)).toBe(true);
    expect(summary).toMatchObject({
      lines: corpus.length,
      good: good.length,
      bad: corpus.length - good.length,
      rejected: expectedRejects,
      foreign: good.filter((l) => !l.expected.recordId).length,
      duplicates: 0,
      rows: good.length,
    });
    const folder = (summary.rejects as string).replace(`s3://${BUCKET}/`, '');
    // As kinesis_to_s3 wrote them: bytes that are not UTF-8 became U+FFFD.
    const byLine = (entries: { line: string; reason: string }[]) => entries.map((e) => `${e.reason}\t${e.line}`).sort();
    expect(byLine(await rejects(folder))).toEqual(
      byLine(corpus.filter((l) => l.kind !== 'good').map((l) => ({ reason: l.kind, line: l.data.toString() }))),
    );
    // What the Pipeline view opens for one reason: the raw line, NUL and all.
    const opened = await core.handlers['pipeline.rejects'](
      { bucket: BUCKET, prefix: folder, reason: 'control_chars', limit: 200 },
      { signal },
    );
    expect(opened.length).toBe(Math.min(200, expectedRejects.control_chars!));
    expect(opened.some((r) => r.line.startsWith('\u0000\u0001garbage\ufffd'))).toBe(true);
  });

  it('answers Spark SQL over the curated table: one row per good line', async () => {
    expect(await sparkRows(`SELECT count(*), count(DISTINCT record_id), count(extra), count(user_agent) FROM ${TABLE}`)).toEqual([
      [
        String(good.length),
        String(good.length),
        String(good.filter((l) => l.expected.extra).length),
        String(good.filter((l) => l.expected.userAgent).length),
      ],
    ]);
  });

  it('loads every good line into Redshift exactly once, with its fields as the server meant them', async () => {
    const ddl = (await core.handlers['pipeline.assets']({}, { signal })).sql
      .find((a) => a.path === 'sql/redshift/access_logs.sql')!
      .text.replace('CREATE TABLE IF NOT EXISTS access_logs', `CREATE TABLE ${TABLE}`);
    const outcome = await core.handlers['pipeline.copyRun'](
      {
        table: TABLE,
        source: summary.location as string,
        format: 'parquet',
        iamRole: ROLE,
        connectionId: 'sandbox-warehouse',
        createTable: ddl,
      },
      { signal },
    );
    expect(outcome).toMatchObject({ ok: true, rowsLoaded: good.length });
    const [load] = await core.handlers['pipeline.loads']({ connectionId: 'sandbox-warehouse', limit: 1 }, { signal });
    expect(load).toMatchObject({ status: 'completed', table: TABLE, rows: good.length, errors: 0 });

    const warehouse = new pg.Client({
      host: run.redshift.host,
      port: run.redshift.port,
      user: run.redshift.adminUser,
      password: run.redshift.adminPassword,
      database: 'dev',
    });
    await warehouse.connect();
    try {
      const { rows } = await warehouse.query<{
        path: string;
        user_agent: string | null;
        referrer: string | null;
        extra: string | null;
        client_ip: string;
        record_id: string;
      }>(`SELECT path, user_agent, referrer, extra, client_ip, record_id FROM ${TABLE}`);
      expect(rows).toHaveLength(good.length);
      expect(new Set(rows.map((r) => r.record_id)).size).toBe(good.length);
      const byN = new Map(rows.map((r) => [Number(r.path.split('/')[2]), r]));
      expect(byN.size).toBe(good.length);
      for (const line of good) {
        const row = byN.get(line.n);
        expect({ n: line.n, ...row }).toEqual({
          n: line.n,
          path: line.expected.path,
          user_agent: line.expected.userAgent,
          referrer: line.expected.referrer,
          extra: line.expected.extra,
          client_ip: line.expected.clientIp,
          record_id: line.expected.recordId ?? expect.stringMatching(/^h-[0-9a-f]{32}$/),
        });
      }
    } finally {
      await warehouse.end();
    }
  });
});
