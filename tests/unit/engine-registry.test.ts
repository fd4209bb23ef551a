import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { HostMessage } from '../../shared/protocol.js';
import { AppError } from '../../shared/errors.js';
import { RpcSession } from '../../electron/core/dispatch/session.js';
import { defineEngine, NO_CAPABILITIES } from '../../electron/core/engines/descriptor.js';
import { builtInEngines, EngineRegistry } from '../../electron/core/engines/registry.js';
import { sparkEngine } from '../../electron/core/engines/spark.js';
import { tempDir, testCore } from '../helpers/core.js';
import { until } from '../helpers/until.js';

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('the engine registry', () => {
  it('refuses two engines of one kind at start-up', () => {
    const twin = defineEngine({ ...sparkEngine, label: 'Another Spark' });
    expect(() => new EngineRegistry([...builtInEngines, twin])).toThrow(/Two engines are registered as "spark"/);
  });

  it('answers bad options with VALIDATION naming each field under spec', () => {
    const registry = new EngineRegistry(builtInEngines);
    const bad = refusal(() =>
      registry.check({ engine: 'redshift', clusterIdentifier: 'Not-An-Id', database: 'dev', user: 'u', auth: 'sso' }),
    );
    expect(bad.code).toBe('VALIDATION');
    expect(bad.message).toMatch(/^Invalid input for connections\.save: spec\./);
    expect(bad.issues?.map((i) => i.path).sort()).toEqual(['spec.auth', 'spec.clusterIdentifier']);
    const extra = refusal(() => registry.check({ engine: 'spark', clusterId: 'j-ABC', host: 'x' }));
    expect(extra.issues?.map((i) => i.path)).toEqual(['spec']);
    const unknown = refusal(() => registry.check({ engine: 'oracle' }));
    expect(unknown).toMatchObject({ code: 'VALIDATION', issues: [{ path: 'spec.engine' }] });
    expect(unknown.message).toMatch(/No engine "oracle" \(known: redshift, redshift-data, spark\)/);
  });

  it('hands good options to their engine with the schema’s defaults', () => {
    const registry = new EngineRegistry(builtInEngines);
    const { descriptor, options } = registry.check({
      engine: 'redshift',
      clusterIdentifier: 'wh',
      database: 'dev',
      user: 'awsuser',
      auth: 'iam',
    });
    expect(descriptor.kind).toBe('redshift');
    expect(options).toEqual({
      warehouse: 'cluster',
      clusterIdentifier: 'wh',
      database: 'dev',
      user: 'awsuser',
      auth: 'iam',
      route: { kind: 'direct' },
    });
  });

  it('lists every engine with a form whose inputs are options its schema takes', () => {
    const listed = new EngineRegistry(builtInEngines).list();
    expect(listed.map((e) => [e.kind, e.label, e.dialect])).toEqual([
      ['redshift', 'Redshift (wire protocol)', 'redshift'],
      ['redshift-data', 'Redshift Data API', 'redshift'],
      ['spark', 'Spark SQL on EMR', 'spark'],
    ]);
    expect(listed.find((e) => e.kind === 'spark')?.capabilities).toEqual({ ...NO_CAPABILITIES, cancel: true, explain: true });
    for (const descriptor of builtInEngines) {
      const shape = (descriptor.options as z.ZodObject).shape;
      for (const field of descriptor.form.flat()) expect(Object.keys(shape), `${descriptor.kind}.${field.name}`).toContain(field.name);
    }
  });
});

describe('connections through the registry', () => {
  it('answers a bad spec at the edge with VALIDATION and its field path, as before', async () => {
    const core = await testCore();
    const replies: HostMessage[] = [];
    const rpc = new RpcSession(core.handlers, (m) => replies.push(m), core.log);
    const spec = { engine: 'spark', clusterId: 'cluster-1' };
    rpc.receive({ t: 'call', id: 1, op: 'connections.save', input: { name: 'x', environmentId: 'sandbox', spec } });
    rpc.receive({ t: 'call', id: 2, op: 'connections.save', input: { name: 'x', environmentId: 'sandbox', spec: { clusterId: 'j-1' } } });
    await until('both replies', () => replies.length === 2, 5_000);
    // The edge refuses the missing kind at once; main's check of the options answers after.
    const byId = (id: number) => replies.find((r) => 'id' in r && r.id === id);
    expect(byId(1)).toMatchObject({
      t: 'error',
      error: { code: 'VALIDATION', issues: [{ path: 'spec.clusterId', message: 'Not an EMR cluster id (j-…)' }] },
    });
    expect(byId(2)).toMatchObject({ t: 'error', error: { code: 'VALIDATION', issues: [{ path: 'spec.engine' }] } });
    await core.dispose();
  });

  it('loads a connections.json written before the registry', async () => {
    const dataDir = tempDir();
    const route = { kind: 'session', sessionId: 's-1' };
    const old = [
      {
        id: 'c-wh-1a2b3c',
        name: 'Warehouse',
        environmentId: 'sandbox',
        spec: { engine: 'redshift', clusterIdentifier: 'wh', database: 'dev', user: 'awsuser', auth: 'iam', route },
      },
      {
        id: 'c-data-1a2b3c',
        name: 'Data',
        environmentId: 'sandbox',
        spec: { engine: 'redshift-data', clusterIdentifier: 'wh', database: 'dev', user: 'awsuser' },
      },
      { id: 'c-spark-1a2b3c', name: 'Spark', environmentId: 'sandbox', spec: { engine: 'spark', clusterId: 'j-ABC' } },
    ];
    writeFileSync(join(dataDir, 'connections.json'), JSON.stringify({ connections: old }));
    const core = await testCore(dataDir);
    const list = (await core.handlers['connections.list']!({}, { signal: new AbortController().signal })) as {
      id: string;
      target: string;
      dialect: string;
    }[];
    expect(list.map((c) => [c.id, c.target, c.dialect])).toEqual([
      ['c-wh-1a2b3c', 'awsuser@wh/dev (IAM) through an SSH session', 'redshift'],
      ['c-data-1a2b3c', 'awsuser@wh/dev via the Data API', 'redshift'],
      ['c-spark-1a2b3c', 'Spark Thrift Server on the master of j-ABC', 'spark'],
    ]);
    await core.dispose();
  });

  it('still refuses a connections file that holds a password', async () => {
    const dataDir = tempDir();
    const spec = { engine: 'redshift', clusterIdentifier: 'wh', database: 'dev', user: 'awsuser', auth: 'password', password: 'hunter2' };
    writeFileSync(
      join(dataDir, 'connections.json'),
      JSON.stringify({ connections: [{ id: 'c-wh-1a2b3c', name: 'W', environmentId: 'sandbox', spec }] }),
    );
    const core = await testCore(dataDir);
    const signal = new AbortController().signal;
    expect(await core.handlers['connections.list']!({}, { signal })).toEqual([]);
    const notices = await core.handlers['app.notices']!({}, { signal });
    expect(JSON.stringify(notices)).toMatch(/A password was found in the connections file/);
    await core.dispose();
  });
});
