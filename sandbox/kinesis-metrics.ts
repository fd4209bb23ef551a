import type { IncomingHttpHeaders } from 'node:http';
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Logger } from '../shared/node/log.js';
import { withMotoToken } from './services/moto.js';

type Json = Record<string, unknown>;

export interface StreamMetricsOptions {
  /** The emulator's own endpoint (its CloudWatch), not the gateway. */
  endpoint: string;
  /** The run's upstream token, without which the emulator answers nothing. */
  token: string;
  log: Logger;
  /** How long observations are gathered before they are published. */
  flushMs?: number;
}

interface Statistic {
  samples: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * What AWS publishes per stream that moto does not, with its unit; each put or
 * get operation is one sample, as on AWS. moto itself publishes IncomingRecords
 * and IncomingBytes (one sample per put, data plus partition key).
 */
const UNITS = {
  'PutRecord.Success': 'Count',
  'PutRecord.Bytes': 'Bytes',
  'PutRecords.Success': 'Count',
  'PutRecords.SuccessfulRecords': 'Count',
  'PutRecords.Bytes': 'Bytes',
  'GetRecords.Success': 'Count',
  'GetRecords.Records': 'Count',
  'GetRecords.Bytes': 'Bytes',
  'GetRecords.IteratorAgeMilliseconds': 'Milliseconds',
} satisfies Record<string, StandardUnit>;
type MetricName = keyof typeof UNITS;

/** One stream's observations since the last flush, in the account and region of the calls that made them. */
interface Pending {
  accessKeyId: string;
  region: string;
  stream: string;
  since: Date;
  metrics: Map<MetricName, Statistic>;
}

/** PutMetricData takes up to 1,000 data points a call. */
const DATA_PER_CALL = 1000;

/**
 * The stream-level Kinesis metrics moto's Kinesis does not publish (it does
 * publish IncomingRecords and IncomingBytes itself): the puts (PutRecords
 * counts only entries without an ErrorCode; a record's bytes are its data
 * plus its partition key, as Kinesis sizes records) and the reads (records
 * and bytes returned, and the iterator age: how old the last record returned
 * was, as AWS defines it, or MillisBehindLatest when none was). Observations
 * are summed per stream and published every `flushMs` (and at close) to the
 * emulator's CloudWatch as statistic sets, in the caller's account (moto
 * finds it from the access key) and region (the signature's scope).
 *
 * Nothing here delays a Kinesis answer: responses are read after they are
 * sent, and publishing is fire and forget, a failure logged once until it works again.
 */
export class StreamMetrics {
  private pending = new Map<string, Pending>();
  private readonly clients = new Map<string, CloudWatchClient>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private failing = false;
  private misread = false;
  private closed = false;

  constructor(private readonly options: StreamMetricsOptions) {
    this.timer = setInterval(() => this.flush(), options.flushMs ?? 2000);
    this.timer.unref();
  }

  observe(operation: string, requestBody: string, responseBody: string, headers: IncomingHttpHeaders): void {
    const caller = callerOf(headers);
    if (!caller || this.closed) return;
    const at = Date.now();
    // Read once the answer is on its way: parsing a large GetRecords answer must not hold it up.
    setImmediate(() => {
      try {
        this.record(operation, JSON.parse(requestBody || '{}') as Json, JSON.parse(responseBody || '{}') as Json, caller, at);
      } catch (error) {
        if (this.misread) return;
        this.misread = true;
        this.options.log.warn(
          'gateway',
          `Could not read a Kinesis ${operation} call for its metrics (further such calls are not logged)`,
          error,
        );
      }
    });
  }

  private record(operation: string, request: Json, response: Json, caller: { accessKeyId: string; region: string }, at: number): void {
    if (operation === 'GetRecords') {
      const stream = streamOfIterator(request.ShardIterator) ?? streamOfArn(request.StreamARN);
      if (!stream) return;
      const records = (response.Records ?? []) as Json[];
      const last = records.at(-1);
      const arrived = last ? arrivalOf(last.ApproximateArrivalTimestamp) : undefined;
      const age = arrived !== undefined ? Math.max(0, at - arrived) : Number(response.MillisBehindLatest ?? 0);
      const add = this.stream(caller, stream, at);
      add('GetRecords.Success', 1);
      add('GetRecords.Records', records.length);
      add(
        'GetRecords.Bytes',
        records.reduce((bytes, record) => bytes + recordBytes(record), 0),
      );
      add('GetRecords.IteratorAgeMilliseconds', Number.isFinite(age) ? age : 0);
      return;
    }
    const stream = typeof request.StreamName === 'string' ? request.StreamName : streamOfArn(request.StreamARN);
    if (!stream) return;
    const add = this.stream(caller, stream, at);
    if (operation === 'PutRecord') {
      add('PutRecord.Success', 1);
      add('PutRecord.Bytes', recordBytes(request));
      return;
    }
    const sent = (request.Records ?? []) as Json[];
    const results = (response.Records ?? []) as Json[];
    let records = 0;
    let bytes = 0;
    results.forEach((result, i) => {
      if (result.ErrorCode) return;
      records++;
      bytes += sent[i] ? recordBytes(sent[i]) : 0;
    });
    add('PutRecords.Success', records > 0 ? 1 : 0);
    add('PutRecords.SuccessfulRecords', records);
    if (records > 0) add('PutRecords.Bytes', bytes);
  }

  /** Adds samples to a stream's pending metrics. */
  private stream(caller: { accessKeyId: string; region: string }, stream: string, at: number): (name: MetricName, value: number) => void {
    const key = `${caller.accessKeyId}\n${caller.region}\n${stream}`;
    let pending = this.pending.get(key);
    if (!pending) this.pending.set(key, (pending = { ...caller, stream, since: new Date(at), metrics: new Map() }));
    const metrics = pending.metrics;
    return (name, value) => {
      const statistic = metrics.get(name);
      if (!statistic) return void metrics.set(name, { samples: 1, sum: value, min: value, max: value });
      statistic.samples++;
      statistic.sum += value;
      statistic.min = Math.min(statistic.min, value);
      statistic.max = Math.max(statistic.max, value);
    };
  }

  private flush(): void {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const byCaller = new Map<string, { accessKeyId: string; region: string; data: MetricDatum[] }>();
    for (const { accessKeyId, region, stream, since, metrics } of batch.values()) {
      const key = `${accessKeyId}\n${region}`;
      let target = byCaller.get(key);
      if (!target) byCaller.set(key, (target = { accessKeyId, region, data: [] }));
      for (const [name, { samples, sum, min, max }] of metrics) {
        target.data.push({
          MetricName: name,
          Dimensions: [{ Name: 'StreamName', Value: stream }],
          Timestamp: since,
          Unit: UNITS[name],
          StatisticValues: { SampleCount: samples, Sum: sum, Minimum: min, Maximum: max },
        });
      }
    }
    for (const { accessKeyId, region, data } of byCaller.values()) {
      const client = this.client(accessKeyId, region);
      for (let i = 0; i < data.length; i += DATA_PER_CALL) {
        const sending = client
          .send(new PutMetricDataCommand({ Namespace: 'AWS/Kinesis', MetricData: data.slice(i, i + DATA_PER_CALL) }))
          .then(
            () => {
              if (!this.failing) return;
              this.failing = false;
              this.options.log.info('gateway', 'Publishing Kinesis stream metrics works again');
            },
            (error: unknown) => {
              if (this.failing) return;
              this.failing = true;
              this.options.log.warn(
                'gateway',
                'Publishing Kinesis stream metrics to the emulator’s CloudWatch failed (further failures are not logged until it works again)',
                error,
              );
            },
          );
        this.inFlight.add(sending);
        void sending.finally(() => this.inFlight.delete(sending));
      }
    }
  }

  /** A client signing as the caller (moto reads only the access key), straight to the emulator. */
  private client(accessKeyId: string, region: string): CloudWatchClient {
    const key = `${accessKeyId}\n${region}`;
    let client = this.clients.get(key);
    if (!client) {
      client = withMotoToken(
        new CloudWatchClient({
          region,
          endpoint: this.options.endpoint,
          credentials: { accessKeyId, secretAccessKey: 'unused-by-the-emulator' },
          requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
          maxAttempts: 2,
          disableRequestCompression: true,
        }),
        this.options.token,
      );
      this.clients.set(key, client);
    }
    return client;
  }

  /** Publishes what is pending (observations still being read included), waiting a few seconds at most. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await new Promise((resolve) => setImmediate(resolve));
    this.closed = true;
    this.flush();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => (timeout = setTimeout(resolve, 5_000)))]);
    clearTimeout(timeout);
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}

/** The caller's access key and region, from the SigV4 Authorization header's credential scope. */
function callerOf(headers: IncomingHttpHeaders): { accessKeyId: string; region: string } | undefined {
  const scope = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/[^/]+\/aws4_request/.exec(headers.authorization ?? '');
  return scope ? { accessKeyId: scope[1]!, region: scope[2]! } : undefined;
}

/** A record's size as Kinesis counts it: the data (sent base64-encoded) plus the partition key. */
function recordBytes(record: Json): number {
  const data = typeof record.Data === 'string' ? Buffer.byteLength(record.Data, 'base64') : 0;
  const key = typeof record.PartitionKey === 'string' ? Buffer.byteLength(record.PartitionKey, 'utf8') : 0;
  return data + key;
}

/** moto's shard iterators are base64 of `stream:shard:sequence` (the stream is "None" when it was named by ARN). */
function streamOfIterator(iterator: unknown): string | undefined {
  if (typeof iterator !== 'string') return undefined;
  const stream = Buffer.from(iterator, 'base64').toString('utf8').split(':')[0];
  return stream && stream !== 'None' ? stream : undefined;
}

function streamOfArn(arn: unknown): string | undefined {
  return typeof arn === 'string' ? /:stream\/([^/]+)$/.exec(arn)?.[1] : undefined;
}

/** ApproximateArrivalTimestamp as JSON carries it (epoch seconds), in milliseconds. */
function arrivalOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string') {
    const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}
