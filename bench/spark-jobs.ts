import { DescribeStepCommand, EMRClient } from '@aws-sdk/client-emr';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { generatorFor } from '../electron/core/ingest/service.js';
import { sandboxClientConfig } from '../sandbox/client/constants.js';
import { contract, type InputOf, type PipelineJobOptions } from '../shared/contract/index.js';
import { startSandboxCluster } from '../tests/helpers/sandbox-cluster.js';
import { until } from '../tests/helpers/until.js';
import { numberArg, round } from './args.js';
import { benchSandbox } from './sandbox.js';

const SHARD_COUNTS = [1, 2, 4];

async function emptyPrefix(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  for (;;) {
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    if (!Contents.length) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: Contents.map((o) => ({ Key: o.Key! })) } }));
  }
}
const LINES_PER_OBJECT = 50_000;

/**
 * The pipeline's two Spark jobs on the sandbox's master (Spark in local[2]: two cores), submitted as EMR steps
 * through the app's core. `kinesis_to_s3`: a stream of 1, 2 and 4 shards is filled with `--records` (default
 * 80,000) generated records, then read to S3 with `--batch-size` records per shard per round (default 10,000,
 * GetRecords' largest Limit: each round's Spark job and each task cost a fixed time, which a bigger batch spreads
 * over more records); records/s over the job's active time (its summary's `activeSeconds`: from its first round to
 * its last batch, without Spark's start-up or the idle wait that ends it). The sandbox's Kinesis (moto, one request
 * at a time) is shared by the shards, so the gain from more shards is what their tasks do in parallel around it.
 * `raw_to_parquet`: `--lines` (default 1,000,000) generated lines in objects of 50,000 under raw/; rows/s over the
 * step's run time as EMR reports it (Spark's start-up included: the job reports no time of its own).
 * Options: `--data-dir DIR` (a sandbox already running).
 */
export async function runSparkJobsBench(args: string[]) {
  const records = numberArg(args, '--records', 80_000);
  const lines = numberArg(args, '--lines', 1_000_000);
  const batchSize = numberArg(args, '--batch-size', 10_000);
  const { run, core, stop } = await benchSandbox(args, 'spark-jobs');
  const config = sandboxClientConfig(run);
  const s3 = new S3Client(config);
  const kinesis = new KinesisClient(config);
  const emr = new EMRClient(config);
  const signal = new AbortController().signal;
  const tag = Date.now().toString(36);
  const bucket = `bench-spark-${tag}`;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const clusterId = await startSandboxCluster(run, bucket, { applications: ['Spark', 'Hive'], logUri: `s3://${bucket}/emr-logs/` });

    /** Runs a job as a step to its end: its summary, and how long EMR says the step ran. */
    const job = async (options: PipelineJobOptions, jobBucket = bucket) => {
      const { runId } = await core.handlers['pipeline.submit']({ clusterId, bucket: jobBucket, via: 'step', options }, { signal });
      let summary: Record<string, unknown> | undefined;
      let ended = '';
      for await (const chunk of core.handlers['pipeline.follow']({ clusterId, runId }, { signal })) {
        if (chunk.kind === 'summary') summary = chunk.summary;
        if (chunk.kind === 'state') ended = `${chunk.state}${chunk.reason ? `: ${chunk.reason}` : ''}`;
      }
      if (ended !== 'COMPLETED') throw new Error(`${options.job} ended ${ended}`);
      const timeline = (await emr.send(new DescribeStepCommand({ ClusterId: clusterId, StepId: runId }))).Step?.Status?.Timeline;
      if (!summary || !timeline?.StartDateTime || !timeline.EndDateTime) throw new Error(`${options.job} ended without a summary`);
      return { summary, stepSeconds: (timeline.EndDateTime.getTime() - timeline.StartDateTime.getTime()) / 1000 };
    };

    const kinesisRates: Record<string, number> = {};
    for (const shards of SHARD_COUNTS) {
      const stream = `${bucket}-${shards}`;
      await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
      await until(`stream ${stream} ACTIVE`, async () =>
        (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE'
          ? true
          : undefined,
      );
      const fill: InputOf<'ingest.start'> = {
        stream,
        source: { generator: { seed: shards } },
        recordsPerSecond: 1_000_000,
        total: records,
      };
      for await (const chunk of core.handlers['ingest.start'](contract['ingest.start'].input.parse(fill), { signal }))
        if (chunk.kind === 'done' && chunk.summary.acknowledged !== records)
          throw new Error(`${stream}: ${chunk.summary.acknowledged} acknowledged`);
      const { summary } = await job({ job: 'kinesis_to_s3', stream, batchSize, untilIdleSeconds: 3 });
      if (summary.records !== records) throw new Error(`kinesis_to_s3 wrote ${String(summary.records)} of ${records} records`);
      kinesisRates[shards] = Math.round(records / Number(summary.activeSeconds));
      console.log(
        `kinesis_to_s3, ${shards} shard(s): ${records} records in ${String(summary.activeSeconds)} s: ${kinesisRates[shards]} records/s`,
      );
      // The emulator keeps everything in memory and snapshots it every few seconds: each shard count starts from the same state.
      await kinesis.send(new DeleteStreamCommand({ StreamName: stream }));
      for (const prefix of ['raw/', 'checkpoints/']) await emptyPrefix(s3, bucket, prefix);
    }

    // raw_to_parquet reads every raw object of its bucket, so its lines are alone in one.
    const rawBucket = `${bucket}-raw`;
    await s3.send(new CreateBucketCommand({ Bucket: rawBucket }));
    const generator = generatorFor({ seed: 9, peakHourUtc: 14, diurnalAmplitude: 0.6 }, `bench${tag}`, 10_000);
    for (let at = 0; at < lines; at += LINES_PER_OBJECT) {
      const body = Array.from({ length: Math.min(LINES_PER_OBJECT, lines - at) }, () => generator.next().line).join('\n') + '\n';
      await s3.send(new PutObjectCommand({ Bucket: rawBucket, Key: `raw/access_logs/dt=bench/part-${at}.txt`, Body: body }));
    }
    const { summary, stepSeconds } = await job({ job: 'raw_to_parquet', table: `bench_access_logs_${tag}` }, rawBucket);
    if (summary.lines !== lines) throw new Error(`raw_to_parquet read ${String(summary.lines)} of ${lines} lines`);
    const rowsPerSecond = Math.round(lines / stepSeconds);
    console.log(
      `raw_to_parquet: ${lines} lines (${String(summary.rows)} rows curated) in ${round(stepSeconds)} s: ${rowsPerSecond} lines/s`,
    );

    return {
      bench: 'spark-jobs',
      records,
      batch_size: batchSize,
      lines,
      kinesis_to_s3_records_per_s: kinesisRates,
      kinesis_to_s3_speedup_4_vs_1: round(kinesisRates[4]! / kinesisRates[1]!, 2),
      raw_to_parquet_rows_per_s: rowsPerSecond,
      raw_to_parquet_seconds: round(stepSeconds),
    };
  } finally {
    s3.destroy();
    kinesis.destroy();
    emr.destroy();
    await stop();
  }
}
