import { z } from 'zod';
import { call, stream } from '../define.js';
import { fileRefSchema } from '../paths.js';

/**
 * Ingest: filling the active environment's Kinesis stream with access logs
 * (generated or replayed), and looking at what flows through it. Every record
 * is one combined-format log line with a unique id (see shared/pipeline/access-log.ts).
 */

/** Kinesis's own limits, which the producer keeps to. */
export const KINESIS_LIMITS = {
  recordsPerPut: 500,
  bytesPerPut: 5 * 1024 * 1024,
  /** Data plus partition key. */
  bytesPerRecord: 1024 * 1024,
  partitionKeyChars: 256,
  getRecordsPerSecondPerShard: 5,
} as const;

export const MAX_RECORDS_PER_SECOND = 1_000_000;
/** A tail shows this much of each record's data. */
export const TAIL_DATA_BYTES = 4096;

/** 5xx responses take this share of requests during a window of the generated log's own time. */
export interface ErrorBurst {
  /** Seconds after the log's start (its simulated clock). */
  startSeconds: number;
  durationSeconds: number;
  /** 0..1: the share of 5xx responses inside the window (about 1% outside). */
  errorShare: number;
}

export interface GeneratorOptions {
  seed: number;
  /** The log's first timestamp (ISO 8601); the run's start when absent. */
  start?: string;
  /** Requests per second of the log's own time, averaged over a day; the send rate when absent (log time then keeps pace with the clock). */
  simulatedRate?: number;
  /** Busiest hour of the day, UTC; traffic follows a daily cosine around it. */
  peakHourUtc: number;
  /** 0..0.95: how far traffic swings around its daily mean (0.6: the peak hour has 4× the quietest hour's traffic). */
  diurnalAmplitude: number;
  errorBurst?: ErrorBurst;
}

export type IngestSource = { generator: GeneratorOptions } | { replay: { path: string } };

export type RunState = 'running' | 'stopping' | 'completed' | 'stopped' | 'cancelled' | 'failed';

/** Live counters of one run. Each record is counted once in `sent` and ends up acknowledged or failed. */
export interface IngestCounters {
  elapsedMs: number;
  /** Records handed to PutRecords at least once. */
  sent: number;
  /** Records Kinesis gave a sequence number: durably in the stream. */
  acknowledged: number;
  /** Re-sends of records a PutRecords refused (or whose request failed as a whole). */
  retried: number;
  /** Refusals with ProvisionedThroughputExceededException (Kinesis's throttling), counted per refusal. */
  throttled: number;
  /** Records given up on after the retries, or refused for good (too large, a KMS error). */
  failed: number;
  /** Sent and not yet acknowledged or failed. */
  inFlight: number;
  /** Data plus partition key bytes of the acknowledged records. */
  bytesAcknowledged: number;
  /** Acknowledged records per second over the last second. */
  recordsPerSecond: number;
  mibPerSecond: number;
  /** The rate the producer is held to now (ingest.setRate changes it). */
  targetRate: number;
}

export interface IngestSummary extends IngestCounters {
  state: Exclude<RunState, 'running' | 'stopping'>;
  averageRecordsPerSecond: number;
  averageMibPerSecond: number;
  /** Why the run failed or stopped early, for the operator. */
  error?: string;
  /** Lines of a replayed file skipped (empty, or too large for one record). */
  skipped: number;
  /** Acknowledged ids dropped from the run's ledger, the oldest first, to keep it within its disk cap. */
  ledgerDropped: number;
}

export type IngestChunk =
  | { kind: 'started'; runId: string; stream: string; shards: number; source: 'generator' | 'replay'; targetRate: number }
  /** Every 250 ms while the run lasts. */
  | { kind: 'progress'; counters: IngestCounters }
  | { kind: 'warning'; message: string }
  | { kind: 'done'; summary: IngestSummary };

export interface IngestRun {
  runId: string;
  stream: string;
  environmentId: string;
  source: 'generator' | 'replay';
  state: RunState;
  startedAt: string;
  finishedAt?: string;
  sent: number;
  acknowledged: number;
  retried: number;
  failed: number;
  /** As in IngestSummary; counted while the run lasts. */
  ledgerDropped: number;
  error?: string;
}

export interface StreamSummary {
  name: string;
  status: string;
  arn?: string;
  mode?: string;
}

export interface ShardInfo {
  shardId: string;
  /** 128-bit hash key range, decimal: partition keys whose MD5 falls in it land here. */
  startingHashKey: string;
  endingHashKey: string;
  startingSequenceNumber: string;
  /** Set once the shard is closed (after a split or merge). */
  endingSequenceNumber?: string;
  parentShardId?: string;
  open: boolean;
}

/** One period of a stream's CloudWatch metrics (namespace AWS/Kinesis, dimension StreamName). */
export interface StreamMetricPoint {
  /** The period's start, ISO 8601. */
  at: string;
  /** IncomingRecords, Sum. */
  records: number;
  /** IncomingBytes, Sum. */
  bytes: number;
  /** GetRecords.IteratorAgeMilliseconds, Maximum: absent when no consumer read in the period. */
  iteratorAgeMs?: number;
}

export interface StreamMetrics {
  stream: string;
  periodSeconds: number;
  /** Oldest first; periods without data are absent. */
  points: StreamMetricPoint[];
  /** From the newest period that has ended (CloudWatch's newest minute is still filling); 0 when none in the last 5 minutes. */
  recordsPerSecond: number;
  bytesPerSecond: number;
  /** The newest reading in the last 5 minutes; absent when no consumer read the stream then. */
  iteratorAgeMs?: number;
}

export interface TailRecord {
  sequenceNumber: string;
  partitionKey: string;
  /** ISO 8601. */
  approximateArrivalTimestamp: string;
  /** The record's data as UTF-8 text, cut to TAIL_DATA_BYTES. */
  data: string;
  bytes: number;
  truncated: boolean;
}

/** What one GetRecords on one shard returned; an empty one now and then still reports the iterator age. */
export interface TailChunk {
  shardId: string;
  records: TailRecord[];
  /** How far this shard's iterator is behind the newest record (GetRecords' MillisBehindLatest). */
  millisBehindLatest: number;
  /** The shard is closed and fully read; no more chunks for it. */
  closed?: boolean;
}

const streamName = z.string().regex(/^[a-zA-Z0-9_.-]{1,128}$/, 'Not a Kinesis stream name');
const shardId = z.string().regex(/^shardId-[0-9]{12}$/, 'Not a shard id (shardId-000000000000)');
const runId = z.string().regex(/^r[a-z0-9]{8,40}$/, 'Not an ingest run id');
const rate = z.number().int().min(1).max(MAX_RECORDS_PER_SECOND);

const errorBurstSchema = z
  .object({
    startSeconds: z
      .number()
      .min(0)
      .max(366 * 86_400),
    durationSeconds: z
      .number()
      .positive()
      .max(366 * 86_400),
    errorShare: z.number().min(0).max(1),
  })
  .strict();

export const generatorOptionsSchema = z
  .object({
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    start: z.iso.datetime({ offset: true }).optional(),
    simulatedRate: z.number().min(0.001).max(MAX_RECORDS_PER_SECOND).optional(),
    peakHourUtc: z.number().int().min(0).max(23).default(14),
    diurnalAmplitude: z.number().min(0).max(0.95).default(0.6),
    errorBurst: errorBurstSchema.optional(),
  })
  .strict();

const sourceSchema = z.union([
  z.object({ generator: generatorOptionsSchema }).strict(),
  z
    .object({
      /** A log file (plain or .gz) or a folder of them, read in name order; lines are sent as they are, each with its id appended. */
      replay: z
        .object({
          path: fileRefSchema,
        })
        .strict(),
    })
    .strict(),
]);

export const ingest = {
  start: stream<IngestChunk>()({
    summary:
      'Send access-log records to a Kinesis stream of the active environment until the total, the end of the replayed files, ingest.stop or cancel, with live counters.',
    input: z
      .object({
        stream: streamName,
        source: sourceSchema,
        /** The send rate's ceiling; ingest.setRate changes it while the run lasts. */
        recordsPerSecond: rate.default(1000),
        /** Stop after this many records (a generator otherwise runs until stopped). */
        total: z.number().int().min(1).max(1e10).optional(),
        /** `record`: the record id (spreads evenly over shards); `client`: the client IP (one client's requests stay in order on one shard). */
        partitionKey: z.enum(['record', 'client']).default('record'),
        /** PutRecords requests in flight at once. */
        concurrency: z.number().int().min(1).max(32).default(4),
      })
      .strict(),
  }),
  stop: call<{ stopping: boolean }>()({
    summary:
      'Stop a run gracefully: what is buffered and in flight is still sent and acknowledged; the run’s stream ends with its summary.',
    input: z.object({ runId }).strict(),
  }),
  setRate: call<{ targetRate: number }>()({
    summary: 'Change a running run’s send rate (records per second).',
    input: z.object({ runId, recordsPerSecond: rate }).strict(),
  }),
  runs: call<IngestRun[]>()({ summary: 'List ingest runs, running and past, with their counts.', input: z.object({}).strict() }),
  preview: call<{ lines: string[] }>()({
    summary: 'A few lines the generator would send with these options, without sending anything.',
    input: z.object({ generator: generatorOptionsSchema, count: z.number().int().min(1).max(100).default(10) }).strict(),
  }),
  streams: call<StreamSummary[]>()({ summary: 'List the active environment’s Kinesis streams.', input: z.object({}).strict() }),
  shards: call<ShardInfo[]>()({
    summary: 'List a stream’s shards with their hash key ranges.',
    input: z.object({ stream: streamName }).strict(),
  }),
  metrics: call<StreamMetrics>()({
    summary:
      'The stream’s CloudWatch metrics per minute over the last minutes: incoming records and bytes, and the consumers’ iterator age.',
    input: z.object({ stream: streamName, minutes: z.number().int().min(5).max(1440).default(30) }).strict(),
  }),
  tail: stream<TailChunk>()({
    summary:
      'Read the newest records of one shard or of all, with each shard’s iterator age, within GetRecords’ 5 calls per second per shard.',
    input: z
      .object({
        stream: streamName,
        /** All of the stream's shards when absent. */
        shardId: shardId.optional(),
        from: z.enum(['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP']).default('LATEST'),
        /** For AT_TIMESTAMP (ISO 8601). */
        timestamp: z.iso.datetime({ offset: true }).optional(),
        /** Records per GetRecords call. */
        limit: z.number().int().min(1).max(10_000).default(100),
      })
      .strict()
      .refine((input) => input.from !== 'AT_TIMESTAMP' || input.timestamp !== undefined, {
        message: 'AT_TIMESTAMP needs a timestamp',
        path: ['timestamp'],
      }),
  }),
};
