import type { IncomingHttpHeaders } from 'node:http';
import type { StandardUnit } from '@aws-sdk/client-cloudwatch';
import { callerOf, MetricPublisher, type Caller, type MetricPublisherOptions } from './metric-publisher.js';

type Json = Record<string, unknown>;

export type StreamMetricsOptions = MetricPublisherOptions;

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
  private readonly publisher: MetricPublisher;
  private misread = false;
  private closed = false;

  constructor(private readonly options: StreamMetricsOptions) {
    this.publisher = new MetricPublisher(options);
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

  private record(operation: string, request: Json, response: Json, caller: Caller, at: number): void {
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
  private stream(caller: Caller, stream: string, at: number): (name: MetricName, value: number) => void {
    const add = this.publisher.resource(caller, 'AWS/Kinesis', { Name: 'StreamName', Value: stream }, at);
    return (name, value) => add(name, UNITS[name], value);
  }

  /** Publishes what is pending (observations still being read included), waiting a few seconds at most. */
  async close(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.closed = true;
    await this.publisher.close();
  }
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
