import type { DeliveryStreamDescription, RedshiftDestinationDescription } from '@aws-sdk/client-firehose';

/** What the worker needs of a delivery stream, read from the emulator's DescribeDeliveryStream. */
export interface DeliveryConfig {
  name: string;
  version: string;
  type: 'DirectPut' | 'KinesisStreamAsSource';
  /** KinesisStreamAsSource: the source stream's name. */
  sourceStream?: string;
  bucket: string;
  prefix?: string;
  errorOutputPrefix?: string;
  bufferBytes: number;
  bufferMs: number;
  gzip: boolean;
  redshift?: RedshiftTarget;
}

export interface RedshiftTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  roleArn: string;
  table: string;
  columns?: string;
  copyOptions?: string;
  retryMs: number;
}

/** AWS's defaults when BufferingHints are absent: 5 MiB or 300 seconds, whichever comes first. */
const DEFAULT_SIZE_MB = 5;
const DEFAULT_INTERVAL_S = 300;
/** RetryOptions.DurationInSeconds' default: an hour. */
const DEFAULT_RETRY_S = 3600;

/** The configuration of a described stream's one destination (S3, extended S3, or Redshift through S3 staging). */
export function deliveryConfig(description: DeliveryStreamDescription): DeliveryConfig {
  const destination = description.Destinations?.[0];
  const redshift = destination?.RedshiftDestinationDescription;
  const s3 = redshift?.S3DestinationDescription ?? destination?.ExtendedS3DestinationDescription ?? destination?.S3DestinationDescription;
  const hints = s3?.BufferingHints;
  const sourceArn = description.Source?.KinesisStreamSourceDescription?.KinesisStreamARN;
  return {
    name: description.DeliveryStreamName!,
    version: description.VersionId ?? '1',
    type: description.DeliveryStreamType === 'KinesisStreamAsSource' ? 'KinesisStreamAsSource' : 'DirectPut',
    ...(sourceArn ? { sourceStream: sourceArn.slice(sourceArn.lastIndexOf('/') + 1) } : {}),
    bucket: (s3?.BucketARN ?? '').replace(/^arn:[^:]+:s3:::/, ''),
    ...(s3?.Prefix ? { prefix: s3.Prefix } : {}),
    ...(s3?.ErrorOutputPrefix ? { errorOutputPrefix: s3.ErrorOutputPrefix } : {}),
    bufferBytes: (hints?.SizeInMBs ?? DEFAULT_SIZE_MB) * 2 ** 20,
    bufferMs: (hints?.IntervalInSeconds ?? DEFAULT_INTERVAL_S) * 1000,
    gzip: s3?.CompressionFormat === 'GZIP',
    ...(redshift ? { redshift: redshiftTarget(redshift) } : {}),
  };
}

/** ClusterJDBCURL names the cluster's endpoint as `jdbc:redshift://host:port/database`. */
function redshiftTarget(description: RedshiftDestinationDescription): RedshiftTarget {
  const url = /^jdbc:redshift:\/\/([^:/]+):(\d+)\/([^?;]+)/.exec(description.ClusterJDBCURL ?? '');
  const copy = description.CopyCommand;
  return {
    host: url?.[1] ?? '',
    port: Number(url?.[2] ?? 0),
    database: url?.[3] ?? '',
    user: description.Username ?? '',
    roleArn: description.RoleARN ?? '',
    table: copy?.DataTableName ?? '',
    ...(copy?.DataTableColumns ? { columns: copy.DataTableColumns } : {}),
    ...(copy?.CopyOptions ? { copyOptions: copy.CopyOptions } : {}),
    retryMs: (description.RetryOptions?.DurationInSeconds ?? DEFAULT_RETRY_S) * 1000,
  };
}

/**
 * The COPY Firehose issues for a batch of delivered objects: the stream's table and columns, the manifest listing
 * the objects, the role, MANIFEST, then the stream's CopyOptions as given.
 */
export function copyStatement(target: RedshiftTarget, manifestUrl: string): string {
  const columns = target.columns ? ` (${target.columns})` : '';
  const options = target.copyOptions ? ` ${target.copyOptions}` : '';
  const role = target.roleArn.replace(/'/g, "''");
  return `COPY ${target.table}${columns} FROM '${manifestUrl.replace(/'/g, "''")}' CREDENTIALS 'aws_iam_role=${role}' MANIFEST${options}`;
}
