import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { TableFromParquet } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { AwsAccess } from '../aws/clients.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import type { Logger } from '../../../shared/node/log.js';
import type { FileAccess } from '../storage/file-access.js';
import { loadAssets } from './assets.js';
import { copyStatement, runCopy, type SqlRunner } from './copy.js';
import { firehoseFacts, firehoseStreamNames } from './firehose.js';
import { PipelineJobs, type JobSessions } from './jobs.js';
import { loadHistory, type LookupEngines } from './loads.js';
import { parquetRows } from './parquet-rows.js';
import { createTableDdl, sampleParquet, suggestKeys } from './parquet-schema.js';
import { S3Browser, s3Buffer, s3Error } from './s3-browser.js';

export interface PipelineDeps {
  aws: AwsAccess;
  sessions: JobSessions;
  /** The workbench: COPY and its load errors run as queries do. */
  workbench: SqlRunner;
  /** The workbench's connections, for look-ups that are not the operator's queries. */
  engines: LookupEngines;
  /** Where uploads are read from and downloads written. */
  files: FileAccess;
  log: Logger;
}

/** The pipeline's backend: Spark jobs on EMR, the SQL assets, the COPY wizard and the S3 browser. */
export class PipelineService {
  readonly jobs: PipelineJobs;
  private readonly browser: S3Browser;

  constructor(private readonly deps: PipelineDeps) {
    this.jobs = new PipelineJobs({
      aws: deps.aws,
      sessions: deps.sessions,
      log: deps.log,
    });
    this.browser = new S3Browser(deps.aws, deps.files);
  }

  private async withS3<T>(use: (s3: S3Client) => Promise<T>): Promise<T> {
    return (await this.deps.aws.aws()).use(S3Client, use);
  }

  /** The schema of a Parquet object (or of the first Parquet object under a prefix) and a CREATE TABLE for it. */
  async tableFromParquet(
    input: { source: string; table: string; schema?: string; distKey?: string; sortKey?: string },
    signal: AbortSignal,
  ): Promise<TableFromParquet> {
    return this.withS3(async (s3) => {
      const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(input.source)!;
      const bucket = match[1]!;
      let key = match[2]!;
      let size: number | undefined;
      if (!key || key.endsWith('/') || !/\.parquet$/i.test(key)) {
        // A prefix: the first Parquet object under it, as COPY would read it (markers and dot-files skipped).
        let found: { key: string; size: number } | undefined;
        for (let token: string | undefined, pages = 0; !found && pages < 20; pages++) {
          const page = await s3
            .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }), { abortSignal: signal })
            .catch((error: unknown) => {
              throw s3Error(error, input.source);
            });
          const hit = (page.Contents ?? []).find(
            (o) => o.Key && (o.Size ?? 0) > 0 && !/(^|\/)[_.][^/]*$/.test(o.Key) && !o.Key.endsWith('/'),
          );
          if (hit) found = { key: hit.Key!, size: hit.Size ?? 0 };
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
          if (!token) break;
        }
        if (!found) throw new AppError('NOT_FOUND', `No Parquet object under ${input.source}`);
        key = found.key;
        size = found.size;
      }
      if (size === undefined) {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }).catch((error: unknown) => {
          throw s3Error(error, input.source);
        });
        size = head.ContentLength ?? 0;
      }
      const sample = await sampleParquet(s3Buffer(s3, bucket, key, size, signal), 1000).catch((error: unknown) => {
        if (error instanceof AppError) throw error;
        throw new AppError(
          'UNAVAILABLE',
          `s3://${bucket}/${key} is not readable as Parquet: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      const suggested = suggestKeys(sample.columns);
      const names = new Set(sample.columns.map((c) => c.name));
      for (const [what, name] of [
        ['DISTKEY', input.distKey],
        ['SORTKEY', input.sortKey],
      ] as const) {
        if (name && !names.has(name))
          throw new AppError('NOT_FOUND', `${what} ${name} is not a column of the file (${[...names].join(', ')})`);
      }
      const distKey = input.distKey ?? suggested.distKey;
      const sortKey = input.sortKey ?? suggested.sortKey;
      return {
        source: `s3://${bucket}/${key}`,
        columns: sample.columns,
        ...(distKey ? { distKey } : {}),
        ...(sortKey ? { sortKey } : {}),
        reasons: input.distKey || input.sortKey ? ['Keys as chosen.', ...suggested.reasons] : suggested.reasons,
        ddl: createTableDdl(
          input.table,
          sample.columns,
          { ...(distKey ? { distKey } : {}), ...(sortKey ? { sortKey } : {}) },
          input.schema,
        ),
      };
    });
  }

  handlers(): HandlerGroup {
    return {
      'pipeline.assets': () => loadAssets(),
      'pipeline.submit': (input, { signal }) => this.jobs.submit(input, signal),
      'pipeline.runs': ({ clusterId }, { signal }) => this.jobs.runs(clusterId, signal),
      'pipeline.follow': ({ clusterId, runId }, { signal }) => this.jobs.follow(clusterId, runId, signal),
      'pipeline.cancel': ({ clusterId, runId }, { signal }) => this.jobs.cancel(clusterId, runId, signal),
      'pipeline.buckets': (_input, { signal }) => this.browser.buckets(signal),
      'pipeline.list': (input, { signal }) => this.browser.list(input, signal),
      'pipeline.preview': ({ bucket, key }, { signal }) => this.browser.preview(bucket, key, signal),
      'pipeline.rejects': (input, { signal }) => this.browser.rejects(input, signal),
      'pipeline.download': ({ bucket, key, path, overwrite }, { signal }) => this.browser.download(bucket, key, path, overwrite, signal),
      'pipeline.upload': ({ bucket, key, path }, { signal }) => this.browser.upload(bucket, key, path, signal),
      'pipeline.parquetRows': ({ bucket, prefix }, { signal }) => this.withS3((s3) => parquetRows(s3, bucket, prefix, signal)),
      'pipeline.tableFromParquet': (input, { signal }) => this.tableFromParquet(input, signal),
      'pipeline.loads': ({ connectionId, limit }, { signal }) => loadHistory(this.deps.engines, connectionId, limit, signal),
      'pipeline.firehoseStreams': async (_input, { signal }) =>
        (await this.deps.aws.aws()).use(FirehoseClient, (firehose) => firehoseStreamNames(firehose, signal)),
      'pipeline.firehose': async ({ deliveryStream, minutes }, { signal }) => {
        const aws = await this.deps.aws.aws();
        return aws.use(FirehoseClient, (firehose) =>
          aws.use(CloudWatchClient, (cloudwatch) => firehoseFacts(firehose, cloudwatch, deliveryStream, minutes, signal)),
        );
      },
      'pipeline.copyPreview': (input) => ({ sql: copyStatement(input) }),
      'pipeline.copyRun': (input, { signal }) => runCopy(this.deps.workbench, input, signal),
    };
  }

  dispose(): void {
    this.jobs.dispose();
  }
}
