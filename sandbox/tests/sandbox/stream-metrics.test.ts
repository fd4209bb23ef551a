import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sandboxClientConfig } from '../../client/constants.js';
import { Logger } from '../../../shared/node/log.js';
import { startGateway } from '../../gateway/server.js';
import { kinesisInterceptor } from '../../kinesis-interceptor.js';
import { readRunFile } from '../../client/run-file.js';
import { sandboxPaths } from '../../client/paths.js';
import { motoTokenPath } from '../../services/moto.js';
import { until } from '../../../tests/helpers/until.js';

const { dataDir } = inject('sandbox');
// Read when this file runs, not at setup: sandbox.test.ts restarts the sandbox on new ports.
const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
const WEST = 'us-west-2';
const clients: { destroy(): void }[] = [];
const client = <T extends { destroy(): void }>(made: T): T => (clients.push(made), made);
const kinesis = client(new KinesisClient(sandboxClientConfig(run)));
const cloudwatch = client(new CloudWatchClient(sandboxClientConfig(run)));
const kinesisWest = client(new KinesisClient({ ...sandboxClientConfig(run), region: WEST }));
const cloudwatchWest = client(new CloudWatchClient({ ...sandboxClientConfig(run), region: WEST }));

afterAll(() => clients.forEach((c) => c.destroy()));

async function createStream(client: KinesisClient, name: string, shards: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await until(
    `stream ${name} ACTIVE`,
    async () =>
      (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE'
        ? true
        : undefined,
    60_000,
  );
}

/** Records of assorted sizes, and their size as Kinesis counts it (data plus partition key). */
function records(count: number, seed: number): { entries: PutRecordsRequestEntry[]; bytes: number } {
  const entries = Array.from({ length: count }, (_, i) => ({
    Data: Buffer.alloc(20 + ((i * 7 + seed) % 53), (i + seed) % 256),
    PartitionKey: `key-${seed}-${i}`,
  }));
  return { entries, bytes: entries.reduce((sum, e) => sum + e.Data.length + Buffer.byteLength(e.PartitionKey), 0) };
}

type Stat = 'Sum' | 'Maximum';

/** Each metric's statistic over the last 10 minutes in one-minute periods (sums added up, maxima the largest), as the app reads them; undefined when there is no data. */
async function metrics(
  client: CloudWatchClient,
  stream: string,
  wanted: Record<string, Stat>,
): Promise<Record<string, number | undefined>> {
  const names = Object.keys(wanted);
  const now = Date.now();
  const answer = await client.send(
    new GetMetricDataCommand({
      StartTime: new Date(now - 10 * 60_000),
      EndTime: new Date(now + 60_000),
      MetricDataQueries: names.map((name, i) => ({
        Id: `m${i}`,
        MetricStat: {
          Metric: { Namespace: 'AWS/Kinesis', MetricName: name, Dimensions: [{ Name: 'StreamName', Value: stream }] },
          Period: 60,
          Stat: wanted[name]!,
        },
      })),
    }),
  );
  const result: Record<string, number | undefined> = {};
  names.forEach((name, i) => {
    const values = answer.MetricDataResults?.find((r) => r.Id === `m${i}`)?.Values ?? [];
    result[name] = values.length === 0 ? undefined : wanted[name] === 'Sum' ? values.reduce((a, b) => a + b, 0) : Math.max(...values);
  });
  return result;
}

/** Waits until the metrics equal `expected` (bounded), then checks they stay so past another flush (nothing published twice). */
async function expectMetrics(
  client: CloudWatchClient,
  stream: string,
  expected: Record<string, number | undefined>,
  wanted: Record<string, Stat>,
): Promise<Record<string, number | undefined>> {
  let last: Record<string, number | undefined> = {};
  await until(
    `metrics of ${stream} to be ${JSON.stringify(expected)}`,
    async () => {
      last = await metrics(client, stream, wanted);
      return Object.entries(expected).every(([name, value]) => last[name] === value) ? true : undefined;
    },
    20_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last seen ${JSON.stringify(last)}`);
  });
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const settled = await metrics(client, stream, wanted);
  for (const [name, value] of Object.entries(expected)) expect(settled[name], name).toBe(value);
  return settled;
}

const PUTS = {
  IncomingRecords: 'Sum',
  IncomingBytes: 'Sum',
  'PutRecords.SuccessfulRecords': 'Sum',
  'PutRecords.Bytes': 'Sum',
  'PutRecords.Success': 'Sum',
  'PutRecord.Success': 'Sum',
  'PutRecord.Bytes': 'Sum',
} as const;
const GETS = {
  'GetRecords.Records': 'Sum',
  'GetRecords.Success': 'Sum',
  'GetRecords.Bytes': 'Sum',
  'GetRecords.IteratorAgeMilliseconds': 'Maximum',
} as const;

describe('Kinesis stream metrics in the sandbox’s CloudWatch (AWS/Kinesis, by StreamName)', () => {
  const A = 'stream-metrics-a';
  const B = 'stream-metrics-b';
  const batches = [records(500, 1), records(500, 2), records(234, 3)];
  const put = { records: 1_234, bytes: batches.reduce((sum, b) => sum + b.bytes, 0) };
  const single = Array.from({ length: 7 }, (_, i) => ({
    Data: Buffer.from(`record ${i} of stream b`.repeat(i + 1)),
    PartitionKey: `b-${i}`,
  }));
  const singleBytes = single.reduce((sum, r) => sum + r.Data.length + r.PartitionKey.length, 0);
  const west = records(11, 4);
  let read = { records: 0, bytes: 0, calls: 0 };

  beforeAll(async () => {
    await Promise.all([createStream(kinesis, A, 2), createStream(kinesis, B, 1), createStream(kinesisWest, A, 1)]);
    for (const batch of batches) {
      const answer = await kinesis.send(new PutRecordsCommand({ StreamName: A, Records: batch.entries }));
      expect(answer.FailedRecordCount).toBe(0);
    }
    for (const record of single) await kinesis.send(new PutRecordCommand({ StreamName: B, ...record }));
    expect((await kinesisWest.send(new PutRecordsCommand({ StreamName: A, Records: west.entries }))).FailedRecordCount).toBe(0);

    // Read some of A back a little later, so the last record read is over a second old.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const shard = (await kinesis.send(new ListShardsCommand({ StreamName: A }))).Shards![0]!.ShardId!;
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: A, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' })))
      .ShardIterator;
    for (const limit of [100, 50]) {
      const answer = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
      read = {
        records: read.records + answer.Records!.length,
        bytes: read.bytes + answer.Records!.reduce((sum, r) => sum + r.Data!.length + r.PartitionKey!.length, 0),
        calls: read.calls + 1,
      };
      iterator = answer.NextShardIterator;
    }
    expect(read.records).toBe(150);
  });

  it('counts every record and byte put, and the reads with their iterator age', async () => {
    const seen = await expectMetrics(
      cloudwatch,
      A,
      {
        IncomingRecords: put.records,
        IncomingBytes: put.bytes,
        'PutRecords.SuccessfulRecords': put.records,
        'PutRecords.Bytes': put.bytes,
        'PutRecords.Success': 3,
        'PutRecord.Success': undefined,
        'GetRecords.Records': read.records,
        'GetRecords.Success': read.calls,
        'GetRecords.Bytes': read.bytes,
      },
      { ...PUTS, ...GETS },
    );
    // The age of the last record read when it was read: over the 1.5 s waited, well under the test's length.
    expect(seen['GetRecords.IteratorAgeMilliseconds']).toBeGreaterThanOrEqual(1_000);
    expect(seen['GetRecords.IteratorAgeMilliseconds']).toBeLessThan(120_000);
  });

  it('keeps each stream’s metrics apart', async () => {
    await expectMetrics(
      cloudwatch,
      B,
      {
        IncomingRecords: 7,
        IncomingBytes: singleBytes,
        'PutRecord.Success': 7,
        'PutRecord.Bytes': singleBytes,
        'PutRecords.SuccessfulRecords': undefined,
        'GetRecords.Records': undefined,
        'GetRecords.IteratorAgeMilliseconds': undefined,
      },
      { ...PUTS, ...GETS },
    );
    const listed = await cloudwatch.send(
      new ListMetricsCommand({ Namespace: 'AWS/Kinesis', Dimensions: [{ Name: 'StreamName', Value: B }] }),
    );
    expect(new Set(listed.Metrics?.map((m) => m.MetricName))).toEqual(
      new Set(['IncomingRecords', 'IncomingBytes', 'PutRecord.Success', 'PutRecord.Bytes']),
    );
    expect(listed.Metrics?.every((m) => m.Dimensions?.length === 1 && m.Dimensions[0]!.Name === 'StreamName')).toBe(true);
  });

  it('publishes in the region of the call: a stream of the same name in another region has its own', async () => {
    await expectMetrics(
      cloudwatchWest,
      A,
      {
        IncomingRecords: 11,
        IncomingBytes: west.bytes,
        'PutRecords.SuccessfulRecords': 11,
        'PutRecords.Bytes': west.bytes,
        'GetRecords.Records': undefined,
      },
      { ...PUTS, ...GETS },
    );
    // …and the first region's counts do not include the other's.
    expect((await metrics(cloudwatch, A, { IncomingRecords: 'Sum' })).IncomingRecords).toBe(put.records);
  });

  it('publishes what is pending when the gateway closes', async () => {
    const C = 'stream-metrics-close';
    await createStream(kinesis, C, 1);
    const moto = run.services.find((s) => s.id === 'aws')!;
    const upstream = `http://127.0.0.1:${moto.port}`;
    const upstreamToken = readFileSync(motoTokenPath(sandboxPaths(dataDir).state), 'utf8').trim();
    const log = new Logger(undefined);
    // A gateway of its own that would not publish for ten minutes but for closing.
    const gateway = await startGateway({
      port: 0,
      upstream,
      keys: run.credentials,
      upstreamToken,
      intercept: { kinesis: kinesisInterceptor(0, { endpoint: upstream, token: upstreamToken, log, flushMs: 600_000 }) },
      log,
    });
    let closed = false;
    const own = new KinesisClient(sandboxClientConfig({ endpoint: gateway.url, credentials: run.credentials }));
    try {
      const batch = records(42, 5);
      expect((await own.send(new PutRecordsCommand({ StreamName: C, Records: batch.entries }))).FailedRecordCount).toBe(0);
      const shard = (await own.send(new ListShardsCommand({ StreamName: C }))).Shards![0]!.ShardId!;
      const iterator = (await own.send(new GetShardIteratorCommand({ StreamName: C, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' })))
        .ShardIterator;
      expect((await own.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records).toHaveLength(42);
      own.destroy();
      closed = true;
      await gateway.close();
      // Published by the time close resolves: no waiting.
      expect(
        await metrics(cloudwatch, C, { 'PutRecords.SuccessfulRecords': 'Sum', 'PutRecords.Bytes': 'Sum', 'GetRecords.Records': 'Sum' }),
      ).toEqual({
        'PutRecords.SuccessfulRecords': 42,
        'PutRecords.Bytes': batch.bytes,
        'GetRecords.Records': 42,
      });
    } finally {
      own.destroy();
      if (!closed) await gateway.close();
    }
  });
});
