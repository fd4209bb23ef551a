// Over ~400 lines on purpose: one sandbox, started once (its start is the cost), serves every case here.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EC2Client, DescribeKeyPairsCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import {
  AddJobFlowStepsCommand,
  CancelStepsCommand,
  DescribeClusterCommand,
  DescribeStepCommand,
  EMRClient,
  ListInstancesCommand,
  RunJobFlowCommand,
  TerminateJobFlowsCommand,
  type StepState,
} from '@aws-sdk/client-emr';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { CreateClusterCommand, DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pg from 'pg';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sandboxClientConfig } from '../../client/constants.js';
import { Logger } from '../../../shared/node/log.js';
import { SandboxManager } from '../../client/manager.js';
import { readRunFile } from '../../client/run-file.js';
import { checkoutDaemonCommand } from '../../client/daemon-command.js';
import { projectRoot } from '../../../tests/helpers/web-host-process.js';
import { connectMaster, exec, forward, hiveSession } from '../../../tests/sandbox/clients.js';
import { until } from '../../../tests/helpers/until.js';

const { run, dataDir } = inject('sandbox');
const config = sandboxClientConfig(run);
const s3 = new S3Client(config);
const BUCKET = 'tributary-sandbox-test';
const ROLE = 'arn:aws:iam::123456789012:role/TributaryRedshiftS3Role';

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(() => s3.destroy());

describe('the sandbox from the shell', () => {
  it('reports every service ok in `npm run sandbox -- status --json`', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'electron/cli/sandbox.ts', 'status', '--json', '--data-dir', dataDir],
      { cwd: projectRoot },
    );
    const status = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: boolean; services: Record<string, { ok: boolean; port: number }> };
    expect(status.ok).toBe(true);
    expect(Object.keys(status.services).sort()).toEqual(['aws', 'emr-ssh', 'gateway', 'metastore', 'postgres', 'redshift', 'spark-thrift']);
    expect(Object.values(status.services).every((s) => s.ok && s.port > 0)).toBe(true);
  });
});

describe('control planes through the one endpoint, with the ordinary SDK', () => {
  it('has an account with EMR roles, a key pair and a default VPC', async () => {
    const identity = await new STSClient(config).send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe('123456789012');
    const iam = new IAMClient(config);
    for (const role of ['EMR_DefaultRole', 'EMR_EC2_DefaultRole', 'TributaryRedshiftS3Role']) {
      expect((await iam.send(new GetRoleCommand({ RoleName: role }))).Role?.RoleName).toBe(role);
    }
    const ec2 = new EC2Client(config);
    expect((await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['tributary-sandbox'] }))).KeyPairs).toHaveLength(1);
    const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] }));
    expect(vpcs.Vpcs).toHaveLength(1);
    expect((await ec2.send(new DescribeSubnetsCommand({}))).Subnets?.length).toBeGreaterThan(0);
  });

  it('keeps S3 buckets with versioning, encryption, public access block and multipart uploads', async () => {
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: BUCKET,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      }),
    );
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: BUCKET,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration?.BlockPublicAcls).toBe(true);
    const key = 'raw/multipart.bin';
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ServerSideEncryption: 'AES256' }));
    const part = Buffer.alloc(5 * 2 ** 20, 7);
    const parts = [];
    for (let n = 1; n <= 2; n++) {
      const answer = await s3.send(
        new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId, PartNumber: n, Body: part }),
      );
      parts.push({ ETag: answer.ETag, PartNumber: n });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId, MultipartUpload: { Parts: parts } }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(10 * 2 ** 20);
    expect(head.ServerSideEncryption).toBe('AES256');
  });

  it('creates a Kinesis stream over real seconds and carries records from PutRecords to GetRecords', async () => {
    const kinesis = new KinesisClient(config);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'sandbox-test', ShardCount: 2 }));
    const states = new Set<string>();
    await until('ACTIVE stream', async () => {
      const state = String(
        (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'sandbox-test' }))).StreamDescriptionSummary?.StreamStatus,
      );
      states.add(state);
      return state === 'ACTIVE' ? true : undefined;
    });
    expect([...states]).toEqual(['CREATING', 'ACTIVE']);
    const records = Array.from({ length: 200 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`record-${i}`) }));
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: 'sandbox-test', Records: records }));
    expect(put.FailedRecordCount).toBe(0);
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: 'sandbox-test' }))).Shards ?? [];
    const seen: string[] = [];
    for (const shard of shards) {
      const iterator = await kinesis.send(
        new GetShardIteratorCommand({ StreamName: 'sandbox-test', ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator, Limit: 1000 }));
      seen.push(...(got.Records ?? []).map((r) => Buffer.from(r.Data!).toString()));
    }
    expect(seen.sort()).toEqual(records.map((r) => r.Data.toString()).sort());
  });
});

describe('EMR: a cluster whose master is the sandbox master', () => {
  const emr = new EMRClient(config);
  let clusterId = '';

  const stepState = async (stepId: string): Promise<StepState | undefined> =>
    (await emr.send(new DescribeStepCommand({ ClusterId: clusterId, StepId: stepId }))).Step?.Status?.State;
  const settled = (stepId: string) =>
    until(
      `step ${stepId} to finish`,
      async () => {
        const state = await stepState(stepId);
        return state === 'COMPLETED' || state === 'FAILED' || state === 'CANCELLED' ? state : undefined;
      },
      240_000,
    );

  it('goes STARTING → BOOTSTRAPPING → WAITING and names the master', async () => {
    const created = await emr.send(
      new RunJobFlowCommand({
        Name: 'sandbox-test',
        ReleaseLabel: 'emr-7.5.0',
        Applications: [{ Name: 'Spark' }, { Name: 'Hive' }],
        Instances: {
          KeepJobFlowAliveWhenNoSteps: true,
          InstanceCount: 2,
          MasterInstanceType: 'm5.xlarge',
          SlaveInstanceType: 'm5.xlarge',
          Ec2KeyName: 'tributary-sandbox',
        },
        JobFlowRole: 'EMR_EC2_DefaultRole',
        ServiceRole: 'EMR_DefaultRole',
      }),
    );
    clusterId = created.JobFlowId!;
    const seen = new Set<string>();
    const cluster = await until('WAITING cluster', async () => {
      const c = (await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }))).Cluster!;
      seen.add(c.Status!.State!);
      return c.Status!.State === 'WAITING' ? c : undefined;
    });
    expect([...seen]).toEqual(['STARTING', 'BOOTSTRAPPING', 'WAITING']);
    expect(cluster.MasterPublicDnsName).toBe(run.master.host);
    const instances = await emr.send(new ListInstancesCommand({ ClusterId: clusterId }));
    expect(instances.Instances?.[0]?.PublicDnsName).toBe(run.master.host);
  });

  it('runs a spark-submit step for real: COMPLETED, and its output is in S3', async () => {
    const script =
      "from pyspark.sql import SparkSession\ns = SparkSession.builder.getOrCreate()\ns.range(1000).write.mode('overwrite').parquet('s3://" +
      BUCKET +
      "/curated/range/')\n";
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'jobs/range.py', Body: script }));
    const { StepIds } = await emr.send(
      new AddJobFlowStepsCommand({
        JobFlowId: clusterId,
        Steps: [
          {
            Name: 'range',
            ActionOnFailure: 'CONTINUE',
            HadoopJarStep: {
              Jar: 'command-runner.jar',
              Args: [
                'bash',
                '-c',
                `python -c "import boto3; boto3.client('s3').download_file('${BUCKET}', 'jobs/range.py', 'range.py')" && spark-submit range.py`,
              ],
            },
          },
        ],
      }),
    );
    const stepId = StepIds![0]!;
    expect(await stepState(stepId)).toMatch(/PENDING|RUNNING/);
    expect(await settled(stepId)).toBe('COMPLETED');
  });

  it('reports a failing step as FAILED with its exit status, and cancels a running one', async () => {
    const { StepIds } = await emr.send(
      new AddJobFlowStepsCommand({
        JobFlowId: clusterId,
        Steps: [
          {
            Name: 'broken',
            ActionOnFailure: 'CONTINUE',
            HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit', '/nonexistent/job.py'] },
          },
          { Name: 'slow', ActionOnFailure: 'CONTINUE', HadoopJarStep: { Jar: 'command-runner.jar', Args: ['sleep', '300'] } },
        ],
      }),
    );
    const [broken, slow] = StepIds as [string, string];
    expect(await settled(broken)).toBe('FAILED');
    const failure = (await emr.send(new DescribeStepCommand({ ClusterId: clusterId, StepId: broken }))).Step?.Status?.FailureDetails;
    expect(failure?.Reason).toMatch(/^Exit status [1-9]/);
    await until('slow step running', async () => ((await stepState(slow)) === 'RUNNING' ? true : undefined));
    const cancelled = await emr.send(new CancelStepsCommand({ ClusterId: clusterId, StepIds: [slow] }));
    expect(cancelled.CancelStepsInfoList?.[0]?.Status).toBe('SUBMITTED');
    expect(await settled(slow)).toBe('CANCELLED');
  });

  it('terminates through TERMINATING', async () => {
    await emr.send(new TerminateJobFlowsCommand({ JobFlowIds: [clusterId] }));
    expect((await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }))).Cluster?.Status?.State).toBe('TERMINATING');
    await until('TERMINATED', async () =>
      (await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }))).Cluster?.Status?.State === 'TERMINATED' ? true : undefined,
    );
  });
});

describe('the master over SSH, Spark SQL over Thrift through the tunnel, and Redshift', () => {
  it('logs in as hadoop with the key pair, verifying the published host key', async () => {
    const ssh = await connectMaster(run);
    const answer = await exec(ssh, 'echo "$USER"; command -v spark-sql spark-submit');
    expect(answer.code).toBe(0);
    expect(answer.stdout.split('\n')[0]).toBe('hadoop');
    expect(answer.stdout).toMatch(/spark-sql\n.*spark-submit/);
    ssh.end();
  });

  it('refuses a key that is not the key pair', async () => {
    const other = ssh2.utils.generateKeyPairSync('ed25519').private;
    await expect(connectMaster(run, other)).rejects.toThrow(/authentication/i);
  });

  it('reads an external table on s3:// with Spark SQL over HiveServer2 through an SSH tunnel, then loads Spark’s Parquet into Redshift with COPY', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `${i},/path/${i % 7},${200 + (i % 3) * 100}`).join('\n');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'raw/hits/part-0.csv', Body: `${lines}\n` }));
    const ssh = await connectMaster(run);
    const tunnel = await forward(ssh, run.master.thriftPort);
    const spark = await hiveSession(tunnel.port, run.master.thriftPassword);
    try {
      await spark.query('DROP TABLE IF EXISTS hits_raw');
      await spark.query(
        `CREATE EXTERNAL TABLE hits_raw (id INT, path STRING, status INT) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://${BUCKET}/raw/hits/'`,
      );
      expect(await spark.query('SELECT count(*) AS n, sum(status) AS total FROM hits_raw')).toEqual([
        { n: 500, total: lines.split('\n').reduce((sum, line) => sum + Number(line.split(',')[2]), 0) },
      ]);
      await spark.query('DROP TABLE IF EXISTS hits_curated');
      await spark.query(
        `CREATE TABLE hits_curated USING parquet LOCATION 's3://${BUCKET}/curated/hits/' AS SELECT CAST(id AS BIGINT) AS id, path, status FROM hits_raw WHERE status <> 300`,
      );
      const [{ n: sparkCount }] = (await spark.query('SELECT count(*) AS n FROM hits_curated')) as [{ n: number }];
      expect(sparkCount).toBeGreaterThan(300);

      const redshift = new RedshiftClient(config);
      await redshift.send(
        new CreateClusterCommand({
          ClusterIdentifier: 'sandbox-test',
          NodeType: 'ra3.xlplus',
          ClusterType: 'single-node',
          MasterUsername: 'awsuser',
          MasterUserPassword: 'Sandbox-Passw0rd',
          DBName: 'analytics',
          PubliclyAccessible: false,
          Encrypted: true,
        }),
      );
      const states = new Set<string>();
      const cluster = await until('available cluster', async () => {
        const c = (await redshift.send(new DescribeClustersCommand({ ClusterIdentifier: 'sandbox-test' }))).Clusters?.[0];
        states.add(String(c?.ClusterStatus));
        return c?.ClusterStatus === 'available' ? c : undefined;
      });
      expect([...states]).toEqual(['creating', 'available']);
      const db = new pg.Client({
        host: cluster.Endpoint!.Address!,
        port: cluster.Endpoint!.Port!,
        user: 'awsuser',
        password: 'Sandbox-Passw0rd',
        database: 'analytics',
      });
      await db.connect();
      try {
        await db.query(
          'CREATE TABLE hits (id BIGINT ENCODE az64, path VARCHAR(256) ENCODE zstd, status SMALLINT) DISTSTYLE KEY DISTKEY (path) COMPOUND SORTKEY (id)',
        );
        await db.query(`COPY hits FROM 's3://${BUCKET}/curated/hits/' IAM_ROLE '${ROLE}' FORMAT AS PARQUET`).catch(async (error: Error) => {
          const detail = await db.query(
            'SELECT file_name, line_number, column_name, error_message FROM sys_load_error_detail ORDER BY start_time DESC LIMIT 3',
          );
          throw new Error(`${error.message}\n${JSON.stringify(detail.rows)}`);
        });
        expect((await db.query('SELECT count(*)::int AS n FROM hits')).rows[0].n).toBe(sparkCount);
      } finally {
        await db.end();
      }
    } finally {
      await spark.close();
      tunnel.server.close();
      ssh.end();
    }
  });

  it('answers the Redshift Data API for real, with paged results', async () => {
    const data = new RedshiftDataClient(config);
    const { Id } = await data.send(
      new ExecuteStatementCommand({
        ClusterIdentifier: 'sandbox-test',
        Database: 'analytics',
        DbUser: 'awsuser',
        Sql: 'SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 2500) g ORDER BY g',
      }),
    );
    const described = await until('FINISHED statement', async () => {
      const d = await data.send(new DescribeStatementCommand({ Id }));
      if (d.Status === 'FAILED') throw new Error(d.Error);
      return d.Status === 'FINISHED' ? d : undefined;
    });
    expect(described.ResultRows).toBe(2500);
    let token: string | undefined;
    let total = 0;
    let pages = 0;
    do {
      const page = await data.send(new GetStatementResultCommand({ Id, NextToken: token }));
      for (const record of page.Records ?? []) total += Number(record[0]?.longValue);
      token = page.NextToken;
      pages++;
    } while (token);
    expect(pages).toBeGreaterThan(1);
    expect(total).toBe((2500 * 2501) / 2);
  });
});

describe('state that outlives a restart', () => {
  it('keeps objects, streams, the metastore and Redshift tables across stop and start', async () => {
    const manager = new SandboxManager(
      dataDir,
      { ...checkoutDaemonCommand(), env: { TRIBUTARY_SANDBOX_PACE: '0.3' } },
      new Logger(undefined),
    );
    // A change is on disk a few seconds after it is made, even if the process were killed.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect((await manager.stop()).state).toBe('stopped');
    for await (const progress of manager.start(new AbortController().signal)) {
      if (progress.kind === 'status') expect(progress.status.state).toBe('running');
    }
    const again = readRunFile(manager.paths.runFile)!;
    const s3Again = new S3Client(sandboxClientConfig(again));
    const body = (await s3Again.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'raw/hits/part-0.csv' }))).Body!;
    expect((await body.transformToString()).split('\n')[0]).toBe('0,/path/0,200');
    const summary = await new KinesisClient(sandboxClientConfig(again)).send(
      new DescribeStreamSummaryCommand({ StreamName: 'sandbox-test' }),
    );
    expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(2);
    const ssh = await connectMaster(again);
    const tunnel = await forward(ssh, again.master.thriftPort);
    const spark = await hiveSession(tunnel.port, again.master.thriftPassword);
    try {
      expect(await spark.query('SELECT count(*) AS n FROM hits_raw')).toEqual([{ n: 500 }]);
    } finally {
      await spark.close();
      tunnel.server.close();
      ssh.end();
    }
    const db = new pg.Client({
      host: again.redshift.host,
      port: again.redshift.port,
      user: 'awsuser',
      password: 'Sandbox-Passw0rd',
      database: 'analytics',
    });
    await db.connect();
    try {
      expect((await db.query('SELECT count(*)::int AS n FROM hits')).rows[0].n).toBeGreaterThan(300);
    } finally {
      await db.end();
    }
    s3Again.destroy();
  });
});
