import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { sandboxClientConfig } from '../../sandbox/client/constants.js';
import { readRunFile } from '../../sandbox/client/run-file.js';
import { contract, type InputOf, type InventoryDeleteChunk, type ProvisionChunk, type RunChunk } from '../../shared/contract/index.js';
import { AppError } from '../../shared/errors.js';
import { allRows, tempDir, testCore } from '../helpers/core.js';
import { until } from '../helpers/until.js';

const { dataDir } = inject('sandbox');
const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
const signal = new AbortController().signal;
const BUCKET = 'tributary-serverless-test';
const ROLE = 'arn:aws:iam::123456789012:role/TributaryRedshiftS3Role';
let core: Core;

async function create(spec: InputOf<'provision.create'>['spec']): Promise<ProvisionChunk[]> {
  const chunks: ProvisionChunk[] = [];
  for await (const chunk of core.handlers['provision.create'](contract['provision.create'].input.parse({ spec }), { signal }))
    chunks.push(chunk);
  return chunks;
}

async function remove(input: InputOf<'inventory.delete'>): Promise<InventoryDeleteChunk[]> {
  const chunks: InventoryDeleteChunk[] = [];
  for await (const chunk of core.handlers['inventory.delete'](contract['inventory.delete'].input.parse(input), { signal }))
    chunks.push(chunk);
  return chunks;
}

async function runSql(connectionId: string, sql: string): Promise<RunChunk[]> {
  const chunks: RunChunk[] = [];
  for await (const chunk of core.handlers['queries.run']({ connectionId, sql, origin: { line: 1, column: 1 } }, { signal }))
    chunks.push(chunk);
  return chunks;
}

async function rowsOf(connectionId: string, sql: string): Promise<(string | null)[][]> {
  const chunks = await runSql(connectionId, sql);
  const error = chunks.find((c) => c.kind === 'error');
  if (error) throw new Error(JSON.stringify(error));
  const result = chunks.find((c): c is Extract<RunChunk, { kind: 'result' }> => c.kind === 'result')!;
  return allRows(core, result.resultId);
}

async function saveConnection(name: string, spec: Record<string, unknown>): Promise<string> {
  const list = await core.handlers['connections.save'](contract['connections.save'].input.parse({ name, environmentId: 'sandbox', spec }), {
    signal,
  });
  return list.find((c) => c.name === name)!.id;
}

const inventory = () => core.handlers['inventory.list']({ includeUntagged: true }, { signal });

beforeAll(async () => {
  const appDir = tempDir('tributary-serverless-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  const s3 = new S3Client(sandboxClientConfig(run));
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'load/events.csv', Body: 'id,name\n1,alpha\n2,beta\n3,gamma\n' }));
  } finally {
    s3.destroy();
  }
});

afterAll(async () => {
  await core?.dispose();
});

describe('Redshift Serverless through the core, against the sandbox', () => {
  it('provisions a namespace and workgroup, connects by IAM and through the Data API, COPYs from S3, and tears down by typed name', async () => {
    const chunks = await create({
      kind: 'redshift-serverless',
      namespaceName: 'sls-ns',
      workgroupName: 'sls-wg',
      database: 'slsdb',
      adminUsername: 'slsadmin',
      baseCapacity: 8,
      maxCapacity: 32,
      iamRole: { mode: 'existing', arn: ROLE },
    });
    const end = chunks[chunks.length - 1]!;
    if (end.kind !== 'done') throw new Error(`the run did not finish: ${JSON.stringify(end)}`);
    expect(chunks.flatMap((c) => (c.kind === 'step' && c.awsState ? [c.awsState] : []))).toEqual(
      expect.arrayContaining(['CREATING', 'AVAILABLE']),
    );
    expect(end.resources).toEqual([{ type: 'redshift-workgroup', id: 'sls-wg', name: 'sls-wg' }]);
    // The generated admin password went to the secret store with the saved connection, never into the run's chunks.
    const saved = end.connections[0]!;
    const connections = await core.handlers['connections.list']({}, { signal });
    expect(connections.find((c) => c.id === saved.id)).toMatchObject({ hasPassword: true, target: 'slsadmin@workgroup sls-wg/slsdb' });
    expect(await rowsOf(saved.id, 'SELECT current_user')).toEqual([['slsadmin']]);

    const listed = await inventory();
    expect(listed.items.find((i) => i.type === 'redshift-workgroup' && i.id === 'sls-wg')).toMatchObject({
      state: 'AVAILABLE',
      managed: true,
      size: expect.stringMatching(/^8 RPUs base \(\$[\d.]+\/h while working\), namespace sls-ns, at 127\.0\.0\.1:\d+$/),
    });
    expect(listed.items.find((i) => i.type === 'redshift-namespace' && i.id === 'sls-ns')).toMatchObject({ state: 'AVAILABLE' });

    // IAM: GetCredentials makes the caller's own database user, asked for on connecting.
    const iam = await saveConnection('Serverless by IAM', {
      engine: 'redshift',
      warehouse: 'workgroup',
      workgroupName: 'sls-wg',
      database: 'slsdb',
      user: 'ignored',
      auth: 'iam',
    });
    const [[user, three]] = (await rowsOf(iam, 'SELECT current_user, 1 + 2')) as [[string, string]];
    expect(user).toMatch(/^IAM:/);
    expect(three).toBe('3');

    // What that query cost: its share of the RPU-seconds the workgroup charged, at base RPUs from GetWorkgroup.
    const ask = <K extends 'warehouse.history' | 'warehouse.runCost'>(name: K, input: InputOf<K>) =>
      core.handlers[name](contract[name].input.parse(input) as never, { signal }) as ReturnType<Core['handlers'][K]>;
    const { price } = await ask('warehouse.runCost', { connectionId: iam, elapsedMs: 1000 });
    expect(price).toMatchObject({ kind: 'serverless', baseRpu: 8, rpuHourUsd: 0.375, priceDate: '2025-06-01' });
    const priced = await until(
      'the query priced in the history',
      async () => (await ask('warehouse.history', { connectionId: iam })).queries.find((q) => q.sql.includes('1 + 2'))?.cost,
      15_000,
    );
    expect(priced.usd).toBeGreaterThan(0);

    const copied = await core.handlers['pipeline.copyRun'](
      {
        table: 'events',
        source: `s3://${BUCKET}/load/`,
        format: 'csv',
        ignoreHeader: 1,
        iamRole: ROLE,
        connectionId: iam,
        createTable: 'CREATE TABLE events (id INTEGER, name VARCHAR(16))',
      },
      { signal },
    );
    expect(copied).toMatchObject({ ok: true, created: true, rowsLoaded: 3 });

    const dataApi = await saveConnection('Serverless by the Data API', {
      engine: 'redshift-data',
      warehouse: 'workgroup',
      workgroupName: 'sls-wg',
      database: 'slsdb',
      user: 'ignored',
    });
    expect(await rowsOf(dataApi, 'SELECT current_user, count(*) FROM events')).toEqual([[user, '3']]);

    const refused = await remove({ type: 'redshift-namespace', id: 'sls-ns', confirm: 'sls-wg' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).message).toBe('Type sls-ns to confirm deleting it.');
    const removed = await remove({ type: 'redshift-namespace', id: 'sls-ns', confirm: 'sls-ns' });
    expect(removed[removed.length - 1]).toMatchObject({ kind: 'done' });
    // The workgroup went first, then the namespace.
    const states = removed.flatMap((c) => (c.kind === 'step' && c.awsState ? [`${c.message.split(' ')[0]} ${c.awsState}`] : []));
    expect(states.indexOf('Workgroup DELETING')).toBeLessThan(states.indexOf('Namespace DELETING'));
    const after = await inventory();
    expect(after.items.filter((i) => i.id === 'sls-wg' || i.id === 'sls-ns')).toEqual([]);
  });

  it('refuses a base capacity off the steps of 8 and names AWS does not allow, each under its field', async () => {
    const parsed = contract['provision.preview'].input.safeParse({
      spec: { kind: 'redshift-serverless', namespaceName: 'Bad_NS', workgroupName: 'ok-wg', baseCapacity: 12 },
    });
    expect(parsed.success).toBe(false);
    const issues = parsed.error!.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues).toEqual(
      expect.arrayContaining([
        ['spec.namespaceName', 'A namespace name has no uppercase letters.'],
        ['spec.baseCapacity', 'The base capacity 12 is not valid: it must be between 8 and 512 RPUs, in increments of 8.'],
      ]),
    );
    const maxBelow = contract['provision.preview'].input.safeParse({
      spec: { kind: 'redshift-serverless', namespaceName: 'ok-ns', workgroupName: 'wg', baseCapacity: 64, maxCapacity: 32 },
    });
    expect(maxBelow.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['spec.workgroupName', 'A workgroup name is 3 to 64 characters long.'],
      ['spec.maxCapacity', 'The max capacity 32 must not be less than the base capacity 64.'],
    ]);
  });

  it('previews the CLI without the password and prices RPU-hours only while it works', async () => {
    const preview = await core.handlers['provision.preview'](
      contract['provision.preview'].input.parse({
        spec: { kind: 'redshift-serverless', namespaceName: 'preview-ns', workgroupName: 'preview-wg', baseCapacity: 32 },
        region: 'us-east-1',
      }),
      { signal },
    );
    expect(preview.commands[0]).toMatch(
      /^aws redshift-serverless create-namespace --namespace-name preview-ns .*--admin-user-password '?\*\*\*\*'?/,
    );
    expect(preview.commands[1]).toMatch(
      /^aws redshift-serverless create-workgroup --workgroup-name preview-wg --namespace-name preview-ns --base-capacity 32 /,
    );
    expect(preview.cost.usdPerHour).toBeGreaterThan(0);
    expect(preview.cost.basis.join('\n')).toMatch(/32 RPUs × \$[\d.]+ per RPU-hour = \$[\d.]+ per hour while it works\nNothing while idle/);
  });
});
