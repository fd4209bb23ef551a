import { describe, expect, it } from 'vitest';
import { explainAwsError } from '../../electron/core/aws/errors.js';
import { derivePipeline } from '../../electron/core/provision/pipeline.js';
import { finalSnapshotName, generatePassword } from '../../electron/core/provision/redshift.js';
import {
  bucketNameProblem,
  pipelineSpecSchema,
  prefixProblem,
  provisionSpecSchema,
  redshiftDatabaseProblem,
  redshiftIdentifierProblem,
  redshiftPasswordProblem,
  redshiftUserProblem,
  streamNameProblem,
} from '../../shared/contract/index.js';

/** The issues a wizard would show under each field, as the renderer gets them from safeParse. */
function issues(input: unknown): Record<string, string> {
  const parsed = provisionSpecSchema.safeParse(input);
  return parsed.success ? {} : Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message]));
}

describe('AWS’s naming rules, with the reason', () => {
  it('S3 bucket names', () => {
    for (const ok of ['abc', 'my-bucket.logs', 'a'.repeat(63), '123bucket']) expect([ok, bucketNameProblem(ok)]).toEqual([ok, undefined]);
    const bad: [string, RegExp][] = [
      ['ab', /3 to 63/],
      ['a'.repeat(64), /3 to 63/],
      ['MyBucket', /uppercase/],
      ['my_bucket', /lowercase letters, digits, dots/],
      ['-bucket', /begins and ends/],
      ['bucket-', /begins and ends/],
      ['my..bucket', /two dots/],
      ['my.-bucket', /dot next to a hyphen/],
      ['192.168.5.4', /IP address/],
      ['xn--bucket', /xn--/],
      ['sthree-bucket', /sthree-/],
      ['bucket-s3alias', /-s3alias/],
      ['bucket--ol-s3', /--ol-s3/],
      ['bucket--x-s3', /--x-s3/],
    ];
    for (const [name, reason] of bad) expect([name, bucketNameProblem(name)]).toEqual([name, expect.stringMatching(reason)]);
  });

  it('Kinesis stream names, Redshift identifiers, databases, users and passwords', () => {
    expect(streamNameProblem('Access_Log.Stream-1')).toBeUndefined();
    expect(streamNameProblem('')).toMatch(/1 to 128/);
    expect(streamNameProblem('a'.repeat(129))).toMatch(/1 to 128/);
    expect(streamNameProblem('has space')).toMatch(/only letters/);

    expect(redshiftIdentifierProblem('tributary-wh1')).toBeUndefined();
    expect(redshiftIdentifierProblem('1abc')).toMatch(/starts with a letter/);
    expect(redshiftIdentifierProblem('Abc')).toMatch(/uppercase/);
    expect(redshiftIdentifierProblem('a--b')).toMatch(/two hyphens/);
    expect(redshiftIdentifierProblem('ab-')).toMatch(/end with a hyphen/);
    expect(redshiftIdentifierProblem('a'.repeat(64))).toMatch(/1 to 63/);
    expect(redshiftIdentifierProblem('a_b')).toMatch(/lowercase letters, digits and hyphens/);

    expect(redshiftDatabaseProblem('dev')).toBeUndefined();
    expect(redshiftDatabaseProblem('test-storage')).toMatch(/only lowercase letters, digits/);
    expect(redshiftDatabaseProblem('select')).toMatch(/reserves/);
    expect(redshiftUserProblem('awsuser')).toBeUndefined();
    expect(redshiftUserProblem('public')).toMatch(/reserves/);
    expect(redshiftUserProblem('1user')).toMatch(/starts with a letter/);

    expect(redshiftPasswordProblem('Abcdefg1')).toBeUndefined();
    expect(redshiftPasswordProblem('Abc1')).toMatch(/8 to 64/);
    expect(redshiftPasswordProblem('abcdefg1')).toMatch(/uppercase/);
    expect(redshiftPasswordProblem('Abcdefg1@')).toMatch(/cannot hold/);
    expect(redshiftPasswordProblem('Abcd efg1')).toMatch(/without spaces/);
    expect(prefixProblem('acme')).toBeUndefined();
    expect(prefixProblem('Acme')).toMatch(/lowercase/);
    expect(prefixProblem('ac')).toMatch(/3 to 20/);
  });

  it('generates Redshift passwords that meet the rules and differ', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const password = generatePassword();
      expect(redshiftPasswordProblem(password)).toBeUndefined();
      expect(password).toHaveLength(32);
      seen.add(password);
    }
    expect(seen.size).toBe(500);
    expect(redshiftIdentifierProblem(finalSnapshotName('a'.repeat(63), new Date('2025-06-01T10:20:00Z')))).toBeUndefined();
    expect(finalSnapshotName('wh', new Date('2025-06-01T10:20:00Z'))).toBe('wh-final-202506011020');
  });
});

describe('each wizard field gets its own message as the operator types', () => {
  it('names, counts, ports and combinations', () => {
    expect(issues({ kind: 'kinesis', name: 'bad name', shardCount: 0, retentionHours: 10 })).toEqual({
      name: expect.stringMatching(/only letters/),
      shardCount: 'At least 1 shard',
      retentionHours: 'Kinesis keeps records at least 24 hours',
    });
    expect(issues({ kind: 'kinesis', name: 's', shardCount: 501 }).shardCount).toMatch(/At most 500 shards/);
    expect(issues({ kind: 'kinesis', name: 's', shardCount: 1.5 }).shardCount).toBe('A whole number of shards');
    expect(issues({ kind: 's3', name: '192.168.1.1' })).toEqual({ name: expect.stringMatching(/IP address/) });
    expect(
      issues({
        kind: 'emr',
        name: 'c',
        keyPair: { mode: 'existing', name: 'k' },
        instances: { mode: 'uniform', count: 0 },
        applications: [],
        startThriftServer: true,
      }),
    ).toMatchObject({
      'instances.count': expect.stringMatching(/At least 1/),
      applications: 'Pick at least one application',
    });
    expect(
      issues({ kind: 'emr', name: 'c', keyPair: { mode: 'existing', name: 'k' }, applications: ['Hive'], startThriftServer: true }),
    ).toEqual({ startThriftServer: expect.stringMatching(/needs Spark/) });
    expect(issues({ kind: 'emr', name: 'c' })).toHaveProperty('keyPair');
    expect(issues({ kind: 'redshift', identifier: 'wh', nodeType: 'ra3.4xlarge', nodeCount: 1, port: 5500 })).toEqual({
      nodeCount: 'ra3.4xlarge takes 2 to 32 nodes.',
      port: expect.stringMatching(/5431–5455 or 8191–8215/),
    });
    expect(issues({ kind: 'redshift', identifier: 'wh', nodeType: 'dc2.large', port: 8192 })).toEqual({});
    expect(issues({ kind: 'redshift', identifier: 'Test', database: 'test-storage' })).toEqual({
      identifier: expect.stringMatching(/uppercase/),
      database: expect.stringMatching(/only lowercase/),
    });
  });

  it('fills every field the operator left out with the safe default', () => {
    const redshift = provisionSpecSchema.parse({ kind: 'redshift', identifier: 'wh' });
    expect(redshift).toMatchObject({
      publiclyAccessible: false,
      encrypted: true,
      password: 'generate',
      port: 5439,
      nodeCount: 1,
      database: 'dev',
    });
    const s3 = provisionSpecSchema.parse({ kind: 's3', name: 'bucket' });
    expect(s3).toMatchObject({
      versioning: true,
      blockPublicAccess: true,
      encryption: { type: 'SSE-S3' },
      rawLifecycle: { enabled: false },
    });
    expect(provisionSpecSchema.parse({ kind: 'kinesis', name: 's' })).toMatchObject({
      encryption: { enabled: true, kmsKeyId: 'alias/aws/kinesis' },
      retentionHours: 24,
    });
  });

  it('derives a whole pipeline from one prefix', () => {
    const specs = derivePipeline(pipelineSpecSchema.parse({ kind: 'pipeline', prefix: 'acme' }), {
      region: 'eu-west-1',
      sandbox: false,
      accountId: '123456789012',
    });
    expect(specs.kinesis.name).toBe('acme-events');
    expect(specs.s3.name).toBe('acme-123456789012-eu-west-1');
    expect(specs.emr).toMatchObject({
      name: 'acme-emr',
      keyPair: { mode: 'create', name: 'acme-key' },
      logUri: 's3://acme-123456789012-eu-west-1/emr-logs/',
      startThriftServer: true,
      pipeline: 'acme',
    });
    expect(specs.redshift).toMatchObject({
      identifier: 'acme-warehouse',
      iamRole: { mode: 'create', name: 'acme-redshift-copy', bucket: 'acme-123456789012-eu-west-1' },
      publiclyAccessible: false,
    });
    expect(
      derivePipeline(pipelineSpecSchema.parse({ kind: 'pipeline', prefix: 'acme' }), { region: 'us-east-1', sandbox: true }).emr.keyPair,
    ).toEqual({ mode: 'existing', name: 'tributary-sandbox' });
  });
});

describe('AWS errors, one clear message each', () => {
  const sdkError = (name: string, message: string, attempts = 1, status = 400) =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, attempts } });

  it('throttling says how often it retried', () => {
    const e = explainAwsError(sdkError('ThrottlingException', 'Rate exceeded', 5), 'elasticmapreduce:RunJobFlow', 'creating EMR cluster c');
    expect(e.failure).toMatchObject({ reason: 'throttled', awsCode: 'ThrottlingException', action: 'elasticmapreduce:RunJobFlow' });
    expect(e.message).toMatch(/AWS is throttling elasticmapreduce:RunJobFlow .*retried 4 times/);
    expect(e.toAppError().code).toBe('UNAVAILABLE');
  });

  it('limits, existing names, access denied', () => {
    expect(
      explainAwsError(sdkError('LimitExceededException', 'shard limit of 200 reached'), 'kinesis:CreateStream', 'creating stream s').failure
        .reason,
    ).toBe('limit');
    expect(
      explainAwsError(sdkError('LimitExceededException', 'Rate exceeded for stream s'), 'kinesis:CreateStream', 'creating stream s').failure
        .reason,
    ).toBe('throttled');
    const exists = explainAwsError(
      sdkError('ResourceInUseException', 'Stream s under account 1 already exists.'),
      'kinesis:CreateStream',
      'creating stream s',
    );
    expect(exists.message).toMatch(/^Stream s already exists/);
    const taken = explainAwsError(sdkError('BucketAlreadyExists', 'taken', 1, 409), 's3:CreateBucket', 'creating bucket b');
    expect(taken.message).toMatch(/taken by another AWS account/);
    const denied = explainAwsError(
      sdkError('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized', 1, 403),
      'redshift:CreateCluster',
      'creating Redshift cluster wh',
    );
    expect(denied.failure.reason).toBe('access-denied');
    expect(denied.message).toMatch(/Allow "redshift:CreateCluster" in an IAM policy/);
  });
});
