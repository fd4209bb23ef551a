import { readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readRunFile } from '../../sandbox/client/run-file.js';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { sandboxClientConfig } from '../../sandbox/client/constants.js';
import { faultTokenPath, setGatewayFaults, type FaultRule } from '../../sandbox/client/faults.js';
import { contract, type InputOf, type InventoryDeleteChunk, type ProvisionChunk, type RunChunk } from '../../shared/contract/index.js';
import { tempDir, testCore } from '../helpers/core.js';

const { dataDir } = inject('sandbox');
// Read when this file runs, not at setup: sandbox.test.ts restarts the sandbox on new ports.
const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
const signal = new AbortController().signal;
let core: Core;
let appDir: string;
let faultToken: string;

const faults = (rules: FaultRule[]) => setGatewayFaults(run.endpoint, faultToken, rules);

async function create(spec: InputOf<'provision.create'>['spec']): Promise<ProvisionChunk[]> {
  const chunks: ProvisionChunk[] = [];
  for await (const chunk of core.handlers['provision.create'](contract['provision.create'].input.parse({ spec }), { signal }))
    chunks.push(chunk);
  return chunks;
}

async function pipeline(spec: InputOf<'provision.pipeline'>['spec']): Promise<ProvisionChunk[]> {
  const chunks: ProvisionChunk[] = [];
  for await (const chunk of core.handlers['provision.pipeline'](contract['provision.pipeline'].input.parse({ spec }), { signal }))
    chunks.push(chunk);
  return chunks;
}

async function cleanup(runId: string): Promise<ProvisionChunk[]> {
  const chunks: ProvisionChunk[] = [];
  for await (const chunk of core.handlers['provision.cleanup']({ runId }, { signal })) chunks.push(chunk);
  return chunks;
}

async function remove(input: InputOf<'inventory.delete'>): Promise<InventoryDeleteChunk[]> {
  const chunks: InventoryDeleteChunk[] = [];
  for await (const chunk of core.handlers['inventory.delete'](contract['inventory.delete'].input.parse(input), { signal }))
    chunks.push(chunk);
  return chunks;
}

const inventory = () => core.handlers['inventory.list']({ includeUntagged: true }, { signal });
const last = <T>(chunks: T[]) => chunks[chunks.length - 1]!;
const done = (chunks: ProvisionChunk[]) => {
  const end = last(chunks);
  if (end.kind !== 'done') throw new Error(`run did not finish: ${JSON.stringify(end)}`);
  return end;
};
const failed = (chunks: ProvisionChunk[]) => {
  const end = last(chunks);
  if (end.kind !== 'failed') throw new Error(`run did not fail: ${JSON.stringify(end)}`);
  return end;
};
const awsStates = (chunks: ProvisionChunk[]) => chunks.flatMap((c) => (c.kind === 'step' && c.awsState ? [c.awsState] : []));

async function selectOne(connectionId: string): Promise<RunChunk[]> {
  const chunks: RunChunk[] = [];
  for await (const chunk of core.handlers['queries.run'](
    { connectionId, sql: 'SELECT 1 AS one', origin: { line: 1, column: 1 } },
    { signal },
  ))
    chunks.push(chunk);
  return chunks;
}

beforeAll(async () => {
  appDir = tempDir('tributary-provision-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  faultToken = readFileSync(faultTokenPath(join(dataDir, 'sandbox', 'state')), 'utf8').trim();
});

afterEach(async () => {
  await faults([]);
});

afterAll(async () => {
  await faults([]).catch(() => undefined);
  await core?.dispose();
});

describe('each wizard, end to end against the sandbox, through the core', () => {
  it('Kinesis: created with progress until ACTIVE, encrypted, seen in the inventory with its cost, deleted only after its name is typed', async () => {
    const chunks = await create({ kind: 'kinesis', name: 'prov-stream', shardCount: 1, retentionHours: 48 });
    expect(chunks[0]).toMatchObject({ kind: 'started', runId: expect.stringMatching(/^p-/) });
    expect(awsStates(chunks)).toContain('CREATING');
    expect(chunks.filter((c) => c.kind === 'step').map((c) => `${c.step}:${c.state}`)).toEqual(
      expect.arrayContaining(['create-stream:done', 'retention:done', 'encryption:done']),
    );
    const steps = chunks.filter((c) => c.kind === 'step');
    expect(steps.every((c, i) => i === 0 || c.elapsedMs >= steps[i - 1]!.elapsedMs)).toBe(true);
    expect(done(chunks).resources).toEqual([{ type: 'kinesis-stream', id: 'prov-stream', name: 'prov-stream' }]);

    const item = (await inventory()).items.find((i) => i.type === 'kinesis-stream' && i.id === 'prov-stream');
    expect(item).toMatchObject({
      managed: true,
      state: 'ACTIVE',
      size: '1 shard, 48 h retention',
      costPerHour: 0.035,
      confirmWith: 'prov-stream',
    });
    expect(item!.ageMs).toBeGreaterThanOrEqual(0);

    await expect(remove({ type: 'kinesis-stream', id: 'prov-stream', confirm: 'prov-strea' })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: 'confirm' }],
    });
    expect((await inventory()).items.some((i) => i.id === 'prov-stream')).toBe(true);
    const deleted = await remove({ type: 'kinesis-stream', id: 'prov-stream', confirm: 'prov-stream' });
    expect(last(deleted)).toMatchObject({ kind: 'done' });
    expect((await inventory()).items.some((i) => i.id === 'prov-stream')).toBe(false);
  });

  it('S3: created safe by default with the pipeline’s folders; emptied (every version) with progress, then deleted', async () => {
    const chunks = await create({ kind: 's3', name: 'prov-bucket-test', rawLifecycle: { enabled: true, expireDays: 30 } });
    expect(done(chunks).resources[0]).toMatchObject({ type: 's3-bucket', id: 'prov-bucket-test' });
    expect(chunks.find((c) => c.kind === 'step' && c.step === 'settings' && c.state === 'done')).toMatchObject({
      message: expect.stringMatching(/public access blocked, SSE-S3, versioning on, raw\/ expires after 30 days/),
    });

    const s3 = new S3Client(sandboxClientConfig(run));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'prov-bucket-test', VersioningConfiguration: { Status: 'Enabled' } }));
    for (let i = 0; i < 30; i++)
      await s3.send(new PutObjectCommand({ Bucket: 'prov-bucket-test', Key: `raw/access_logs/part-${i % 10}.txt`, Body: `line ${i}\n` }));
    s3.destroy();
    const item = (await inventory()).items.find((i) => i.id === 'prov-bucket-test');
    expect(item).toMatchObject({ type: 's3-bucket', managed: true, size: expect.stringMatching(/^12 objects/) });

    // The name is taken now: a second wizard says so and creates nothing.
    const again = failed(await create({ kind: 's3', name: 'prov-bucket-test' }));
    expect(again.failure).toMatchObject({ reason: 'exists', awsCode: 'BucketAlreadyOwnedByYou' });
    expect(again.halfCreated).toEqual([]);

    await expect(remove({ type: 's3-bucket', id: 'prov-bucket-test', confirm: 'wrong' })).rejects.toMatchObject({ code: 'VALIDATION' });
    const deleted = await remove({ type: 's3-bucket', id: 'prov-bucket-test', confirm: 'prov-bucket-test' });
    const progress = deleted.filter((c): c is Extract<InventoryDeleteChunk, { kind: 'progress' }> => c.kind === 'progress');
    // 30 versions and the 2 folder markers, as it was at creation.
    expect(last(progress)).toMatchObject({ done: 32, total: 32 });
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));
    expect(last(deleted)).toMatchObject({ kind: 'done' });
    expect((await inventory()).items.some((i) => i.id === 'prov-bucket-test')).toBe(false);
  });

  it('EMR: a new key pair saved 0600 and remembered, STARTING → WAITING, a Spark SQL connection, terminated', async () => {
    const chunks = await create({ kind: 'emr', name: 'prov-emr', keyPair: { mode: 'create', name: 'prov-key' }, startThriftServer: true });
    const end = done(chunks);
    expect(awsStates(chunks)).toEqual(expect.arrayContaining(['STARTING', 'WAITING']));
    expect(end.keyFile).toBe(join(appDir, 'ssh-keys', 'prov-key.pem'));
    expect(statSync(end.keyFile!).mode & 0o777).toBe(0o600);
    expect(readFileSync(end.keyFile!, 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(JSON.parse(readFileSync(join(appDir, 'ssh-keys.json'), 'utf8')).byKeyName['prov-key']).toBe(end.keyFile);
    expect(JSON.stringify(chunks)).not.toMatch(/PRIVATE KEY/);
    expect(end.connections).toEqual([
      expect.objectContaining({
        engine: 'spark',
        name: 'Spark SQL on prov-emr',
        route: expect.stringMatching(/SSH session to the EMR master/),
      }),
    ]);
    const clusterId = end.resources[0]!.id;

    const options = await core.handlers['provision.options']({}, { signal });
    expect(options.keyPairs).toEqual(
      expect.arrayContaining([
        { name: 'prov-key', hasKeyFile: true },
        { name: 'tributary-sandbox', hasKeyFile: true },
      ]),
    );
    expect(options.defaultReleaseLabel).toMatch(/^emr-7\./);
    expect(options.roles).toMatchObject({ emrServiceRole: true, emrInstanceProfile: true });

    const item = (await inventory()).items.find((i) => i.id === clusterId);
    expect(item).toMatchObject({
      type: 'emr-cluster',
      name: 'prov-emr',
      managed: true,
      state: 'WAITING',
      size: '1 × m5.xlarge + 1 × m5.xlarge',
      costPerHour: 0.48,
    });
    const terminated = await remove({ type: 'emr-cluster', id: clusterId, confirm: 'prov-emr' });
    expect(terminated.filter((c) => c.kind === 'step').map((c) => (c.kind === 'step' ? c.awsState : undefined))).toContain('TERMINATING');
    expect((await inventory()).items.some((i) => i.id === clusterId)).toBe(false);
  });

  it('EMR: a key pair that does not exist is refused by validate and by create, and nothing is created', async () => {
    const spec = { kind: 'emr', name: 'no-key', keyPair: { mode: 'existing', name: 'no-such-key' } } as const;
    const { issues } = await core.handlers['provision.validate'](contract['provision.validate'].input.parse({ spec }), { signal });
    expect(issues).toEqual([
      expect.objectContaining({ path: 'keyPair.name', severity: 'error', message: expect.stringMatching(/does not exist/) }),
    ]);
    const end = failed(await create(spec));
    expect(end.failure).toMatchObject({ reason: 'invalid', awsCode: 'InvalidKeyPair.NotFound' });
    expect(end.halfCreated).toEqual([]);
  });

  it('Redshift: a generated password never shown, a least-privilege COPY role, a saved connection that runs SELECT 1, deleted with a final snapshot', async () => {
    const chunks = await create({
      kind: 'redshift',
      identifier: 'prov-wh',
      iamRole: { mode: 'create', name: 'prov-wh-copy', bucket: 'prov-any-bucket' },
    });
    const end = done(chunks);
    expect(awsStates(chunks)).toEqual(expect.arrayContaining(['creating', 'available']));
    expect(end.connections).toEqual([expect.objectContaining({ engine: 'redshift', name: 'Redshift prov-wh', route: 'directly' })]);
    const list = await core.handlers['connections.list']({}, { signal });
    const saved = list.find((c) => c.id === end.connections[0]!.id)!;
    expect(saved).toMatchObject({
      hasPassword: true,
      spec: { clusterIdentifier: 'prov-wh', database: 'dev', user: 'awsuser', auth: 'password', route: { kind: 'direct' } },
    });
    const rows = await selectOne(saved.id);
    expect(rows.find((c) => c.kind === 'result')).toMatchObject({ rows: [['1']] });
    // The password went to the secret store, nowhere else: not in any chunk, file or log line.
    expect(JSON.stringify(chunks)).not.toMatch(/password"\s*:/i);
    expect(readFileSync(join(appDir, 'connections.json'), 'utf8')).not.toMatch(/"password"\s*:/);

    const item = (await inventory()).items.find((i) => i.id === 'prov-wh');
    expect(item).toMatchObject({ type: 'redshift-cluster', managed: true, state: 'available', size: '1 × ra3.large', costPerHour: 0.543 });
    const deleted = await remove({ type: 'redshift-cluster', id: 'prov-wh', confirm: 'prov-wh' });
    expect(last(deleted)).toMatchObject({ kind: 'done', snapshot: expect.stringMatching(/^prov-wh-final-\d{12}$/) });
    expect((await inventory()).items.some((i) => i.id === 'prov-wh')).toBe(false);
  });
});

describe('the whole pipeline from one prefix', () => {
  it('creates the four in order, tags them with the prefix, and saves the Redshift and Spark SQL connections', async () => {
    const preview = await core.handlers['provision.preview'](
      contract['provision.preview'].input.parse({ spec: { kind: 'pipeline', prefix: 'acme' } }),
      { signal },
    );
    expect(preview.names).toMatchObject({ kinesis: 'acme-events', emr: 'acme-emr', redshift: 'acme-warehouse' });
    expect(preview.cost.usdPerHour).toBeCloseTo(0.015 + 0.48 + 0.543, 6);
    expect(preview.cli).toContain("--master-user-password '****'");

    const chunks = await pipeline({ kind: 'pipeline', prefix: 'acme' });
    const end = done(chunks);
    expect(end.resources.map((r) => r.type)).toEqual(['kinesis-stream', 's3-bucket', 'emr-cluster', 'redshift-cluster']);
    const bucket = end.resources[1]!.id;
    expect(bucket).toMatch(/^acme-\d{12}-us-east-1$/);
    const firstOf = (step: string) => chunks.findIndex((c) => c.kind === 'step' && c.step === step);
    expect(firstOf('create-stream')).toBeLessThan(firstOf('create-bucket'));
    expect(firstOf('create-bucket')).toBeLessThan(firstOf('iam-role'));

    const items = (await inventory()).items.filter((i) => i.pipeline === 'acme');
    expect(items.map((i) => i.type).sort()).toEqual(['emr-cluster', 'kinesis-stream', 'redshift-cluster', 's3-bucket']);
    const list = await core.handlers['connections.list']({}, { signal });
    const redshiftConnection = list.find((c) => c.name === 'acme warehouse (Redshift)');
    expect(redshiftConnection).toMatchObject({ engine: 'redshift', hasPassword: true, spec: { clusterIdentifier: 'acme-warehouse' } });
    expect(list.find((c) => c.name === 'Spark SQL on acme-emr')).toMatchObject({
      engine: 'spark',
      spec: { clusterId: end.resources[2]!.id },
    });
    expect((await selectOne(redshiftConnection!.id)).find((c) => c.kind === 'result')).toMatchObject({ rows: [['1']] });

    for (const item of items)
      expect(last(await remove({ type: item.type, id: item.id, confirm: item.confirmWith }))).toMatchObject({ kind: 'done' });
  });
});

describe('AWS errors: one clear message each, and nothing half-created left untracked', () => {
  it('throttling: the SDK retries and succeeds; past its retries the message says how often it tried', async () => {
    await faults([
      { service: 'kinesis', operation: 'CreateStream', kind: 'error', errorCode: 'ThrottlingException', calls: 2, match: 'prov-throttled' },
    ]);
    expect(done(await create({ kind: 'kinesis', name: 'prov-throttled', encryption: { enabled: false } })).resources[0]!.id).toBe(
      'prov-throttled',
    );
    await remove({ type: 'kinesis-stream', id: 'prov-throttled', confirm: 'prov-throttled' });

    await faults([
      { service: 'elasticmapreduce', operation: 'RunJobFlow', kind: 'error', errorCode: 'ThrottlingException', message: 'Rate exceeded' },
    ]);
    const end = failed(await create({ kind: 'emr', name: 'prov-throttled-emr', keyPair: { mode: 'existing', name: 'tributary-sandbox' } }));
    expect(end.failure).toMatchObject({ reason: 'throttled', awsCode: 'ThrottlingException', action: 'elasticmapreduce:RunJobFlow' });
    expect(end.failure.message).toMatch(/AWS is throttling elasticmapreduce:RunJobFlow .* retried 4 times/);
    expect(end.halfCreated).toEqual([]);
  });

  it('a limit: the account quota, named as such', async () => {
    await faults([
      {
        service: 'kinesis',
        operation: 'CreateStream',
        kind: 'error',
        errorCode: 'LimitExceededException',
        message:
          'This request would exceed the shard limit for the account 123456789012 in us-east-1. Current shard count for the account: 200. Limit: 200.',
      },
    ]);
    const end = failed(await create({ kind: 'kinesis', name: 'prov-limited', shardCount: 5 }));
    expect(end.failure).toMatchObject({ reason: 'limit', awsCode: 'LimitExceededException' });
    expect(end.failure.message).toMatch(/account limit .*Service Quotas.*shard limit/);
    expect(end.halfCreated).toEqual([]);
  });

  it('an existing name: AWS’s own refusal, nothing adopted', async () => {
    expect(done(await create({ kind: 'kinesis', name: 'prov-taken', encryption: { enabled: false } })).resources).toHaveLength(1);
    const end = failed(await create({ kind: 'kinesis', name: 'prov-taken' }));
    expect(end.failure).toMatchObject({ reason: 'exists', awsCode: 'ResourceInUseException' });
    expect(end.halfCreated).toEqual([]);
    const { issues } = await core.handlers['provision.validate'](
      contract['provision.validate'].input.parse({ spec: { kind: 'kinesis', name: 'prov-taken' } }),
      { signal },
    );
    expect(issues).toEqual([expect.objectContaining({ path: 'name', message: expect.stringMatching(/already exists/) })]);
    await remove({ type: 'kinesis-stream', id: 'prov-taken', confirm: 'prov-taken' });
  });

  it('access denied half-way (the role made, the cluster refused): the failure names the action and the fix; cleanup removes the role', async () => {
    await faults([
      {
        service: 'redshift',
        operation: 'CreateCluster',
        kind: 'error',
        errorCode: 'AccessDenied',
        status: 403,
        message: 'User: arn:aws:iam::123456789012:user/operator is not authorized to perform: redshift:CreateCluster',
      },
    ]);
    const end = failed(
      await create({
        kind: 'redshift',
        identifier: 'prov-denied',
        iamRole: { mode: 'create', name: 'prov-denied-copy', bucket: 'prov-any-bucket' },
      }),
    );
    expect(end.failure).toMatchObject({ reason: 'access-denied', awsCode: 'AccessDenied', action: 'redshift:CreateCluster' });
    expect(end.failure.message).toMatch(/Allow "redshift:CreateCluster" in an IAM policy/);
    expect(end.halfCreated).toEqual([{ type: 'iam-role', id: 'prov-denied-copy', name: 'prov-denied-copy' }]);
    await faults([]);
    const cleaned = await cleanup(end.runId);
    expect(last(cleaned)).toMatchObject({ kind: 'done', resources: [{ type: 'iam-role', id: 'prov-denied-copy' }] });
    // The role is gone: creating it again works.
    const again = await create({
      kind: 'redshift',
      identifier: 'prov-denied',
      iamRole: { mode: 'create', name: 'prov-denied-copy', bucket: 'prov-any-bucket' },
    });
    done(again);
    await remove({ type: 'redshift-cluster', id: 'prov-denied', confirm: 'prov-denied', finalSnapshot: false });
  });

  it('a failure mid-pipeline: the inventory shows what was created under the run, and cleanup removes all of it', async () => {
    await faults([
      {
        service: 'elasticmapreduce',
        operation: 'RunJobFlow',
        kind: 'error',
        errorCode: 'AccessDeniedException',
        status: 400,
        message: 'not authorized to perform elasticmapreduce:RunJobFlow',
        match: 'broken-emr',
      },
    ]);
    const chunks = await pipeline({ kind: 'pipeline', prefix: 'broken' });
    const end = failed(chunks);
    expect(end.failure).toMatchObject({ reason: 'access-denied', action: 'elasticmapreduce:RunJobFlow' });
    expect(end.halfCreated.map((r) => r.type).sort()).toEqual(['iam-role', 'kinesis-stream', 'redshift-cluster', 's3-bucket']);

    const tracked = (await inventory()).items.filter((i) => i.runId === end.runId);
    expect(tracked.map((i) => i.type).sort()).toEqual(['kinesis-stream', 'redshift-cluster', 's3-bucket']);
    expect(tracked.every((i) => i.pipeline === 'broken' && i.managed)).toBe(true);

    const cleaned = await cleanup(end.runId);
    expect(last(cleaned)).toMatchObject({ kind: 'done' });
    expect(cleaned.filter((c) => c.kind === 'step' && c.state === 'done').map((c) => (c.kind === 'step' ? c.step : ''))).toEqual([
      'delete-redshift-cluster',
      'delete-s3-bucket',
      'delete-kinesis-stream',
      'delete-iam-role',
    ]);
    expect((await inventory()).items.filter((i) => i.pipeline === 'broken' || i.runId === end.runId)).toEqual([]);
    await expect(cleanup('p-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
