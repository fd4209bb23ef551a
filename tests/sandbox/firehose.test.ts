import { join, dirname } from 'node:path';
import { readFileSync, symlinkSync } from 'node:fs';
import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateClusterCommand, DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { firehoseSpecSchema, type ProvisionChunk } from '../../shared/contract/index.js';
import { sandboxClientConfig } from '../../sandbox/client/constants.js';
import { readRunFile, type RunFile } from '../../sandbox/client/run-file.js';
import { tempDir, testCore } from '../helpers/core.js';
import { until } from '../helpers/until.js';

const { dataDir } = inject('sandbox');
const signal = new AbortController().signal;
const BUCKET = 'firehose-test';
const STREAM = 'firehose-events';
const TABLE = 'firehose_events';
const CLUSTER = 'fh-warehouse';
const USER = 'fhadmin';
const PASSWORD = 'Fh-Secret-Passw0rd-31';
const ROLE = 'arn:aws:iam::123456789012:role/TributaryRedshiftS3Role';
const RECORDS = 100_000;
const BATCH = 500;
let run: RunFile;
let core: Core;
let s3: S3Client;
let firehose: FirehoseClient;
let warehouse: pg.Client;
let appDir: string;

const record = (id: string, n: number | string) => Buffer.from(`${JSON.stringify({ id, n })}\n`);

/** Puts records in PutRecordBatch calls, a few at a time, and returns the ids AWS acknowledged (a RecordId, no ErrorCode). */
async function put(records: { id: string; data: Buffer }[]): Promise<string[]> {
  const acknowledged: string[] = [];
  const batches: (typeof records)[] = [];
  for (let at = 0; at < records.length; at += BATCH) batches.push(records.slice(at, at + BATCH));
  const worker = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      const answer = await firehose.send(
        new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: batch.map((r) => ({ Data: r.data })) }),
      );
      (answer.RequestResponses ?? []).forEach((response, i) => {
        if (response.RecordId && !response.ErrorCode) acknowledged.push(batch[i]!.id);
      });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return acknowledged;
}

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    out.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const chunks: T[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const firehoseStage = () => core.handlers['pipeline.firehose']({ deliveryStream: STREAM, minutes: 15 }, { signal });

beforeAll(async () => {
  run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
  appDir = tempDir('tributary-firehose-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  const config = sandboxClientConfig(run);
  s3 = new S3Client(config);
  firehose = new FirehoseClient(config);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  // The stream's COPY logs in as a saved connection's user, its password kept in the app's secret store.
  const redshift = new RedshiftClient(config);
  await redshift.send(
    new CreateClusterCommand({
      ClusterIdentifier: CLUSTER,
      NodeType: 'ra3.xlplus',
      ClusterType: 'single-node',
      MasterUsername: USER,
      MasterUserPassword: PASSWORD,
      DBName: 'fhdb',
    }),
  );
  await until(
    'the cluster available',
    async () =>
      (await redshift.send(new DescribeClustersCommand({ ClusterIdentifier: CLUSTER }))).Clusters?.[0]?.ClusterStatus === 'available',
  );
  redshift.destroy();
  const saved = await core.handlers['connections.save'](
    {
      name: 'Firehose warehouse',
      environmentId: 'sandbox',
      spec: {
        engine: 'redshift',
        clusterIdentifier: CLUSTER,
        database: 'fhdb',
        user: USER,
        auth: 'password',
        password: PASSWORD,
        route: { kind: 'direct' },
      },
    },
    { signal },
  );
  warehouse = new pg.Client({ host: run.redshift.host, port: run.redshift.port, user: USER, password: PASSWORD, database: 'fhdb' });
  await warehouse.connect();
  await warehouse.query(`CREATE TABLE ${TABLE} (id varchar(32) NOT NULL, n integer)`);

  const spec = firehoseSpecSchema.parse({
    kind: 'firehose',
    name: STREAM,
    bucket: BUCKET,
    prefix: 'firehose/events/',
    errorOutputPrefix: 'firehose/failed/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
    buffering: { sizeMiB: 1, intervalSeconds: 3 },
    roleArn: ROLE,
    // One retry of a failed COPY (after 2 s), then the batch is skipped: the failure case stays quick.
    redshift: {
      connectionId: saved.find((c) => c.name === 'Firehose warehouse')!.id,
      table: TABLE,
      columns: ['id', 'n'],
      copyOptions: "FORMAT AS JSON 'auto'",
      retrySeconds: 2,
    },
  });
  const preview = await core.handlers['provision.preview']({ spec }, { signal });
  expect(preview.cli).toContain('aws firehose create-delivery-stream');
  expect(preview.cli).toContain('firehose.amazonaws.com');
  expect(preview.cli).toContain('****');
  expect(preview.cli).not.toContain(PASSWORD);
  const chunks: ProvisionChunk[] = await collect(core.handlers['provision.create']({ spec }, { signal }));
  expect(chunks.at(-1)).toMatchObject({ kind: 'done', resources: [{ type: 'firehose-stream', id: STREAM }] });
  expect(JSON.stringify(chunks)).not.toContain(PASSWORD);
}, 60_000);

afterAll(async () => {
  await warehouse?.end().catch(() => undefined);
  firehose?.destroy();
  s3?.destroy();
  await core?.dispose();
});

describe('a Firehose delivery stream into Redshift', () => {
  it('loads exactly the acknowledged records, in objects named as Firehose names them', async () => {
    const records = Array.from({ length: RECORDS }, (_, i) => ({ id: `fh-${i}`, data: record(`fh-${i}`, i) }));
    const acknowledged = await put(records);
    expect(acknowledged).toHaveLength(RECORDS);

    await until(
      'every record in Redshift',
      async () => Number((await warehouse.query(`SELECT count(*) AS n FROM ${TABLE}`)).rows[0].n) >= RECORDS || undefined,
      120_000,
    );
    const loaded = (await warehouse.query<{ id: string }>(`SELECT id FROM ${TABLE}`)).rows.map((row) => row.id);
    expect(loaded.length).toBe(RECORDS);
    expect(new Set(loaded)).toEqual(new Set(acknowledged));

    // Buffered by size (1 MiB) rather than one object per put; named <prefix><stream>-<version>-<time>-<uuid>.
    const objects = (await keys('firehose/events/')).filter((key) => !key.includes('/manifests/'));
    expect(objects.length).toBeGreaterThanOrEqual(2);
    expect(objects.length).toBeLessThan(20);
    for (const key of objects)
      expect(key).toMatch(/^firehose\/events\/firehose-events-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}$/);

    const stage = await until('the delivery metrics', async () => {
      const facts = await firehoseStage();
      return facts.deliveredToRedshift >= RECORDS ? facts : undefined;
    });
    expect(stage).toMatchObject({
      destination: 'redshift',
      table: TABLE,
      incomingRecords: RECORDS,
      deliveredToS3: RECORDS,
      health: 'green',
    });
  }, 150_000);

  it('sends a batch whose COPY fails to the error prefix, and the stage turns red', async () => {
    // n is an integer column: this batch cannot be loaded.
    const bad = Array.from({ length: 10 }, (_, i) => ({ id: `bad-${i}`, data: record(`bad-${i}`, 'not a number') }));
    expect(await put(bad)).toHaveLength(bad.length);

    const manifestKey = await until('the error manifest', async () => (await keys('firehose/failed/redshift-failed/'))[0], 60_000);
    expect(dirname(manifestKey)).toMatch(/^firehose\/failed\/redshift-failed\/\d{4}\/\d{2}\/\d{2}\/manifests$/);
    const manifest = JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: manifestKey }))).Body!.transformToString(),
    ) as { entries: { url: string; mandatory: boolean }[] };
    expect(manifest.entries).toHaveLength(1);
    const skipped = manifest.entries[0]!.url.replace(`s3://${BUCKET}/`, '');
    const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: skipped }))).Body!.transformToString();
    expect(body.trim().split('\n')).toHaveLength(bad.length);

    expect(Number((await warehouse.query(`SELECT count(*) AS n FROM ${TABLE} WHERE id LIKE 'bad-%'`)).rows[0].n)).toBe(0);
    const stage = await until('a red Firehose stage', async () => {
      const facts = await firehoseStage();
      return facts.health === 'red' ? facts : undefined;
    });
    expect(stage.reason).toMatch(/failed deliver.* to Redshift \(firehose_events\)/);
    expect(stage.failedToRedshift).toBeGreaterThanOrEqual(1);
    expect(stage.lastFailureAt).toBeDefined();
  }, 90_000);

  it('reads a Kinesis source from each shard, every record delivered once', async () => {
    const kinesis = new KinesisClient(sandboxClientConfig(run));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'firehose-source', ShardCount: 2 }));
    await until(
      'the source stream ACTIVE',
      async () =>
        (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'firehose-source' }))).StreamDescriptionSummary?.StreamStatus ===
        'ACTIVE',
    );
    const spec = firehoseSpecSchema.parse({
      kind: 'firehose',
      name: 'firehose-from-kinesis',
      source: { mode: 'kinesis', streamName: 'firehose-source' },
      bucket: BUCKET,
      prefix: 'from-kinesis/',
      buffering: { sizeMiB: 1, intervalSeconds: 1 },
      roleArn: ROLE,
    });
    expect((await collect(core.handlers['provision.create']({ spec }, { signal }))).at(-1)).toMatchObject({ kind: 'done' });
    const sent = Array.from({ length: 2000 }, (_, i) => `k-${i}`);
    for (let at = 0; at < sent.length; at += 500)
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: 'firehose-source',
          Records: sent.slice(at, at + 500).map((id) => ({ PartitionKey: id, Data: Buffer.from(`${id}\n`) })),
        }),
      );
    kinesis.destroy();
    const delivered = await until('every record delivered', async () => {
      const lines: string[] = [];
      for (const key of await keys('from-kinesis/'))
        lines.push(...(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString()).split('\n'));
      const ids = lines.filter(Boolean);
      return ids.length >= sent.length ? ids : undefined;
    });
    expect(delivered.sort()).toEqual([...sent].sort());
  });

  it('is in the inventory, and teardown deletes it', async () => {
    const listed = await core.handlers['inventory.list']({ includeUntagged: true }, { signal });
    expect(listed.items.find((i) => i.type === 'firehose-stream' && i.id === STREAM)).toMatchObject({
      managed: true,
      state: 'ACTIVE',
      deletable: true,
      size: `direct PUT → s3://${BUCKET} → Redshift ${TABLE}`,
    });
    const deleted = await collect(
      core.handlers['inventory.delete']({ type: 'firehose-stream', id: STREAM, confirm: STREAM, finalSnapshot: false }, { signal }),
    );
    expect(deleted.at(-1)).toMatchObject({ kind: 'done' });
    await expect(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: STREAM }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    // The password went from the secret store to Firehose only: neither the app's log nor the sandbox's holds it.
    for (const log of [join(appDir, 'logs', 'tributary.log'), join(dataDir, 'sandbox', 'logs', 'tributary.log')])
      expect(readFileSync(log, 'utf8')).not.toContain(PASSWORD);
  });
});
