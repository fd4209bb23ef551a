import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { readRunFile } from '../../sandbox/client/run-file.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { sandboxClientConfig } from '../../sandbox/client/constants.js';
import { readLedger } from '../../electron/core/ingest/ledger.js';
import { compareWithLedger, streamIdCounts } from '../../electron/core/ingest/verify.js';
import { faultTokenPath, gatewayFaults, setGatewayFaults } from '../../sandbox/client/faults.js';
import { contract, type IngestChunk, type IngestSummary, type InputOf, type TailChunk } from '../../shared/contract/index.js';
import { AppError } from '../../shared/errors.js';
import { parseAccessLog } from '../../shared/pipeline/access-log.js';
import { tempDir, testCore, workspaceOf } from '../helpers/core.js';
import { until } from '../helpers/until.js';

const { dataDir } = inject('sandbox');
// Read when this file runs, not at setup: sandbox.test.ts restarts the sandbox on new ports.
const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
const signal = new AbortController().signal;
let core: Core;
let appDir: string;
let kinesis: KinesisClient;
let faultToken: string;

async function createStream(name: string, shards: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await until(
    `stream ${name} ACTIVE`,
    async () =>
      (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE'
        ? true
        : undefined,
    60_000,
  );
}

/** Runs ingest.start through the core as the UI does (input validated and defaulted by the contract), collecting every chunk. */
async function ingest(
  input: InputOf<'ingest.start'>,
  options: { abort?: AbortController; onChunk?: (chunk: IngestChunk) => void } = {},
): Promise<{ chunks: IngestChunk[]; runId: string; summary: IngestSummary }> {
  const chunks: IngestChunk[] = [];
  for await (const chunk of core.handlers['ingest.start'](contract['ingest.start'].input.parse(input), {
    signal: options.abort?.signal ?? signal,
  })) {
    chunks.push(chunk);
    options.onChunk?.(chunk);
  }
  const started = chunks.find((c) => c.kind === 'started');
  const done = chunks.find((c) => c.kind === 'done');
  if (!started || !done) throw new Error(`ingest ended without start or summary: ${JSON.stringify(chunks.slice(-2))}`);
  return { chunks, runId: started.runId, summary: done.summary };
}

const ledgerOf = (runId: string) => join(appDir, 'ingest', `${runId}.ids`);

beforeAll(async () => {
  appDir = tempDir('tributary-ingest-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  kinesis = new KinesisClient(sandboxClientConfig(run));
  faultToken = readFileSync(faultTokenPath(join(dataDir, 'sandbox', 'state')), 'utf8').trim();
});

afterAll(async () => {
  await setGatewayFaults(run.endpoint, faultToken, []).catch(() => undefined);
  kinesis?.destroy();
  await core?.dispose();
});

describe('ingest into the sandbox’s Kinesis, through the app’s core', () => {
  it('lists the stream and its two shards, whose hash ranges cover the whole key space', async () => {
    await createStream('ingest-clean', 2);
    expect((await core.handlers['ingest.streams']({}, { signal })).map((s) => s.name)).toContain('ingest-clean');
    const shards = await core.handlers['ingest.shards']({ stream: 'ingest-clean' }, { signal });
    expect(shards).toHaveLength(2);
    expect(shards.every((s) => s.open)).toBe(true);
    const ranges = shards.map((s) => [BigInt(s.startingHashKey), BigInt(s.endingHashKey)] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(ranges[0]![0]).toBe(0n);
    expect(ranges[1]![0]).toBe(ranges[0]![1] + 1n);
    expect(ranges[1]![1]).toBe(2n ** 128n - 1n);
    await expect(core.handlers['ingest.shards']({ stream: 'no-such-stream' }, { signal })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('sends 20,000 generated records, and every acknowledged id is in the stream exactly once', async () => {
    const { chunks, runId, summary } = await ingest({
      stream: 'ingest-clean',
      source: { generator: { seed: 7 } },
      recordsPerSecond: 1_000_000,
      total: 20_000,
    });
    expect(summary).toMatchObject({ state: 'completed', sent: 20_000, acknowledged: 20_000, failed: 0, inFlight: 0 });
    expect(chunks.some((c) => c.kind === 'progress')).toBe(true);
    expect(summary.averageRecordsPerSecond).toBeGreaterThan(0);
    expect(summary.averageMibPerSecond).toBeGreaterThan(0);

    const { counts, withoutId } = await streamIdCounts(kinesis, 'ingest-clean', signal);
    expect(withoutId).toBe(0);
    const report = await compareWithLedger(ledgerOf(runId), runId, counts);
    expect(report).toMatchObject({ acknowledged: 20_000, lost: 0, duplicated: 0, unacknowledgedFound: 0 });
    // Spread over both shards by the record-id partition keys.
    const perShard = new Map<string, number>();
    for await (const entry of readLedger(ledgerOf(runId))) perShard.set(entry.shardId, (perShard.get(entry.shardId) ?? 0) + 1);
    expect(perShard.size).toBe(2);
    for (const n of perShard.values()) expect(n).toBeGreaterThan(9_000);

    const runs = await core.handlers['ingest.runs']({}, { signal });
    expect(runs.find((r) => r.runId === runId)).toMatchObject({
      stream: 'ingest-clean',
      source: 'generator',
      state: 'completed',
      acknowledged: 20_000,
      environmentId: 'sandbox',
    });
  });

  it('reports the stream’s CloudWatch metrics as AWS publishes them: the 20,000 incoming records per minute, and the reader’s iterator age', async () => {
    // The sandbox publishes AWS/Kinesis metrics from what its Kinesis accepted and served; the app reads them with GetMetricData.
    let metrics = await core.handlers['ingest.metrics']({ stream: 'ingest-clean', minutes: 30 }, { signal });
    await expect
      .poll(
        async () => {
          metrics = await core.handlers['ingest.metrics']({ stream: 'ingest-clean', minutes: 30 }, { signal });
          // The previous test read the whole stream back from its start: the reads' iterator age is published a moment after.
          return {
            records: metrics.points.reduce((sum, p) => sum + p.records, 0),
            read: metrics.points.some((p) => p.iteratorAgeMs !== undefined),
          };
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toEqual({ records: 20_000, read: true });
    expect(metrics.periodSeconds).toBe(60);
    expect(metrics.points.reduce((sum, p) => sum + p.bytes, 0)).toBeGreaterThan(20_000 * 100);
    expect(metrics.recordsPerSecond).toBeGreaterThanOrEqual(0);
    await expect(core.handlers['ingest.metrics']({ stream: 'no-such-stream', minutes: 30 }, { signal })).resolves.toMatchObject({
      points: [],
      recordsPerSecond: 0,
    });
  });

  it('loses nothing while Kinesis throttles: refused entries are sent again until acknowledged, once each', async () => {
    await createStream('ingest-throttled', 2);
    await setGatewayFaults(run.endpoint, faultToken, [
      { service: 'kinesis', operation: 'PutRecords', kind: 'partial', fraction: 0.3, calls: 60, match: 'ingest-throttled' },
    ]);
    const { runId, summary } = await ingest({
      stream: 'ingest-throttled',
      source: { generator: { seed: 8 } },
      recordsPerSecond: 1_000_000,
      total: 20_000,
    });
    const applied = (await gatewayFaults(run.endpoint, faultToken)).rules[0]!;
    await setGatewayFaults(run.endpoint, faultToken, []);
    expect(applied.hits).toBe(60);
    expect(applied.entriesFailed).toBeGreaterThan(1000);
    expect(summary).toMatchObject({ state: 'completed', sent: 20_000, acknowledged: 20_000, failed: 0 });
    expect(summary.throttled).toBe(applied.entriesFailed);
    expect(summary.retried).toBe(applied.entriesFailed);

    const { counts } = await streamIdCounts(kinesis, 'ingest-throttled', signal);
    expect(await compareWithLedger(ledgerOf(runId), runId, counts)).toMatchObject({
      acknowledged: 20_000,
      lost: 0,
      duplicated: 0,
      unacknowledgedFound: 0,
    });
    expect(counts.size).toBe(20_000);
  });

  it('tails the newest records of every shard with their iterator age', async () => {
    const abort = new AbortController();
    const tailed: TailChunk[] = [];
    const tail = (async () => {
      const input = contract['ingest.tail'].input.parse({ stream: 'ingest-clean', from: 'LATEST' });
      for await (const chunk of core.handlers['ingest.tail'](input, { signal: abort.signal })) {
        tailed.push(chunk);
        if (tailed.reduce((n, c) => n + c.records.length, 0) >= 300) abort.abort();
      }
    })();
    // LATEST starts after what is there: wait for the iterators, then send.
    await new Promise((r) => setTimeout(r, 1500));
    const { runId } = await ingest({ stream: 'ingest-clean', source: { generator: { seed: 9 } }, recordsPerSecond: 2_000, total: 600 });
    await Promise.race([tail, new Promise((_, reject) => setTimeout(() => reject(new Error('tail saw too little')), 30_000))]);
    const records = tailed.flatMap((c) => c.records);
    expect(records.length).toBeGreaterThanOrEqual(300);
    // Only the new run's records: LATEST skipped the 20,000 before.
    for (const record of records) {
      const fields = parseAccessLog(record.data);
      expect(fields?.record_id.startsWith(`${runId}-`)).toBe(true);
      expect(record.partitionKey).toBe(fields!.record_id);
      expect(record.truncated).toBe(false);
      expect(Date.parse(record.approximateArrivalTimestamp)).toBeGreaterThan(Date.now() - 120_000);
    }
    expect(new Set(tailed.map((c) => c.shardId)).size).toBe(2);
    for (const chunk of tailed) expect(chunk.millisBehindLatest).toBeGreaterThanOrEqual(0);

    // One shard, from the start: the oldest records, and the iterator age says how far behind the reader is.
    const oldest = core.handlers['ingest.tail'](
      contract['ingest.tail'].input.parse({ stream: 'ingest-clean', shardId: 'shardId-000000000000', from: 'TRIM_HORIZON', limit: 50 }),
      { signal },
    )[Symbol.asyncIterator]();
    const chunk = (await oldest.next()).value as TailChunk;
    await oldest.return?.();
    expect(chunk.shardId).toBe('shardId-000000000000');
    expect(chunk.records).toHaveLength(50);
    expect(chunk.millisBehindLatest).toBeGreaterThan(0);
  });

  it('replays a log file, appending ids, and stops gracefully or changes rate on request', async () => {
    const file = join(workspaceOf(core), 'access.log');
    const line =
      '198.51.100.7 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';
    writeFileSync(file, `${line}\n\n${line} "rid=old-1"\r\n${Array.from({ length: 998 }, () => line).join('\n')}\n`);
    const { runId, summary } = await ingest({
      stream: 'ingest-clean',
      source: { replay: { path: file } },
      recordsPerSecond: 100_000,
      partitionKey: 'client',
    });
    expect(summary).toMatchObject({ state: 'completed', acknowledged: 1000, failed: 0, skipped: 1 });
    const ids = new Set<string>();
    for await (const entry of readLedger(ledgerOf(runId))) ids.add(entry.id);
    expect(ids.size).toBe(1000);

    // A generator without a total runs until stopped; the stop still delivers what was in flight.
    let seenRunId = '';
    const stopped = await ingest(
      { stream: 'ingest-clean', source: { generator: { seed: 10 } }, recordsPerSecond: 500 },
      {
        onChunk: (c) => {
          if (c.kind === 'started') {
            seenRunId = c.runId;
            expect(core.handlers['ingest.setRate']({ runId: c.runId, recordsPerSecond: 1000 }, { signal })).toEqual({ targetRate: 1000 });
            setTimeout(() => void core.handlers['ingest.stop']({ runId: seenRunId }, { signal }), 1500);
          }
        },
      },
    );
    expect(stopped.summary.state).toBe('stopped');
    expect(stopped.summary.targetRate).toBe(1000);
    expect(stopped.summary.acknowledged).toBeGreaterThan(500);
    expect(stopped.summary.acknowledged).toBe(stopped.summary.sent);
    expect(() => core.handlers['ingest.stop']({ runId: seenRunId }, { signal })).toThrow(AppError);
  });

  it('refuses a stream that does not exist, or is still being created', async () => {
    await expect(ingest({ stream: 'no-such-stream', source: { generator: { seed: 1 } }, total: 10 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'ingest-creating', ShardCount: 1 }));
    await expect(ingest({ stream: 'ingest-creating', source: { generator: { seed: 1 } }, total: 10 })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});
