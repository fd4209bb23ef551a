import { describe, expect, it } from 'vitest';
import { cliPreview, MASK, shellQuote } from '../../electron/core/provision/cli-preview.js';
import {
  emrSpecSchema,
  kinesisSpecSchema,
  redshiftSpecSchema,
  resourceSpecSchema,
  s3SpecSchema,
  type ResourceSpecInput,
} from '../../shared/contract/index.js';

const ctx = { region: 'eu-west-1' };
const lines = (spec: ResourceSpecInput, region = 'eu-west-1') => cliPreview([resourceSpecSchema.parse(spec)], { region }).commands;

describe('the CLI preview uses the AWS CLI’s own commands and parameter names', () => {
  it('Kinesis: create-stream with --shard-count, or --stream-mode-details for on-demand; retention and KMS encryption', () => {
    const provisioned = lines({ kind: 'kinesis', name: 'x', shardCount: 2, retentionHours: 48 });
    expect(provisioned[0]).toBe('aws kinesis create-stream --stream-name x --shard-count 2 --region eu-west-1');
    expect(provisioned).toContain('aws kinesis wait stream-exists --stream-name x --region eu-west-1');
    expect(provisioned).toContain('aws kinesis add-tags-to-stream --stream-name x --tags tributary:managed=true --region eu-west-1');
    expect(provisioned).toContain(
      'aws kinesis increase-stream-retention-period --stream-name x --retention-period-hours 48 --region eu-west-1',
    );
    expect(provisioned).toContain(
      'aws kinesis start-stream-encryption --stream-name x --encryption-type KMS --key-id alias/aws/kinesis --region eu-west-1',
    );
    const onDemand = lines({ kind: 'kinesis', name: 'x', mode: 'on-demand', encryption: { enabled: false } });
    expect(onDemand[0]).toBe('aws kinesis create-stream --stream-name x --stream-mode-details StreamMode=ON_DEMAND --region eu-west-1');
    expect(onDemand.join('\n')).not.toMatch(/start-stream-encryption|retention/);
  });

  it('S3: create-bucket with LocationConstraint outside us-east-1, Block Public Access, default encryption, versioning, folders', () => {
    const s3 = lines({ kind: 's3', name: 'bkt', region: 'eu-west-1', pipeline: 'acme' });
    expect(s3[0]).toBe(
      'aws s3api create-bucket --bucket bkt --create-bucket-configuration LocationConstraint=eu-west-1 --region eu-west-1',
    );
    expect(s3).toContain(
      'aws s3api put-public-access-block --bucket bkt --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true --region eu-west-1',
    );
    expect(s3).toContain(
      `aws s3api put-bucket-encryption --bucket bkt --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}' --region eu-west-1`,
    );
    expect(s3).toContain('aws s3api put-bucket-versioning --bucket bkt --versioning-configuration Status=Enabled --region eu-west-1');
    expect(s3).toContain(
      `aws s3api put-bucket-tagging --bucket bkt --tagging '{"TagSet":[{"Key":"tributary:managed","Value":"true"},{"Key":"tributary:pipeline","Value":"acme"}]}' --region eu-west-1`,
    );
    expect(s3).toContain('aws s3api put-object --bucket bkt --key raw/access_logs/ --region eu-west-1');
    expect(s3).toContain('aws s3api put-object --bucket bkt --key curated/access_logs/ --region eu-west-1');
    expect(lines({ kind: 's3', name: 'bkt' }, 'us-east-1')[0]).toBe('aws s3api create-bucket --bucket bkt --region us-east-1');
    const kms = lines({
      kind: 's3',
      name: 'bkt',
      encryption: { type: 'SSE-KMS', kmsKeyId: 'alias/data' },
      rawLifecycle: { enabled: true, transitionToIaDays: 30, expireDays: 90 },
    });
    expect(kms.join('\n')).toContain('"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"alias/data"},"BucketKeyEnabled":true');
    expect(kms.join('\n')).toMatch(
      /put-bucket-lifecycle-configuration --bucket bkt --lifecycle-configuration '\{"Rules":\[\{"ID":"tributary-raw","Filter":\{"Prefix":"raw\/"\}/,
    );
  });

  it('EMR: create-cluster as the seed typed it, with the safe defaults added', () => {
    const emr = lines({
      kind: 'emr',
      name: 'test cluster',
      releaseLabel: 'emr-7.9.0',
      keyPair: { mode: 'existing', name: 'k' },
      subnetId: 'subnet-0123abcd',
      logUri: 's3://bkt/emr-logs/',
      createDefaultRoles: false,
    });
    expect(emr[0]).toBe(
      "aws emr create-cluster --name 'test cluster' --release-label emr-7.9.0 --applications Name=Spark Name=Hive --instance-type m5.xlarge --instance-count 2 --use-default-roles --ec2-attributes KeyName=k,SubnetId=subnet-0123abcd --log-uri s3://bkt/emr-logs/ --auto-termination-policy IdleTimeout=3600 --tags tributary:managed=true --region eu-west-1",
    );
    const created = lines({
      kind: 'emr',
      name: 'c',
      keyPair: { mode: 'create', name: 'new-key' },
      startThriftServer: true,
      applications: ['Spark', 'Hive', 'Livy'],
      instances: { mode: 'groups', master: { instanceType: 'm5.xlarge' }, core: { instanceType: 'r5.xlarge', count: 3 } },
    });
    expect(created[0]).toBe('aws emr create-default-roles --region eu-west-1');
    expect(created[1]).toBe(
      'aws ec2 create-key-pair --key-name new-key --key-type rsa --key-format pem --query KeyMaterial --output text --region eu-west-1 > new-key.pem && chmod 600 new-key.pem',
    );
    expect(created[2]).toContain('--applications Name=Spark Name=Hive Name=Livy');
    expect(created[2]).toContain(
      '--instance-groups InstanceGroupType=MASTER,InstanceType=m5.xlarge,InstanceCount=1 InstanceGroupType=CORE,InstanceType=r5.xlarge,InstanceCount=3',
    );
    expect(created[2]).toContain(
      "--steps 'Type=CUSTOM_JAR,Name=Start Spark Thrift Server,ActionOnFailure=CONTINUE,Jar=command-runner.jar,Args=[sudo,/usr/lib/spark/sbin/start-thriftserver.sh]'",
    );
  });

  it('Redshift: create-cluster never shows the password, is private and encrypted, and names its COPY role', () => {
    const spec = redshiftSpecSchema.parse({
      kind: 'redshift',
      identifier: 'wh',
      iamRole: { mode: 'create', name: 'copy-role', bucket: 'bkt' },
    });
    const { commands, cli } = cliPreview([spec], { region: 'eu-west-1', accountId: '123456789012' });
    const create = commands.find((c) => c.startsWith('aws redshift create-cluster'))!;
    expect(create).toBe(
      `aws redshift create-cluster --cluster-identifier wh --db-name dev --node-type ra3.large --cluster-type single-node --master-username awsuser --master-user-password '${MASK}' --port 5439 --no-publicly-accessible --encrypted --iam-roles arn:aws:iam::123456789012:role/copy-role --tags Key=tributary:managed,Value=true --region eu-west-1`,
    );
    expect(commands).toContain(
      `aws iam create-role --role-name copy-role --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"redshift.amazonaws.com"},"Action":"sts:AssumeRole"}]}' --tags Key=tributary:managed,Value=true --region eu-west-1`,
    );
    const policy = commands.find((c) => c.startsWith('aws iam put-role-policy'))!;
    expect(policy).toContain('"Resource":"arn:aws:s3:::bkt"');
    expect(policy).toContain('"Resource":"arn:aws:s3:::bkt/*"');
    expect(policy).not.toContain('"s3:*"');
    expect(cli).toContain("--master-user-password '****' \\\n");
    const managed = cliPreview(
      [
        redshiftSpecSchema.parse({
          kind: 'redshift',
          identifier: 'wh',
          password: 'managed',
          nodeType: 'ra3.4xlarge',
          nodeCount: 2,
          publiclyAccessible: true,
        }),
      ],
      ctx,
    ).commands[0]!;
    expect(managed).toContain('--cluster-type multi-node --number-of-nodes 2');
    expect(managed).toContain('--manage-master-password');
    expect(managed).toContain('--publicly-accessible');
    expect(managed).not.toContain('--master-user-password');
  });

  it('quotes for a POSIX shell', () => {
    expect(shellQuote('plain-value_1.2')).toBe('plain-value_1.2');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'");
    // Schemas the preview is built from are the contract's own.
    expect(kinesisSpecSchema.parse({ kind: 'kinesis', name: 'a' }).shardCount).toBe(1);
    expect(s3SpecSchema.parse({ kind: 's3', name: 'abc' }).versioning).toBe(true);
    expect(emrSpecSchema.parse({ kind: 'emr', name: 'a', keyPair: { mode: 'existing', name: 'k' } }).autoTermination).toEqual({
      enabled: true,
      idleMinutes: 60,
    });
  });
});
