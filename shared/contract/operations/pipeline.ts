import { z } from 'zod';
import { S3_URI_SAFE, S3_URI_SAFE_MESSAGE } from '../../sql/literal.js';
import { call, stream } from '../define.js';
import { overwriteSchema, fileRefSchema } from '../paths.js';
import type { Cell, ColumnMeta } from './workbench.js';

/**
 * The pipeline: the Spark jobs (Kinesis → S3 raw → Parquet), submitted as EMR
 * steps or with spark-submit over an SSH session and followed live; the SQL
 * assets; the COPY wizard into Redshift; and the S3 browser of the pipeline's bucket.
 */

export const pipelineJobIds = ['kinesis_to_s3', 'raw_to_parquet'] as const;
export type PipelineJobId = (typeof pipelineJobIds)[number];

const bucket = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'Not an S3 bucket name');
/** An object key or a prefix ('' is the bucket's root). */
const key = z
  .string()
  .max(1024)
  .refine((k) => !k.includes('\u0000'), 'A key cannot hold NUL');
const clusterId = z.string().regex(/^j-[A-Za-z0-9]{1,64}$/, 'Not an EMR cluster id');
/** An EMR step id (s-…) or a spark-submit over SSH that Tributary started (ssh-…). */
export const pipelineRunIdSchema = z.string().regex(/^(s|ssh)-[A-Za-z0-9]{1,64}$/, 'Not a run id');
const s3Uri = z
  .string()
  .max(1100)
  .regex(S3_URI_SAFE, S3_URI_SAFE_MESSAGE)
  .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'An s3://bucket/prefix URI');
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,126}$/, 'Not a table or column name');
const schemaName = identifier;
const iamRole = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/, 'An IAM role ARN (arn:aws:iam::<account>:role/<name>)');
const connectionId = z.string().regex(/^[A-Za-z0-9_-]{1,120}$/);

const kinesisOptions = z
  .object({
    job: z.literal('kinesis_to_s3'),
    stream: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'Not a Kinesis stream name'),
    /** Records per shard per batch (GetRecords Limit). */
    batchSize: z.number().int().min(1).max(10_000).optional(),
    /** Stop after the round that reaches this many batches (a round writes up to one per shard). */
    maxBatches: z.number().int().min(1).max(1_000_000).optional(),
    /** Stop once nothing arrived for this long; without it the job runs until cancelled. */
    untilIdleSeconds: z.number().min(1).max(86_400).optional(),
    /** Pause after each round that wrote batches (throttles a backlog). */
    batchIntervalSeconds: z.number().min(0).max(3600).optional(),
    /** A Kinesis endpoint other than the region's own (a VPC endpoint). */
    endpointUrl: z
      .string()
      .regex(/^https?:\/\/[^\s'"]{1,500}$/)
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
      .optional(),
  })
  .strict();

const rawToParquetOptions = z
  .object({
    job: z.literal('raw_to_parquet'),
    /** Write v<N> (replacing it); the next free version when absent. */
    version: z.number().int().min(1).max(100_000).optional(),
    database: identifier.optional(),
    table: identifier.optional(),
  })
  .strict();

export const pipelineJobOptionsSchema = z.discriminatedUnion('job', [kinesisOptions, rawToParquetOptions]);
export type PipelineJobOptions = z.infer<typeof pipelineJobOptionsSchema>;

export interface PipelineJobInfo {
  id: PipelineJobId;
  /** spark/<id>.py in the repository; s3://<bucket>/spark/<id>.py once uploaded. */
  file: string;
  summary: string;
}

export interface SqlAsset {
  /** sql/spark/explore.sql … */
  path: string;
  dialect: 'spark' | 'redshift';
  text: string;
  /** {{name}} placeholders the app fills. */
  placeholders: string[];
}

export interface PipelineAssets {
  jobs: PipelineJobInfo[];
  sql: SqlAsset[];
}

export type PipelineRunState = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'CANCEL_PENDING' | 'CANCELLED' | 'FAILED' | 'INTERRUPTED';

export interface PipelineSubmitted {
  runId: string;
  clusterId: string;
  via: 'step' | 'ssh';
  job: PipelineJobId;
  /** The command on the master: spark-submit … */
  command: string[];
  /** Where the job's script was uploaded. */
  script: string;
}

export interface PipelineRunInfo {
  runId: string;
  name: string;
  via: 'step' | 'ssh';
  state: PipelineRunState;
  createdAt?: string;
  endedAt?: string;
}

/** What following a run gives, as it happens. */
export type PipelineRunChunk =
  | { kind: 'state'; state: PipelineRunState; reason?: string; logFile?: string }
  /** New text of the step's stdout or stderr (the tail first, when following starts late). */
  | { kind: 'log'; stream: 'stdout' | 'stderr'; text: string }
  /** A progress event the job printed (TRIBUTARY_EVENT {...}). */
  | { kind: 'event'; event: Record<string, unknown> }
  /** The job's final summary (TRIBUTARY_SUMMARY {...}): counts, version, partitions, rejects. */
  | { kind: 'summary'; summary: Record<string, unknown> }
  /** The Spark application and its UI: through the master's YARN proxy on EMR, or why there is none. */
  | { kind: 'sparkUi'; applicationId: string; url?: string; note?: string };

export interface S3Entry {
  key: string;
  size: number;
  lastModified?: string;
}

export interface S3Listing {
  bucket: string;
  prefix: string;
  /** Common prefixes ("folders") directly under the prefix, each ending with '/'. */
  prefixes: string[];
  objects: S3Entry[];
  /** Give it back for the next page. */
  nextToken?: string;
}

export interface ParquetColumnInfo {
  name: string;
  /** Parquet's physical type and annotation, e.g. INT64 TIMESTAMP(MICROS, UTC). */
  parquetType: string;
  /** The Redshift type COPY loads it into. */
  redshiftType: string;
  nullable: boolean;
}

export type S3Preview =
  | { kind: 'text'; key: string; size: number; contentType?: string; text: string; truncated: boolean; json: boolean }
  | {
      kind: 'parquet';
      key: string;
      size: number;
      rowCount: number;
      columns: ParquetColumnInfo[];
      gridColumns: ColumnMeta[];
      rows: Cell[][];
    }
  | { kind: 'binary'; key: string; size: number; contentType?: string };

export type TransferChunk = { kind: 'progress'; bytes: number; total?: number } | { kind: 'done'; bytes: number; location: string };

export interface TableFromParquet {
  /** The Parquet object the schema was read from. */
  source: string;
  columns: ParquetColumnInfo[];
  distKey?: string;
  sortKey?: string;
  /** Why those keys. */
  reasons: string[];
  ddl: string;
}

/** A Parquet table's size from its files' footers. */
export interface ParquetRows {
  files: number;
  bytes: number;
  rows: number;
  /** False when there were more files than were counted (the count is a lower bound). */
  complete: boolean;
}

/** One load as the warehouse recorded it (SYS_LOAD_HISTORY), whoever ran it: this app, psql, a scheduled script. */
export interface LoadHistoryEntry {
  queryId: string;
  /** running, completed or aborted, as Redshift words it. */
  status: string;
  table: string;
  database?: string;
  /** ISO 8601, UTC. */
  startTime: string;
  endTime?: string;
  rows: number;
  errors: number;
  /** The COPY's source (s3://…). */
  source?: string;
  format?: string;
  /** The first of its load errors (sys_load_error_detail), for a load that has any. */
  error?: string;
}

/** One line raw_to_parquet set aside, as its rejects folder holds it. */
export interface RejectedLine {
  /** The reason category: truncated, bad_time, control_chars, … (spark/README.md). */
  reason: string;
  line: string;
  sourceFile: string;
}

/** A Firehose delivery stream as the Pipeline view shows it, beside the Spark path. */
export interface FirehoseFacts {
  name: string;
  /** DeliveryStreamStatus: CREATING, ACTIVE, DELETING, … */
  status: string;
  source: 'DirectPut' | 'KinesisStreamAsSource';
  /** The Kinesis stream read, for KinesisStreamAsSource. */
  sourceStream?: string;
  destination: 's3' | 'redshift';
  bucket?: string;
  /** The Redshift table COPY loads, for a Redshift destination. */
  table?: string;
  /** The metrics' window, minutes. */
  minutes: number;
  /** AWS/Firehose over the window: IncomingRecords, DeliveryToS3.Records, DeliveryToRedshift.Records (sums). */
  incomingRecords: number;
  deliveredToS3: number;
  deliveredToRedshift: number;
  /** Delivery attempts that failed over the window (DeliveryToS3.Success or DeliveryToRedshift.Success below 1). */
  failedToS3: number;
  failedToRedshift: number;
  /** DeliveryToS3.DataFreshness, the newest minute's maximum: how old the oldest record not yet in S3 is. */
  lagSeconds?: number;
  /** The start of the newest minute with a failed delivery, ISO 8601. */
  lastFailureAt?: string;
  health: 'green' | 'amber' | 'red';
  reason: string;
}

export interface CopyPreview {
  sql: string;
}

export type CopyOutcome =
  | { ok: true; sql: string; rowsLoaded?: number; messages: string[]; created: boolean }
  | {
      ok: false;
      sql: string;
      error: string;
      messages: string[];
      created: boolean;
      /** sys_load_error_detail (or stl_load_errors) rows of this load: read them with results.rows, or take the first ones here. */
      loadErrors?: {
        resultId: string;
        source: 'sys_load_error_detail' | 'stl_load_errors';
        columns: ColumnMeta[];
        rows: Cell[][];
        total: number;
      };
    };

const copyFormat = z.enum(['parquet', 'csv', 'json']);

export const copySpecSchema = z
  .object({
    table: identifier,
    schema: schemaName.optional(),
    source: s3Uri,
    format: copyFormat.default('parquet'),
    iamRole,
    /** CSV only. */
    ignoreHeader: z.number().int().min(0).max(1000).optional(),
    delimiter: z
      .string()
      .length(1)
      .regex(/^[^'\\\n\r]$/)
      .optional(),
    /** Rows that may fail before the load does (Redshift's MAXERROR). */
    maxError: z.number().int().min(0).max(100_000).optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
      .optional(),
  })
  .strict();
export type CopySpec = z.output<typeof copySpecSchema>;

const none = z.object({}).strict();

export const pipeline = {
  assets: call<PipelineAssets>()({
    summary: 'The pipeline’s Spark jobs and SQL assets (Spark SQL and Redshift), with their placeholders.',
    input: none,
  }),
  submit: call<PipelineSubmitted>()({
    summary:
      'Upload a Spark job to the bucket and run it on an EMR cluster: as a step (command-runner.jar spark-submit) or with spark-submit over the open SSH session.',
    input: z.object({ clusterId, bucket, via: z.enum(['step', 'ssh']).default('step'), options: pipelineJobOptionsSchema }).strict(),
  }),
  runs: call<PipelineRunInfo[]>()({
    summary: 'The cluster’s recent steps and the spark-submit runs started over SSH.',
    input: z.object({ clusterId }).strict(),
  }),
  follow: stream<PipelineRunChunk>()({
    summary:
      'Follow a run: its state changes, stdout/stderr as they grow, the job’s events and summary, and the Spark UI link; ends when it does.',
    input: z.object({ clusterId, runId: pipelineRunIdSchema }).strict(),
  }),
  cancel: call<{ state: PipelineRunState | 'SUBMITTED'; message?: string }>()({
    summary: 'Cancel a run: CancelSteps for a step, closing the SSH command for spark-submit over SSH.',
    input: z.object({ clusterId, runId: pipelineRunIdSchema }).strict(),
  }),

  buckets: call<string[]>()({ summary: 'The buckets of the active environment.', input: none }),
  list: call<S3Listing>()({
    summary: 'One page of a bucket’s prefixes and objects (with sizes) directly under a prefix.',
    input: z
      .object({
        bucket,
        prefix: key.default(''),
        token: z.string().max(2048).optional(),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .strict(),
  }),
  preview: call<S3Preview>()({
    summary: 'A preview of one object: text or JSON (the first 64 KB), or Parquet (schema and the first 100 rows, read with ranged GETs).',
    input: z.object({ bucket, key: key.refine((k) => k.length > 0, 'Name an object') }).strict(),
  }),
  download: stream<TransferChunk>()({
    summary: 'Download an object to a local file, with progress.',
    input: z
      .object({ bucket, key: key.refine((k) => k.length > 0, 'Name an object'), path: fileRefSchema, overwrite: overwriteSchema })
      .strict(),
  }),
  upload: stream<TransferChunk>()({
    summary: 'Upload a local file to an object (multipart when large), with progress.',
    input: z.object({ bucket, key: key.refine((k) => k.length > 0 && !k.endsWith('/'), 'Name an object'), path: fileRefSchema }).strict(),
  }),

  rejects: call<RejectedLine[]>()({
    summary:
      'The first lines a raw_to_parquet run set aside (its rejects folder: JSON lines with line, source_file and reason), of one reason or any.',
    input: z
      .object({
        bucket,
        prefix: key.refine((k) => k.endsWith('/'), 'A folder (ending in /)'),
        reason: z
          .string()
          .regex(/^[a-z_]{1,40}$/, 'A reason category such as bad_time')
          .optional(),
        limit: z.number().int().min(1).max(200).default(20),
      })
      .strict(),
  }),
  parquetRows: call<ParquetRows>()({
    summary: 'The rows of every Parquet file under a prefix, read from the files’ footers (one ranged read each, up to 2,000 files).',
    input: z.object({ bucket, prefix: key }).strict(),
  }),
  tableFromParquet: call<TableFromParquet>()({
    summary: 'Read a Parquet object’s schema (its footer, by ranged GETs) and propose a Redshift CREATE TABLE with DISTKEY and SORTKEY.',
    input: z
      .object({
        source: s3Uri,
        table: identifier,
        schema: schemaName.optional(),
        distKey: identifier.optional(),
        sortKey: identifier.optional(),
      })
      .strict(),
  }),
  loads: call<LoadHistoryEntry[]>()({
    summary:
      'The newest loads the Redshift connection’s warehouse recorded in SYS_LOAD_HISTORY (rows, errors, source), whoever ran them; newest first.',
    input: z.object({ connectionId, limit: z.number().int().min(1).max(100).default(10) }).strict(),
  }),
  firehoseStreams: call<string[]>()({
    summary: 'The names of the active environment’s Firehose delivery streams, to pick the pipeline’s.',
    input: z.object({}).strict(),
  }),
  firehose: call<FirehoseFacts>()({
    summary:
      'A Firehose delivery stream’s source, destination and AWS/Firehose metrics over the last minutes: records in and delivered, delivery lag, failed deliveries.',
    input: z
      .object({
        deliveryStream: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'Not a Firehose stream name'),
        minutes: z.number().int().min(5).max(1440).default(15),
      })
      .strict(),
  }),
  copyPreview: call<CopyPreview>()({ summary: 'The COPY statement the wizard would run.', input: copySpecSchema }),
  copyRun: call<CopyOutcome>()({
    summary: 'Run the COPY (creating the table first, if DDL is given) on a Redshift connection; on failure, the load errors as a result.',
    input: copySpecSchema.extend({ connectionId, createTable: z.string().min(1).max(32_768).optional() }).strict(),
  }),
};
