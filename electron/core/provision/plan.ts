import type { S3Spec } from '../../../shared/contract/index.js';

/**
 * What the wizards send to AWS, built once and used by both the SDK calls and
 * the CLI preview, so the preview is exactly what runs.
 */

export const MANAGED_TAG = 'tributary:managed';
export const PIPELINE_TAG = 'tributary:pipeline';

export function managedTags(pipeline?: string): Record<string, string> {
  return { [MANAGED_TAG]: 'true', ...(pipeline ? { [PIPELINE_TAG]: pipeline } : {}) };
}

export const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** AWS's tag list as a record, the way the inventory reads tags. */
export const tagRecord = (tags: { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

export function bucketEncryption(spec: S3Spec) {
  const kms = spec.encryption.type === 'SSE-KMS';
  return {
    Rules: [
      {
        ApplyServerSideEncryptionByDefault: kms
          ? { SSEAlgorithm: 'aws:kms' as const, ...(spec.encryption.kmsKeyId ? { KMSMasterKeyID: spec.encryption.kmsKeyId } : {}) }
          : { SSEAlgorithm: 'AES256' as const },
        ...(kms ? { BucketKeyEnabled: spec.encryption.bucketKey } : {}),
      },
    ],
  };
}

export function bucketLifecycle(spec: S3Spec) {
  const rule = spec.rawLifecycle;
  if (!rule.enabled) return undefined;
  return {
    Rules: [
      {
        ID: 'tributary-raw',
        Filter: { Prefix: 'raw/' },
        Status: 'Enabled' as const,
        ...(rule.transitionToIaDays !== undefined
          ? { Transitions: [{ Days: rule.transitionToIaDays, StorageClass: 'STANDARD_IA' as const }] }
          : {}),
        Expiration: { Days: rule.expireDays },
        ...(spec.versioning ? { NoncurrentVersionExpiration: { NoncurrentDays: 30 } } : {}),
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      },
    ],
  };
}

/**
 * The pipeline's folders: raw/<table>/ for what the stream lands, curated/<table>/ for Parquet. The
 * curating job makes v<N>/dt=YYYY-MM-DD/ below it; an empty v1/ here would make its first version v2.
 */
export function layoutKeys(spec: S3Spec): string[] {
  if (!spec.layout.create) return [];
  return spec.layout.tables.flatMap((table) => [`raw/${table}/`, `curated/${table}/`]);
}

const trust = (service: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
});

export const REDSHIFT_TRUST = trust('redshift.amazonaws.com');
export const EMR_SERVICE_TRUST = trust('elasticmapreduce.amazonaws.com');
export const EC2_TRUST = trust('ec2.amazonaws.com');
export const FIREHOSE_TRUST = trust('firehose.amazonaws.com');

/** What `aws emr create-default-roles` creates: two roles with AWS managed policies, and the instance profile. */
export const EMR_DEFAULT_ROLES = {
  service: {
    name: 'EMR_DefaultRole',
    trust: EMR_SERVICE_TRUST,
    policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonElasticMapReduceRole',
  },
  instance: {
    name: 'EMR_EC2_DefaultRole',
    trust: EC2_TRUST,
    policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonElasticMapReduceforEC2Role',
  },
} as const;

/** Least privilege for COPY and UNLOAD on one bucket: read, write and list it, nothing else. */
export function copyUnloadPolicy(bucket: string, kmsKeyId?: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ListBucket', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: `arn:aws:s3:::${bucket}` },
      {
        Sid: 'ReadWriteObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
      ...(kmsKeyId
        ? [
            {
              Sid: 'UseBucketKey',
              Effect: 'Allow',
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Resource: kmsKeyId.startsWith('arn:') ? kmsKeyId : '*',
            },
          ]
        : []),
    ],
  };
}

/** What a Firehose stream's role needs: write (and list) its bucket, and read its Kinesis source when it has one. */
export function firehosePolicy(bucket: string, source?: { streamArn: string }) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DeliverToBucket',
        Effect: 'Allow',
        Action: [
          's3:AbortMultipartUpload',
          's3:GetBucketLocation',
          's3:GetObject',
          's3:ListBucket',
          's3:ListBucketMultipartUploads',
          's3:PutObject',
        ],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      },
      ...(source
        ? [
            {
              Sid: 'ReadSourceStream',
              Effect: 'Allow',
              Action: ['kinesis:DescribeStream', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards'],
              Resource: source.streamArn,
            },
          ]
        : []),
    ],
  };
}

/** The step that starts the Spark Thrift Server on the master (not started by default on EMR). */
export const THRIFT_STEP_ARGS = ['sudo', '/usr/lib/spark/sbin/start-thriftserver.sh'];
