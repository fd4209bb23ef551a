import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AddJobFlowStepsCommand, DescribeStepCommand, EMRClient, ListStepsCommand } from '@aws-sdk/client-emr';
import { KinesisClient, ListStreamsCommand, CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { DescribeStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import type { BuildHandlerArguments, FinalizeHandler, MetadataBearer, SourceData } from '@smithy/types';
import pg from 'pg';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { sandboxClientConfig } from '../../../sandbox/client/constants.js';
import { readRunFile, type RunFile } from '../../../sandbox/client/run-file.js';
import { startSandboxCluster } from '../../helpers/sandbox-cluster.js';
import { until } from '../../helpers/until.js';
import { hiveSession } from '../../sandbox/clients.js';

/**
 * Item 4 of the security model: the sandbox is locked like an AWS account. Its endpoint takes only requests
 * signed with the run's keys, addressed to its own loopback name; its Thrift Server takes only the run's password.
 */
// Read when this file runs, not at setup: sandbox.test.ts restarts the sandbox on new ports, with new keys.
const run: RunFile = readRunFile(join(inject('sandbox').dataDir, 'sandbox', 'run.json'))!;
/** The sandbox's fixed credentials before it was locked: public, in the README. */
const OLD_PUBLIC = { accessKeyId: 'AKIASANDBOX000000000', secretAccessKey: 'tributary-sandbox' };
const BUCKET = 'sandbox-locked';
const dir = mkdtempSync(join(tmpdir(), 'sandbox-locked-'));
const config = (credentials = run.credentials) => ({ ...sandboxClientConfig({ endpoint: run.endpoint, credentials }), maxAttempts: 1 });
let clusterId: string;

const bashStep = (name: string, command: string) => ({
  Name: name,
  ActionOnFailure: 'CONTINUE' as const,
  HadoopJarStep: { Jar: 'command-runner.jar', Args: ['bash', '-c', command] },
});

/** What the SDK raised: the AWS error code it parsed from the answer, and the HTTP status. */
async function refusal(request: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  const error = (await request.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!error) throw new Error('the request was not refused');
  return { name: error.name, status: error.$metadata?.httpStatusCode };
}

/** Sends the client's requests with another Host header, signed as such: what a DNS-rebinding page's browser sends. */
function withHost<C extends KinesisClient | S3Client>(client: C, host: string): C {
  (client as KinesisClient).middlewareStack.addRelativeTo(
    (next: FinalizeHandler<object, MetadataBearer>) => (args: BuildHandlerArguments<object>) => {
      (args.request as { headers: Record<string, string> }).headers.host = host;
      return next(args);
    },
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'foreignHost' },
  );
  return client;
}

/** A presigned S3 GET as the SDK's presigner makes one (its payload hash hoisted into the query), to fetch without the SDK. */
async function presignedGet(key: string): Promise<URL> {
  const url = new URL(run.endpoint);
  class Sha256 {
    private readonly hash;
    constructor(secret?: SourceData) {
      this.hash = secret ? createHmac('sha256', secret as Uint8Array | string) : createHash('sha256');
    }
    update(data: SourceData) {
      this.hash.update(data as Uint8Array | string);
    }
    digest() {
      return Promise.resolve(new Uint8Array(this.hash.digest()));
    }
  }
  const signer = new SignatureV4({
    credentials: run.credentials,
    region: 'us-east-1',
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: `/${BUCKET}/${key}`,
      query: {},
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    { expiresIn: 300 },
  );
  const presigned = new URL(`${run.endpoint}/${BUCKET}/${key}`);
  for (const [name, value] of Object.entries(signed.query ?? {})) presigned.searchParams.set(name, String(value));
  return presigned;
}

beforeAll(async () => {
  clusterId = await startSandboxCluster(run, 'sandbox-locked');
  await new S3Client(config()).send(new CreateBucketCommand({ Bucket: BUCKET }));
});

describe('the sandbox AWS endpoint', () => {
  it('runs no EMR step from an unsigned request, a wrongly signed one, one signed with the old public keys, or one sent around the gateway', async () => {
    const marker = join(dir, 'unsigned-ran');
    const steps = { JobFlowId: clusterId, Steps: [bashStep('intruder', `touch ${marker}`)] };

    const unsigned = await fetch(`${run.endpoint}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'ElasticMapReduce.AddJobFlowSteps' },
      body: JSON.stringify(steps),
    });
    expect(unsigned.status).toBe(403);
    expect(((await unsigned.json()) as { __type: string }).__type).toBe('MissingAuthenticationTokenException');

    const oldKeys = new EMRClient(config(OLD_PUBLIC));
    expect(await refusal(oldKeys.send(new AddJobFlowStepsCommand(steps)))).toEqual({ name: 'UnrecognizedClientException', status: 403 });
    const wrongSecret = new EMRClient(config({ accessKeyId: run.credentials.accessKeyId, secretAccessKey: OLD_PUBLIC.secretAccessKey }));
    expect(await refusal(wrongSecret.send(new AddJobFlowStepsCommand(steps)))).toEqual({ name: 'InvalidSignatureException', status: 403 });

    // A signed step after them: once it has run, any step the cluster had taken before it would have run too.
    // Nor straight to the emulator behind the gateway, which checks no signature: it needs the run's upstream token.
    const moto = run.services.find((service) => service.id === 'aws')!;
    const direct = new EMRClient({ ...config(), endpoint: `http://127.0.0.1:${moto.port}` });
    expect(await refusal(direct.send(new AddJobFlowStepsCommand(steps)))).toMatchObject({ status: 403 });

    const emr = new EMRClient(config());
    const signedMarker = join(dir, 'signed-ran');
    const { StepIds } = await emr.send(
      new AddJobFlowStepsCommand({ JobFlowId: clusterId, Steps: [bashStep('operator', `touch ${signedMarker}`)] }),
    );
    await until('the signed step to finish', async () => {
      const state = (await emr.send(new DescribeStepCommand({ ClusterId: clusterId, StepId: StepIds![0] }))).Step?.Status?.State;
      return state === 'COMPLETED' || state === 'FAILED';
    });
    const listed = (await emr.send(new ListStepsCommand({ ClusterId: clusterId }))).Steps ?? [];
    expect(listed.map((step) => step.Name)).toEqual(['operator']);
    expect(existsSync(signedMarker)).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses an unsigned body too large to be a request (413), without reading it whole, and keeps serving', async () => {
    const before = await fetch(`${run.endpoint}/`, { method: 'POST', body: 'x' });
    expect(before.status).toBe(403);
    const flood = await fetch(`${run.endpoint}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'Kinesis_20131202.ListStreams' },
      body: Buffer.alloc(20 * 1024 * 1024, 0x20),
    }).catch((error: unknown) => error as Error);
    // The gateway answers 413 and closes; a client still sending may see the connection end instead. Read whole
    // first (as before the bound), the body would have been answered 403 for its missing signature.
    expect(flood instanceof Error ? 'closed' : String(flood.status)).toMatch(/^(413|closed)$/);
    expect((await new KinesisClient(config()).send(new ListStreamsCommand({}))).StreamNames).toBeDefined();
  });

  it('refuses a Host other than its own loopback name, even signed with the run keys', async () => {
    const port = new URL(run.endpoint).port;
    for (const host of [`rebind.example:${port}`, `localhost.rebind.example:${port}`, `127.0.0.2:${port}`]) {
      const kinesis = withHost(new KinesisClient(config()), host);
      expect(await refusal(kinesis.send(new ListStreamsCommand({})))).toEqual({ name: 'AccessDeniedException', status: 403 });
    }
    const s3 = withHost(new S3Client(config()), `rebind.example:${port}`);
    expect(await refusal(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'none' })))).toMatchObject({ status: 403 });
    const localhost = withHost(new KinesisClient(config()), `localhost:${port}`);
    expect((await localhost.send(new ListStreamsCommand({}))).StreamNames).toBeDefined();
  });

  it('still serves the SDK signing with the run keys: Kinesis, S3 (streamed and multipart uploads, presigned URLs), EMR, Redshift', async () => {
    const kinesis = new KinesisClient(config());
    await kinesis.send(new CreateStreamCommand({ StreamName: 'sandbox-locked', ShardCount: 1 }));
    expect(
      (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'sandbox-locked' }))).StreamDescriptionSummary?.OpenShardCount,
    ).toBe(1);

    const s3 = new S3Client(config());
    const text = 'signed, streamed\n'.repeat(1000);
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'streamed.txt', Body: Readable.from([Buffer.from(text)]), ContentLength: text.length }),
    );
    expect(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streamed.txt' }))).Body!.transformToString()).toBe(text);
    const part = Buffer.alloc(5 * 2 ** 20, 'x');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'multipart.bin' }));
    const parts = [];
    for (const [index, body] of [part, Buffer.from('tail')].entries()) {
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket: BUCKET, Key: 'multipart.bin', UploadId, PartNumber: index + 1, Body: body }),
      );
      parts.push({ ETag, PartNumber: index + 1 });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'multipart.bin', UploadId, MultipartUpload: { Parts: parts } }),
    );
    const whole = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'multipart.bin' }))).Body!.transformToByteArray();
    expect(whole.length).toBe(part.length + 4);
    const presigned = await presignedGet('streamed.txt');
    expect(await (await fetch(presigned)).text()).toBe(text);
    presigned.searchParams.set('X-Amz-Expires', '3000');
    const tampered = await fetch(presigned);
    expect([tampered.status, /<Code>(\w+)<\/Code>/.exec(await tampered.text())?.[1]]).toEqual([403, 'SignatureDoesNotMatch']);

    expect((await new EMRClient(config()).send(new ListStepsCommand({ ClusterId: clusterId }))).Steps).toBeDefined();
    expect((await new RedshiftClient(config()).send(new DescribeClustersCommand({}))).Clusters).toBeDefined();
    // The Data API stand-in answers for itself: an unknown statement, past the signature check.
    const dataApi = new RedshiftDataClient(config());
    expect(await refusal(dataApi.send(new DescribeStatementCommand({ Id: '00000000-0000-0000-0000-000000000000' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(await refusal(new RedshiftDataClient(config(OLD_PUBLIC)).send(new DescribeStatementCommand({ Id: 'x' })))).toEqual({
      name: 'UnrecognizedClientException',
      status: 403,
    });
    expect(await refusal(new S3Client(config(OLD_PUBLIC)).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streamed.txt' })))).toEqual({
      name: 'InvalidAccessKeyId',
      status: 403,
    });
  });
});

describe('the sandbox databases', () => {
  it('the Spark Thrift Server refuses a wrong password and takes the run one', async () => {
    await expect(hiveSession(run.master.thriftPort, 'tributary')).rejects.toThrow();
    const spark = await hiveSession(run.master.thriftPort, run.master.thriftPassword);
    try {
      expect(await spark.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await spark.close();
    }
  });

  it('the Redshift stand-in takes only its admin password', async () => {
    const login = (password: string) =>
      new pg.Client({ host: run.redshift.host, port: run.redshift.port, user: run.redshift.adminUser, password, database: 'dev' });
    await expect(login('tributary').connect()).rejects.toThrow();
    const admin = login(run.redshift.adminPassword);
    await admin.connect();
    try {
      expect((await admin.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
    }
  });
});
