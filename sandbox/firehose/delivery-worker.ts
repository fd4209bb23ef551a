import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { StandardUnit } from '@aws-sdk/client-cloudwatch';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import pg from 'pg';
import { awsClientConfig } from '../../shared/node/aws-config.js';
import type { Logger } from '../../shared/node/log.js';
import type { MetricPublisher, Caller } from '../metric-publisher.js';
import { withMotoToken } from '../services/moto.js';
import { copyStatement, deliveryConfig, type DeliveryConfig, type RedshiftTarget } from './delivery-config.js';
import { evaluatePrefix, formatTimestamp, objectSuffix } from './object-names.js';

export interface DeliveryWorkerOptions {
  /** The emulator (its Firehose control plane, for each stream's configuration). */
  motoEndpoint: string;
  motoToken: string;
  /** The gateway: a Kinesis source is read as any consumer reads it, one data call at a time with the producers. */
  gatewayEndpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * The Redshift stand-in, which every sandbox cluster's endpoint is: its port changes each start, so a stream's
   * ClusterJDBCURL naming a loopback address is taken to mean it, whatever port it was created with.
   */
  redshift: { host: string; port: number };
  /** Writes straight to the emulator's S3. */
  s3: S3Client;
  metrics: MetricPublisher;
  /** Where buffered records and Kinesis checkpoints are kept across restarts. */
  statePath: string;
  log: Logger;
  tickMs?: number;
}

/** One buffered record: its data (base64, as it arrived) and when it arrived. */
interface Buffered {
  data: string;
  at: number;
}

/** Objects delivered to S3 and not yet loaded into Redshift, COPYed together through one manifest. */
interface PendingCopy {
  keys: string[];
  records: number;
  bytes: number;
  /** When the first COPY of these objects was tried, which starts RetryOptions' clock. */
  firstAttempt?: number;
  nextAttempt?: number;
  attempts?: number;
  /** The manifest written for the first attempt, used again by the retries. */
  manifestKey?: string;
}

interface StreamState {
  caller: Caller;
  name: string;
  /** When the worker first knew the stream: a Kinesis source is read from here (Firehose starts at the stream's LATEST). */
  since: number;
  buffer: Buffered[];
  copies: PendingCopy[];
  /** Kinesis source: the last sequence number buffered, per shard. */
  checkpoints: Record<string, string>;
  /** The Redshift user's password, from CreateDeliveryStream or UpdateDestination (DescribeDeliveryStream never has it). */
  password?: string;
}

const SAVE_MS = 2000;
const DESCRIBE_MS = 2000;
const NOT_FOUND = 'ResourceNotFoundException';

/**
 * Firehose's data plane, which the emulator lacks (it writes each put straight to S3): records are buffered per
 * delivery stream until its BufferingHints' size or interval is reached, then written as one object named as
 * Firehose names them; a Kinesis source is read with GetRecords; a Redshift destination then COPYs each batch of
 * delivered objects through a manifest, retrying for RetryOptions' duration before writing the manifest of the
 * skipped objects under the error prefix. AWS/Firehose metrics are published as AWS publishes them.
 *
 * Buffers and checkpoints are saved with the sandbox's state a few seconds after they change and at close, as the
 * emulator's own state is, and picked up again at start.
 */
export class DeliveryWorker {
  private readonly streams = new Map<string, StreamState>();
  private readonly configs = new Map<string, { config?: DeliveryConfig; at: number }>();
  private readonly busy = new Set<string>();
  private readonly iterators = new Map<string, string>();
  private readonly firehose = new Map<string, FirehoseClient>();
  private readonly kinesis = new Map<string, KinesisClient>();
  private readonly timer: NodeJS.Timeout;
  private readonly working = new Set<Promise<void>>();
  private dirty = false;
  private savedAt = 0;
  private closed = false;

  constructor(private readonly options: DeliveryWorkerOptions) {
    for (const state of this.restore()) {
      if (state.password) options.log.addSecret(state.password);
      this.streams.set(keyOf(state.caller, state.name), state);
    }
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 500);
    this.timer.unref();
  }

  /** A stream the emulator just created: a Kinesis source is read from now on. */
  created(caller: Caller, name: string, password: string | undefined): void {
    // A name used again is a new stream: nothing of the old one's is delivered to it, nor read from where it was.
    this.deleted(caller, name);
    this.updated(caller, name, password);
  }

  /** A stream whose destination changed (UpdateDestination): its configuration is read again. */
  updated(caller: Caller, name: string, password: string | undefined): void {
    const state = this.state(caller, name);
    if (password !== undefined) {
      this.options.log.addSecret(password);
      state.password = password;
    }
    this.configs.delete(keyOf(caller, name));
    this.dirty = true;
  }

  deleted(caller: Caller, name: string): void {
    const key = keyOf(caller, name);
    this.streams.delete(key);
    this.configs.delete(key);
    for (const shard of this.iterators.keys()) if (shard.startsWith(`${key}\n`)) this.iterators.delete(shard);
    this.dirty = true;
  }

  /** The stream's configuration, or why records cannot be put to it (AWS's error type and message). */
  async describe(caller: Caller, name: string): Promise<DeliveryConfig | { error: string; message: string }> {
    const key = keyOf(caller, name);
    const cached = this.configs.get(key);
    if (cached && Date.now() - cached.at < DESCRIBE_MS && cached.config) return cached.config;
    try {
      const answer = await this.firehoseClient(caller).send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
      const config = deliveryConfig(answer.DeliveryStreamDescription!);
      this.configs.set(key, { config, at: Date.now() });
      return config;
    } catch (error) {
      if ((error as { name?: string }).name !== NOT_FOUND) throw error;
      this.configs.set(key, { at: Date.now() });
      return { error: NOT_FOUND, message: (error as Error).message };
    }
  }

  /** Takes acknowledged records of a DirectPut stream (base64 data, as PutRecord and PutRecordBatch carry it). */
  accept(caller: Caller, name: string, records: string[]): void {
    const state = this.state(caller, name);
    const at = Date.now();
    let bytes = 0;
    for (const data of records) {
      state.buffer.push({ data, at });
      bytes += Buffer.byteLength(data, 'base64');
    }
    this.dirty = true;
    const add = this.metric(caller, name, at);
    add('IncomingPutRequests', 'Count', 1);
    add('IncomingRecords', 'Count', records.length);
    add('IncomingBytes', 'Bytes', bytes);
  }

  private state(caller: Caller, name: string): StreamState {
    const key = keyOf(caller, name);
    let state = this.streams.get(key);
    if (!state) {
      this.streams.set(key, (state = { caller, name, since: Date.now(), buffer: [], copies: [], checkpoints: {} }));
      this.dirty = true;
    }
    return state;
  }

  private tick(): void {
    if (this.closed) return;
    for (const [key, state] of this.streams) {
      if (this.busy.has(key)) continue;
      this.busy.add(key);
      const work = this.advance(state)
        .catch((error: unknown) => this.options.log.warn('firehose', `Delivery stream ${state.name}: ${(error as Error).message}`))
        .finally(() => {
          this.busy.delete(key);
          this.working.delete(work);
        });
      this.working.add(work);
    }
    if (this.dirty && Date.now() - this.savedAt >= SAVE_MS) this.save();
  }

  /** One step of a stream's delivery: read its source, deliver a full buffer, load what is waiting for Redshift. */
  private async advance(state: StreamState): Promise<void> {
    const config = await this.describe(state.caller, state.name);
    if ('error' in config) {
      // Deleted behind the worker's back (the emulator's state was reset): nothing is left to deliver to.
      if (config.error === NOT_FOUND) this.deleted(state.caller, state.name);
      return;
    }
    if (config.type === 'KinesisStreamAsSource' && config.sourceStream) await this.read(state, config.sourceStream);
    const now = Date.now();
    const oldest = state.buffer[0]?.at;
    if (oldest !== undefined)
      this.metric(state.caller, state.name, now)('DeliveryToS3.DataFreshness', 'Seconds', Math.floor((now - oldest) / 1000));
    // An object holds at most the buffer's size: a backlog (puts faster than the ticks) is cut into several.
    for (;;) {
      const first = state.buffer[0];
      if (!first) break;
      const { count, bytes } = upTo(state.buffer, config.bufferBytes);
      if (bytes < config.bufferBytes && Date.now() - first.at < config.bufferMs) break;
      await this.deliver(state, config, count, bytes);
    }
    if (config.redshift) await this.load(state, config);
  }

  /** Reads the source stream's new records into the buffer, each shard from its checkpoint. */
  private async read(state: StreamState, stream: string): Promise<void> {
    const kinesis = this.kinesisClient(state.caller);
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
    const at = Date.now();
    let records = 0;
    let bytes = 0;
    let behind = 0;
    for (const shard of shards) {
      const shardKey = `${keyOf(state.caller, state.name)}\n${shard.ShardId}`;
      let iterator = this.iterators.get(shardKey);
      if (!iterator) {
        const checkpoint = state.checkpoints[shard.ShardId!];
        iterator = (
          await kinesis.send(
            new GetShardIteratorCommand({
              StreamName: stream,
              ShardId: shard.ShardId,
              ...(checkpoint
                ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: checkpoint }
                : { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(state.since) }),
            }),
          )
        ).ShardIterator;
        if (!iterator) continue;
      }
      const answer = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of answer.Records ?? []) {
        const data = Buffer.from(record.Data ?? new Uint8Array());
        state.buffer.push({ data: data.toString('base64'), at: record.ApproximateArrivalTimestamp?.getTime() ?? at });
        state.checkpoints[shard.ShardId!] = record.SequenceNumber!;
        records++;
        bytes += data.length;
      }
      behind = Math.max(behind, answer.MillisBehindLatest ?? 0);
      if (answer.NextShardIterator) this.iterators.set(shardKey, answer.NextShardIterator);
      else this.iterators.delete(shardKey);
    }
    if (records > 0) this.dirty = true;
    const add = this.metric(state.caller, state.name, at);
    add('DataReadFromKinesisStream.Records', 'Count', records);
    add('DataReadFromKinesisStream.Bytes', 'Bytes', bytes);
    add('KinesisMillisBehindLatest', 'Milliseconds', behind);
    add('IncomingRecords', 'Count', records);
    add('IncomingBytes', 'Bytes', bytes);
  }

  /** Writes the buffer as one S3 object (Firehose concatenates records without delimiters). */
  private async deliver(state: StreamState, config: DeliveryConfig, count: number, bytes: number): Promise<void> {
    const records = state.buffer.slice(0, count);
    const oldest = new Date(records[0]!.at);
    const key = `${evaluatePrefix(config.prefix, oldest)}${objectSuffix(config.name, config.version, oldest)}${config.gzip ? '.gz' : ''}`;
    const body = Buffer.concat(records.map((record) => Buffer.from(record.data, 'base64')));
    const add = this.metric(state.caller, state.name, Date.now());
    try {
      await this.options.s3.send(new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: config.gzip ? gzipSync(body) : body }));
    } catch (error) {
      // Firehose keeps retrying S3 (for up to 24 hours); the records stay buffered for the next tick.
      add('DeliveryToS3.Success', 'Count', 0);
      throw new Error(`could not write s3://${config.bucket}/${key}: ${(error as Error).message}`, { cause: error });
    }
    state.buffer.splice(0, records.length);
    if (config.redshift) state.copies.push({ keys: [key], records: records.length, bytes });
    this.dirty = true;
    add('DeliveryToS3.Success', 'Count', 1);
    add('DeliveryToS3.Records', 'Count', records.length);
    add('DeliveryToS3.Bytes', 'Bytes', bytes);
    add('DeliveryToS3.DataFreshness', 'Seconds', Math.floor((Date.now() - oldest.getTime()) / 1000));
  }

  /**
   * COPYs the objects waiting for Redshift, all of them through one manifest (as Firehose catches up after a slow
   * COPY); a failure is tried again until RetryOptions' duration has passed since the first attempt, then the
   * objects are skipped and their manifest written under the error prefix, for a manual backfill.
   */
  private async load(state: StreamState, config: DeliveryConfig): Promise<void> {
    const target = config.redshift!;
    const now = Date.now();
    const first = state.copies[0];
    if (!first || (first.nextAttempt ?? 0) > now) return;
    // A batch being retried is retried alone; otherwise everything waiting goes in one COPY.
    const batch: PendingCopy =
      first.firstAttempt !== undefined
        ? first
        : {
            keys: state.copies.flatMap((copy) => copy.keys),
            records: state.copies.reduce((sum, copy) => sum + copy.records, 0),
            bytes: state.copies.reduce((sum, copy) => sum + copy.bytes, 0),
          };
    const count = first.firstAttempt !== undefined ? 1 : state.copies.length;
    const at = new Date();
    const manifest = JSON.stringify({ entries: batch.keys.map((key) => ({ url: `s3://${config.bucket}/${key}`, mandatory: true })) });
    const add = this.metric(state.caller, state.name, now);
    let failure: string | undefined;
    try {
      if (!batch.manifestKey) {
        const manifestKey = `${literalHead(config.prefix)}manifests/${formatTimestamp('yyyy/MM/dd/HH', at)}/${objectSuffix(config.name, config.version, at)}`;
        await this.options.s3.send(new PutObjectCommand({ Bucket: config.bucket, Key: manifestKey, Body: manifest }));
        batch.manifestKey = manifestKey;
      }
      await this.copy({ ...target, password: state.password ?? '' }, copyStatement(target, `s3://${config.bucket}/${batch.manifestKey}`));
    } catch (error) {
      failure = (error as Error).message;
    }
    if (!failure) {
      state.copies.splice(0, count);
      this.dirty = true;
      add('DeliveryToRedshift.Success', 'Count', 1);
      add('DeliveryToRedshift.Records', 'Count', batch.records);
      add('DeliveryToRedshift.Bytes', 'Bytes', batch.bytes);
      return;
    }
    add('DeliveryToRedshift.Success', 'Count', 0);
    batch.firstAttempt ??= now;
    batch.attempts = (batch.attempts ?? 0) + 1;
    state.copies.splice(0, count, batch);
    this.dirty = true;
    if (now - batch.firstAttempt < target.retryMs) {
      batch.nextAttempt = now + Math.min(30_000, 1000 * 2 ** Math.min(batch.attempts, 5));
      this.options.log.warn('firehose', `COPY for ${config.name} failed (attempt ${batch.attempts}), retrying: ${failure}`);
      return;
    }
    // Under the stream's error prefix when it has one (its expressions place it in time); else Firehose's errors/ folder.
    const errorsKey = config.errorOutputPrefix
      ? `${evaluatePrefix(config.errorOutputPrefix, at, 'redshift-failed')}manifests/${objectSuffix(config.name, config.version, at)}`
      : `${literalHead(config.prefix)}errors/manifests/${formatTimestamp('yyyy/MM/dd/HH', at)}/${objectSuffix(config.name, config.version, at)}`;
    await this.options.s3.send(new PutObjectCommand({ Bucket: config.bucket, Key: errorsKey, Body: manifest }));
    state.copies.shift();
    this.options.log.warn(
      'firehose',
      `COPY for ${config.name} failed for ${Math.round((now - batch.firstAttempt) / 1000)} s; ${batch.keys.length} object(s) skipped, their manifest is s3://${config.bucket}/${errorsKey}: ${failure}`,
    );
  }

  /** One COPY on a connection of its own, as Firehose logs in with the stream's user. */
  private async copy(target: RedshiftTarget & { password: string }, statement: string): Promise<void> {
    this.options.log.addSecret(target.password);
    const local = target.host === '127.0.0.1' || target.host === 'localhost';
    const client = new pg.Client({
      host: local ? this.options.redshift.host : target.host,
      port: local ? this.options.redshift.port : target.port,
      database: target.database,
      user: target.user,
      password: target.password,
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private metric(caller: Caller, name: string, at: number): (metric: string, unit: StandardUnit, value: number) => void {
    return this.options.metrics.resource(caller, 'AWS/Firehose', { Name: 'DeliveryStreamName', Value: name }, at);
  }

  /** The emulator's Firehose, straight (the gateway would bring each call back to this worker's interceptor). */
  private firehoseClient(caller: Caller): FirehoseClient {
    const key = `${caller.accessKeyId}\n${caller.region}`;
    let client = this.firehose.get(key);
    if (!client) {
      client = withMotoToken(
        new FirehoseClient({
          region: caller.region,
          endpoint: this.options.motoEndpoint,
          credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: 'unused-by-the-emulator' },
          requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
          maxAttempts: 2,
        }),
        this.options.motoToken,
      );
      this.firehose.set(key, client);
    }
    return client;
  }

  private kinesisClient(caller: Caller): KinesisClient {
    let client = this.kinesis.get(caller.region);
    if (!client) {
      client = new KinesisClient(
        awsClientConfig(
          { region: caller.region, endpoint: this.options.gatewayEndpoint, credentials: this.options.credentials },
          'tributary-sandbox/firehose',
        ),
      );
      this.kinesis.set(caller.region, client);
    }
    return client;
  }

  private restore(): StreamState[] {
    if (!existsSync(this.options.statePath)) return [];
    try {
      return (JSON.parse(readFileSync(this.options.statePath, 'utf8')) as { streams: StreamState[] }).streams;
    } catch (error) {
      const aside = `${this.options.statePath}.unreadable-${Date.now()}`;
      renameSync(this.options.statePath, aside);
      this.options.log.warn('firehose', `Could not read the delivery streams' buffers; kept them as ${aside}`, error);
      return [];
    }
  }

  private save(): void {
    this.dirty = false;
    this.savedAt = Date.now();
    const temporary = `${this.options.statePath}.tmp`;
    writeFileSync(temporary, JSON.stringify({ streams: [...this.streams.values()] }), { mode: 0o600 });
    renameSync(temporary, this.options.statePath);
  }

  /** Lets the step under way finish, then keeps what is still buffered for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.working]);
    this.save();
    for (const client of [...this.firehose.values(), ...this.kinesis.values()]) client.destroy();
  }
}

/** How many of the oldest records fill an object of at most `limit` bytes (at least one), and their size. */
function upTo(buffer: Buffered[], limit: number): { count: number; bytes: number } {
  let bytes = 0;
  let count = 0;
  for (const record of buffer) {
    const size = Buffer.byteLength(record.data, 'base64');
    if (count > 0 && bytes + size > limit) break;
    bytes += size;
    count++;
  }
  return { count, bytes };
}

/** By region and name: the run's access key changes each start, and the sandbox is one account. */
function keyOf(caller: Caller, name: string): string {
  return `${caller.region}\n${name}`;
}

/** The part of a custom prefix before its first expression: where the stream's manifests go, beside its data. */
function literalHead(prefix: string | undefined): string {
  if (!prefix) return '';
  const head = prefix.split('!{')[0]!;
  return head.slice(0, head.lastIndexOf('/') + 1);
}
