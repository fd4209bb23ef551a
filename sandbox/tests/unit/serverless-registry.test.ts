import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../../../shared/node/log.js';
import { databaseUserOf } from '../../redshift-serverless/api.js';
import { ServerlessRegistry } from '../../redshift-serverless/registry.js';

const dirs: string[] = [];
const statePath = () => {
  const dir = mkdtempSync(join(tmpdir(), 'serverless-registry-'));
  dirs.push(dir);
  return join(dir, 'redshift-serverless.json');
};
const pace = { creatingMs: 60_000, modifyingMs: 1_000, deletingMs: 1_000 };
const log = new Logger(undefined);
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the sandbox keeps Redshift Serverless as AWS would across a restart', () => {
  it('finds its namespaces and workgroups again, a workgroup still CREATING until its time has passed', () => {
    const path = statePath();
    const before = new ServerlessRegistry(path, pace, log);
    before.addNamespace({ name: 'ns', region: 'us-east-1', dbName: 'dev', iamRoles: [], tags: { team: 'data' } }, '123456789012');
    const added = before.addWorkgroup(
      {
        name: 'wg',
        region: 'us-east-1',
        namespaceName: 'ns',
        baseCapacity: 8,
        publiclyAccessible: false,
        port: 5439,
        subnetIds: [],
        securityGroupIds: [],
        tags: {},
      },
      '123456789012',
    );
    expect(added.arn).toMatch(/^arn:aws:redshift-serverless:us-east-1:123456789012:workgroup\/[0-9a-f-]{36}$/);

    const after = new ServerlessRegistry(path, pace, log);
    const workgroup = after.workgroup('us-east-1', 'wg')!;
    expect(workgroup).toEqual(added);
    expect(after.workgroupStatus(workgroup)).toBe('CREATING');
    expect(after.workgroupStatus(workgroup, added.createdAt + pace.creatingMs)).toBe('AVAILABLE');
    expect(after.namespace('us-east-1', 'ns')?.tags).toEqual({ team: 'data' });
    expect(after.listWorkgroups('eu-west-1')).toEqual([]);
  });

  it('sets an unreadable file aside and starts empty', () => {
    const path = statePath();
    writeFileSync(path, '{ not json');
    expect(new ServerlessRegistry(path, pace, log).listNamespaces('us-east-1')).toEqual([]);
  });

  it('names the database user as AWS maps the caller: IAM:<user>, IAMR:<role>', () => {
    expect(databaseUserOf('arn:aws:iam::123456789012:user/alice')).toBe('IAM:alice');
    expect(databaseUserOf('arn:aws:sts::123456789012:assumed-role/Analyst/session-1')).toBe('IAMR:Analyst');
  });
});
