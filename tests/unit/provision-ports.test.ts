import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../../shared/node/log.js';
import { AwsScope } from '../../electron/core/aws/clients.js';
import { exists, unlessNotFound } from '../../electron/core/aws/errors.js';
import type { ConnectionStore, KeyFiles, RedshiftLogins } from '../../electron/core/provision/ports.js';
import { Provisioning } from '../../electron/core/provision/provisioning.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Provisioning over fakes of the ports it declares: what it asks of sessions and the workbench is all it gets. */
function provisioning() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-provision-'));
  dirs.push(dataDir);
  const scope = new AwsScope({ id: 'env-1', name: 'Test account', kind: 'aws', region: 'eu-west-1' }, { region: 'eu-west-1' }, '0.0.0');
  const saved: Parameters<ConnectionStore['save']>[0][] = [];
  const connections: ConnectionStore & RedshiftLogins = {
    redshiftLogin: async (id) => ({ clusterIdentifier: 'wh', database: 'dev', user: 'u', password: `secret of ${id}` }),
    save: async (input) => {
      saved.push(input);
      return { id: `c-${saved.length}`, route: `through the store's route for ${input.spec.engine}` };
    },
  };
  const remembered = new Map<string, string>();
  const keys: KeyFiles = {
    rememberKeyFile: async (keyName, file) => void remembered.set(keyName, file),
    rememberedKeyNames: async () => [...remembered.keys()],
  };
  const base = new Provisioning({
    dataDir,
    environments: { aws: async () => scope },
    notices: { fileProblem: () => undefined },
    log: new Logger(undefined),
    keys,
    connections,
  });
  return { base, scope, saved, remembered };
}

describe('provisioning through its ports', () => {
  it('saves a connection to the store under the run’s environment and hands back the id and route the store gave', async () => {
    const { base, scope, saved } = provisioning();
    const ctx = base.context(scope, new AbortController().signal);
    await ctx.saveConnection({ name: 'Warehouse', spec: { engine: 'redshift-data', clusterIdentifier: 'wh', database: 'dev', user: 'u' } });
    const ref = await ctx.saveConnection({ name: 'Spark SQL on j-1', spec: { engine: 'spark', clusterId: 'j-1' } });
    expect(saved.map((s) => [s.name, s.environmentId])).toEqual([
      ['Warehouse', 'env-1'],
      ['Spark SQL on j-1', 'env-1'],
    ]);
    expect(ref).toEqual({ id: 'c-2', name: 'Spark SQL on j-1', engine: 'spark', route: "through the store's route for spark" });
  });

  it('remembers a new key pair’s file with sessions’ key files', async () => {
    const { base, scope, remembered } = provisioning();
    await base.context(scope, new AbortController().signal).rememberKeyFile('demo-key', '/data/ssh-keys/demo-key.pem');
    expect([...remembered]).toEqual([['demo-key', '/data/ssh-keys/demo-key.pem']]);
  });

  it('records what a run creates in its ledger entry, and nothing for work outside a run', async () => {
    const { base, scope } = provisioning();
    const run = await base.ledger.start({ environmentId: 'env-1', region: 'eu-west-1', kind: 'kinesis' });
    const signal = new AbortController().signal;
    await base.context(scope, signal, run.id).created({ type: 'kinesis-stream', id: 'events', name: 'events' });
    await base.context(scope, signal).created({ type: 's3-bucket', id: 'stray', name: 'stray' });
    expect((await base.ledger.run(run.id))?.resources.map((r) => r.id)).toEqual(['events']);
    expect(await base.ledger.runOf('env-1', 'kinesis-stream', 'events')).toBe(run.id);
  });

  it('paces waits quickly on the sandbox and gently on AWS', () => {
    const { base, scope } = provisioning();
    const sandbox = new AwsScope(
      { id: 'sandbox', name: 'Local sandbox', kind: 'sandbox', region: 'us-east-1' },
      { region: 'us-east-1' },
      '0.0.0',
    );
    const signal = new AbortController().signal;
    expect(base.context(scope, signal).pace.firstMs).toBeGreaterThan(base.context(sandbox, signal).pace.firstMs);
  });
});

describe('AWS calls that may find nothing', () => {
  const notFound = Object.assign(new Error('no such stream'), { name: 'ResourceNotFoundException' });
  const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });

  it('answer undefined (or false) when AWS says not found, and rethrow anything else', async () => {
    expect(await unlessNotFound(async () => 'there')).toBe('there');
    expect(await unlessNotFound(() => Promise.reject(notFound))).toBeUndefined();
    await expect(unlessNotFound(() => Promise.reject(denied))).rejects.toBe(denied);
    expect(await exists(async () => ({}))).toBe(true);
    expect(await exists(() => Promise.reject(Object.assign(new Error('gone'), { $metadata: { httpStatusCode: 404 } })))).toBe(false);
    await expect(exists(() => Promise.reject(denied))).rejects.toBe(denied);
  });
});
