import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  UpdateShardCountCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { readLedger } from '../../electron/core/ingest/ledger.js';
import { compareWithLedger } from '../../electron/core/ingest/verify.js';
import { sandboxClientConfig } from '../../sandbox/client/constants.js';
import { readRunFile } from '../../sandbox/client/run-file.js';
import { contract, type IngestChunk, type PipelineRunChunk } from '../../shared/contract/index.js';
import { recordIdOf } from '../../shared/pipeline/access-log.js';
import { tempDir, testCore } from '../helpers/core.js';
import { startSandboxCluster } from '../helpers/sandbox-cluster.js';
import { until } from '../helpers/until.js';

const { dataDir } = inject('sandbox');
// Read when this file runs, not at setup: sandbox.test.ts restarts the sandbox on new ports and keys.
const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
const signal = new AbortController().signal;
const BUCKET = 'resharding-test';
const STREAM = 'resharding-access-logs';
const RATE = 2_000;
let core: Core;
let appDir: string;
let clusterId: string;
let kinesis: KinesisClient;
let s3: S3Client;
/** The job while it may still run: a failed test must not leave it reading (and listening) for the next file's tests. */
let running: { runId: string } | undefined;

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const chunks: T[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function rawKeys(): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'raw/', ContinuationToken: token }));
    out.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

const text = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();

async function openShards(): Promise<Shard[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }));
  return Shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).sort((a, b) =>
    BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1,
  );
}

beforeAll(async () => {
  appDir = tempDir('tributary-resharding-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  s3 = new S3Client(sandboxClientConfig(run));
  kinesis = new KinesisClient(sandboxClientConfig(run));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  const cluster = startSandboxCluster(run, 'resharding-test', { applications: ['Spark'], logUri: `s3://${BUCKET}/emr-logs/` });
  await until('ACTIVE stream', async () =>
    (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE'
      ? true
      : undefined,
  );
  clusterId = await cluster;
});

afterAll(async () => {
  if (running)
    await Promise.resolve(core.handlers['pipeline.cancel']({ clusterId, runId: running.runId }, { signal })).catch(() => undefined);
  kinesis?.destroy();
  s3?.destroy();
  await core?.dispose();
});

describe('kinesis_to_s3 while the stream is resharded under load', () => {
  it('reads a split parent and merged parents to their end before their children: every acknowledged id once, each key in order', async () => {
    // One PutRecords at a time and the client address as partition key: a client's records enter Kinesis in the
    // order the generator numbered them, which is the order they must reach S3 in. It runs until stopped after the merge.
    const ingested: IngestChunk[] = [];
    const input = { stream: STREAM, source: { generator: { seed: 14 } }, recordsPerSecond: RATE, partitionKey: 'client', concurrency: 1 };
    const producing = (async () => {
      for await (const chunk of core.handlers['ingest.start'](contract['ingest.start'].input.parse(input), { signal }))
        ingested.push(chunk);
    })();
    const submitted = await core.handlers['pipeline.submit'](
      { clusterId, bucket: BUCKET, via: 'step', options: { job: 'kinesis_to_s3', stream: STREAM, batchSize: 2000, untilIdleSeconds: 6 } },
      { signal },
    );
    running = submitted;
    const following = collect(core.handlers['pipeline.follow']({ clusterId, runId: submitted.runId }, { signal }));

    const written = (shards: string[]) => async () =>
      (await rawKeys()).some((key) => shards.some((shard) => key.includes(`batch-${shard}-`))) ? true : undefined;
    await until('batches of the first two shards', written(['shardId-000000000000', 'shardId-000000000001']), 120_000);
    await kinesis.send(new UpdateShardCountCommand({ StreamName: STREAM, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
    const four = await openShards();
    expect(four).toHaveLength(4);
    await until('batches of the split shards’ children', written(four.map((s) => s.ShardId!)), 120_000);
    await kinesis.send(
      new MergeShardsCommand({ StreamName: STREAM, ShardToMerge: four[1]!.ShardId!, AdjacentShardToMerge: four[2]!.ShardId! }),
    );
    const three = await openShards();
    expect(three).toHaveLength(3);

    // Records still arrive after the merge, for the merged shard to take.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const runId = ingested.find((c): c is Extract<IngestChunk, { kind: 'started' }> => c.kind === 'started')!.runId;
    await core.handlers['ingest.stop']({ runId }, { signal });
    await producing;
    const summary = ingested.find((c): c is Extract<IngestChunk, { kind: 'done' }> => c.kind === 'done')!.summary;
    // Not a bound on how many: RATE is what is asked, and a loaded machine puts fewer. That every phase took records
    // (the first shards, the split's children, the merged shard) is checked from the ledger below.
    expect(summary).toMatchObject({ state: 'stopped', failed: 0, inFlight: 0 });
    const chunks = await following;
    running = undefined;
    expect(chunks.filter((c) => c.kind === 'state').at(-1)).toMatchObject({ state: 'COMPLETED' });

    const events = chunks.flatMap((c: PipelineRunChunk) => (c.kind === 'event' ? [c.event] : []));
    const batches = events.filter((e) => e.event === 'batch') as { shard: string; objects: string[] }[];
    // Every shard that took records was read, and they span the lineage: the first two, the split's children, the merged one.
    const ledger = join(appDir, 'ingest', `${runId}.ids`);
    const taking = new Map<string, number>();
    for await (const entry of readLedger(ledger)) taking.set(entry.shardId, (taking.get(entry.shardId) ?? 0) + 1);
    expect([...new Set(batches.map((b) => b.shard))].sort()).toEqual([...taking.keys()].sort());
    expect(taking.size).toBeGreaterThanOrEqual(5);
    expect([...taking.keys()]).toEqual(expect.arrayContaining(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000006']));
    // A child's first batch comes after its parents' last.
    const parents = new Map(events.filter((e) => e.event === 'resume').map((e) => [e.shard as string, e.parents as string[]]));
    const firstOf = (shard: string) => batches.findIndex((b) => b.shard === shard);
    const lastOf = (shard: string) => batches.findLastIndex((b) => b.shard === shard);
    for (const [shard, of] of parents) for (const parent of of) expect(firstOf(shard)).toBeGreaterThan(lastOf(parent));

    // The raw objects in the order the job committed them: each acknowledged id once, each client's records in order.
    const counts = new Map<string, number>();
    const lastNumber = new Map<string, number>();
    let outOfOrder = 0;
    for (const key of batches.flatMap((b) => b.objects))
      for (const line of (await text(key)).split('\n').filter(Boolean)) {
        const id = recordIdOf(line)!;
        counts.set(id, (counts.get(id) ?? 0) + 1);
        const client = line.slice(0, line.indexOf(' '));
        const number = Number(id.slice(id.lastIndexOf('-') + 1));
        if (number <= (lastNumber.get(client) ?? -1)) outOfOrder++;
        lastNumber.set(client, number);
      }
    expect((await rawKeys()).filter((k) => k.startsWith('raw/access_logs/')).sort()).toEqual(batches.flatMap((b) => b.objects).sort());
    expect(await compareWithLedger(ledger, runId, counts)).toMatchObject({
      acknowledged: summary.acknowledged,
      lost: 0,
      duplicated: 0,
      unacknowledgedFound: 0,
    });
    expect(outOfOrder).toBe(0);
    // Clients repeat, so the order check has something to check.
    expect(lastNumber.size).toBeLessThan(summary.acknowledged / 2);
  });
});
