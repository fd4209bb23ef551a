import { symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { sandboxClientConfig } from '../../sandbox/client/constants.js';
import { readRunFile } from '../../sandbox/client/run-file.js';
import { contract, type IngestChunk, type PipelineRunChunk } from '../../shared/contract/index.js';
import { tempDir, testCore } from '../helpers/core.js';
import { startSandboxCluster } from '../helpers/sandbox-cluster.js';
import { until } from '../helpers/until.js';
import { connectMaster, exec } from './clients.js';

const { dataDir } = inject('sandbox');
const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
const STREAM = 'dispose-test-stream';
/** In the job's command line (--bucket), so the master's process table shows what the run started. */
const BUCKET = 'dispose-test-bucket';
// Every run the core starts is read with a signal that never aborts: only closing the core may end it.
const signal = new AbortController().signal;
let core: Core;
let kinesis: KinesisClient;
let clusterId: string;

/** The records in the stream, read from its start (one shard). */
async function records(): Promise<number> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: STREAM }))).Shards ?? [];
  let count = 0;
  for (const shard of shards) {
    let iterator = (
      await kinesis.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    for (;;) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      count += page.Records?.length ?? 0;
      if (!page.Records?.length || !page.NextShardIterator) break;
      iterator = page.NextShardIterator;
    }
  }
  return count;
}

/** The master's processes of the job, as `pgrep` over a fresh SSH session sees them (the bracket keeps pgrep's own shell out). */
async function jobProcesses(): Promise<string[]> {
  const ssh = await connectMaster(run);
  try {
    const { stdout } = await exec(ssh, `pgrep -a -f '[d]${BUCKET.slice(1)}' || true`);
    return stdout.split('\n').filter(Boolean);
  } finally {
    ssh.end();
  }
}

/** Whether anything accepts a TCP connection on the local port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Reads a stream in the background, as the renderer would: its chunks so far, and whether (and how) it has ended. */
function reading<T>(stream: AsyncIterable<T>): { chunks: T[]; ended: boolean; error?: unknown } {
  const state: { chunks: T[]; ended: boolean; error?: unknown } = { chunks: [], ended: false };
  void (async () => {
    for await (const chunk of stream) state.chunks.push(chunk);
  })()
    .catch((error: unknown) => (state.error = error))
    .finally(() => (state.ended = true));
  return state;
}

beforeAll(async () => {
  const appDir = tempDir('tributary-dispose-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  const config = sandboxClientConfig(run);
  kinesis = new KinesisClient(config);
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  const s3 = new S3Client(config);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.destroy();
  const cluster = startSandboxCluster(run, 'dispose-test', { applications: ['Spark'] });
  await until('ACTIVE stream', async () =>
    (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE'
      ? true
      : undefined,
  );
  clusterId = await cluster;
});

afterAll(async () => {
  // Closed again in case the test failed before it did: a core must not outlive its test file.
  await core?.dispose();
  kinesis?.destroy();
});

describe('closing the core', () => {
  it('ends every run it started: an ingest run, a spark-submit over SSH, a tunnel', async () => {
    // An SSH session to the master and a tunnel through it, as the Sessions section opens them.
    const asked = await core.handlers['sessions.openMaster']({ clusterId }, { signal });
    if (asked.kind !== 'unknown-host-key') throw new Error(`expected the host-key question, got ${asked.kind}`);
    const opened = await core.handlers['sessions.openMaster']({ clusterId, trustFingerprint: asked.question.fingerprint }, { signal });
    if (opened.kind !== 'session') throw new Error(`expected a session, got ${opened.kind}`);
    const tunnel = await core.handlers['sessions.forward']({ sessionId: opened.session.id, service: 'spark-thrift' }, { signal });
    expect(await accepts(tunnel.localPort)).toBe(true);

    // An ingest run without a total: it runs until it is stopped, and its reader never stops it.
    const ingest = reading<IngestChunk>(
      core.handlers['ingest.start'](
        contract['ingest.start'].input.parse({ stream: STREAM, source: { generator: { seed: 12 } }, recordsPerSecond: 20 }),
        { signal },
      ),
    );
    await until(
      'acknowledged records',
      async () => ingest.chunks.some((c) => c.kind === 'progress' && c.counters.acknowledged > 0) || undefined,
    );

    // The streaming job over the SSH session: without --until-idle-seconds it reads the stream until cancelled.
    const submitted = await core.handlers['pipeline.submit'](
      { clusterId, bucket: BUCKET, via: 'ssh', options: { job: 'kinesis_to_s3', stream: STREAM, batchIntervalSeconds: 1 } },
      { signal },
    );
    const job = reading<PipelineRunChunk>(core.handlers['pipeline.follow']({ clusterId, runId: submitted.runId }, { signal }));
    // Up to four minutes: Spark starts slowly on a busy machine. The failure says what the job printed last.
    const said = () => JSON.stringify(job.chunks.slice(-8));
    await until(
      'the job’s Spark application to start (its Spark UI chunk)',
      async () => {
        if (job.ended) throw new Error('the job ended before it started');
        return job.chunks.some((c) => c.kind === 'sparkUi') || undefined;
      },
      240_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; the job said: ${said()}`);
    });
    expect((await jobProcesses()).length).toBeGreaterThan(0);

    await core.dispose();

    // The ingest run ended (its stream closed with a summary) and nothing is put any more.
    await until('the ingest run to end', async () => ingest.ended || undefined, 30_000);
    expect(ingest.error).toBeUndefined();
    expect(ingest.chunks.at(-1)?.kind).toBe('done');
    const after = await records();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await records()).toBe(after);

    // The SSH run was cancelled by its owner (not merely cut off with the session), and no process of it is left on the master.
    await until('the SSH run to end', async () => job.ended || undefined, 30_000);
    expect(job.error).toBeUndefined();
    expect(job.chunks.filter((c) => c.kind === 'state').at(-1)).toMatchObject({ state: 'CANCELLED' });
    await until('the job’s processes to be gone from the master', async () => (await jobProcesses()).length === 0 || undefined, 60_000);

    // The tunnel's local port is closed.
    expect(await accepts(tunnel.localPort)).toBe(false);
  }, 600_000);
});
