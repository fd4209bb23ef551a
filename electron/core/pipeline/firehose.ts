import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { recentMetricData } from '../aws/metric-data.js';
import { DescribeDeliveryStreamCommand, ListDeliveryStreamsCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import type { FirehoseFacts } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';

/** Firehose publishes its metrics per minute. */
const PERIOD_SECONDS = 60;
/**
 * Delivery lag past which the stage needs attention, and past which it is failing: the largest buffering interval
 * (900 s) plus a delivery, and an hour (the default Redshift retry duration, after which data is skipped).
 */
export const FIREHOSE_LAG_AMBER_SECONDS = 960;
export const FIREHOSE_LAG_RED_SECONDS = 3600;

type Metric =
  | 'IncomingRecords'
  | 'DeliveryToS3.Records'
  | 'DeliveryToRedshift.Records'
  | 'DeliveryToS3.Success'
  | 'DeliveryToRedshift.Success'
  | 'DeliveryToS3.DataFreshness';

const query = (id: string, stream: string, metric: Metric, stat: 'Sum' | 'Maximum' | 'SampleCount'): MetricDataQuery => ({
  Id: id,
  MetricStat: {
    Metric: { Namespace: 'AWS/Firehose', MetricName: metric, Dimensions: [{ Name: 'DeliveryStreamName', Value: stream }] },
    Period: PERIOD_SECONDS,
    Stat: stat,
  },
  ReturnData: true,
});

/** Every delivery stream's name, page after page. */
export async function firehoseStreamNames(firehose: FirehoseClient, signal: AbortSignal): Promise<string[]> {
  const names: string[] = [];
  for (let page = 0; page < 20; page++) {
    const start = names.at(-1);
    const answer = await firehose.send(
      new ListDeliveryStreamsCommand({ Limit: 100, ...(start ? { ExclusiveStartDeliveryStreamName: start } : {}) }),
      { abortSignal: signal },
    );
    names.push(...(answer.DeliveryStreamNames ?? []));
    if (!answer.HasMoreDeliveryStreams) break;
  }
  return names;
}

/** The delivery stream's configuration and its AWS/Firehose metrics over the last minutes, with the stage's verdict. */
export async function firehoseFacts(
  firehose: FirehoseClient,
  cloudwatch: CloudWatchClient,
  stream: string,
  minutes: number,
  signal: AbortSignal,
  now = new Date(),
): Promise<FirehoseFacts> {
  const described = await firehose
    .send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: stream }), { abortSignal: signal })
    .catch((error: unknown) => {
      if ((error as { name?: string }).name === 'ResourceNotFoundException')
        throw new AppError('NOT_FOUND', `Firehose stream ${stream} does not exist in this environment.`);
      throw error;
    });
  const description = described.DeliveryStreamDescription!;
  const destination = description.Destinations?.[0];
  const redshift = destination?.RedshiftDestinationDescription;
  const s3 = redshift?.S3DestinationDescription ?? destination?.ExtendedS3DestinationDescription ?? destination?.S3DestinationDescription;
  const sourceArn = description.Source?.KinesisStreamSourceDescription?.KinesisStreamARN;

  const results = await recentMetricData(
    cloudwatch,
    [
      query('incoming', stream, 'IncomingRecords', 'Sum'),
      query('s3Records', stream, 'DeliveryToS3.Records', 'Sum'),
      query('redshiftRecords', stream, 'DeliveryToRedshift.Records', 'Sum'),
      query('s3Ok', stream, 'DeliveryToS3.Success', 'Sum'),
      query('s3Tries', stream, 'DeliveryToS3.Success', 'SampleCount'),
      query('redshiftOk', stream, 'DeliveryToRedshift.Success', 'Sum'),
      query('redshiftTries', stream, 'DeliveryToRedshift.Success', 'SampleCount'),
      query('freshness', stream, 'DeliveryToS3.DataFreshness', 'Maximum'),
    ],
    minutes,
    signal,
    now,
  );

  const series = (id: string) => {
    const result = results.find((r) => r.Id === id);
    return (result?.Timestamps ?? []).map((at, i) => ({ at: at.getTime(), value: result?.Values?.[i] ?? 0 }));
  };
  const sum = (id: string) => series(id).reduce((total, point) => total + point.value, 0);
  // Success is 1 per delivery that worked and 0 per one that failed: attempts minus successes are failures, per minute.
  const failures = (ok: string, tries: string) => {
    const succeeded = new Map(series(ok).map((point) => [point.at, point.value]));
    return series(tries)
      .map((point) => ({ at: point.at, failed: Math.round(point.value - (succeeded.get(point.at) ?? 0)) }))
      .filter((point) => point.failed > 0);
  };
  const failedS3 = failures('s3Ok', 's3Tries');
  const failedRedshift = failures('redshiftOk', 'redshiftTries');
  const lastFailure = Math.max(0, ...[...failedS3, ...failedRedshift].map((point) => point.at));
  const lag = series('freshness').at(-1)?.value;

  const facts: Omit<FirehoseFacts, 'health' | 'reason'> = {
    name: stream,
    status: description.DeliveryStreamStatus ?? 'UNKNOWN',
    source: description.DeliveryStreamType === 'KinesisStreamAsSource' ? 'KinesisStreamAsSource' : 'DirectPut',
    ...(sourceArn ? { sourceStream: sourceArn.slice(sourceArn.lastIndexOf('/') + 1) } : {}),
    destination: redshift ? 'redshift' : 's3',
    ...(s3?.BucketARN ? { bucket: s3.BucketARN.replace(/^arn:[^:]+:s3:::/, '') } : {}),
    ...(redshift?.CopyCommand?.DataTableName ? { table: redshift.CopyCommand.DataTableName } : {}),
    minutes,
    incomingRecords: sum('incoming'),
    deliveredToS3: sum('s3Records'),
    deliveredToRedshift: sum('redshiftRecords'),
    failedToS3: failedS3.reduce((total, point) => total + point.failed, 0),
    failedToRedshift: failedRedshift.reduce((total, point) => total + point.failed, 0),
    ...(lag !== undefined ? { lagSeconds: lag } : {}),
    ...(lastFailure > 0 ? { lastFailureAt: new Date(lastFailure).toISOString() } : {}),
  };
  return { ...facts, ...firehoseVerdict(facts) };
}

/** Red on any failed delivery in the window (Redshift skips a batch only after its retries), or a stream not ACTIVE. */
export function firehoseVerdict(facts: Omit<FirehoseFacts, 'health' | 'reason'>): Pick<FirehoseFacts, 'health' | 'reason'> {
  if (facts.status === 'CREATING') return { health: 'amber', reason: 'Delivery stream is CREATING' };
  if (facts.status !== 'ACTIVE') return { health: 'red', reason: `Delivery stream is ${facts.status}` };
  const plural = (n: number) => `${n} failed deliver${n === 1 ? 'y' : 'ies'}`;
  if (facts.failedToRedshift > 0)
    return { health: 'red', reason: `${plural(facts.failedToRedshift)} to Redshift${facts.table ? ` (${facts.table})` : ''}` };
  if (facts.failedToS3 > 0) return { health: 'red', reason: `${plural(facts.failedToS3)} to S3` };
  const lag = facts.lagSeconds ?? 0;
  if (lag >= FIREHOSE_LAG_RED_SECONDS) return { health: 'red', reason: `Delivery ${Math.round(lag / 60)} min behind` };
  if (lag >= FIREHOSE_LAG_AMBER_SECONDS) return { health: 'amber', reason: `Delivery ${Math.round(lag / 60)} min behind` };
  if (facts.incomingRecords === 0) return { health: 'green', reason: 'Active, no records in the window' };
  return { health: 'green', reason: facts.destination === 'redshift' ? 'Delivering to S3 and Redshift' : 'Delivering to S3' };
}
