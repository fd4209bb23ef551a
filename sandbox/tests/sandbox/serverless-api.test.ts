import { join } from 'node:path';
import {
  ConflictException,
  CreateNamespaceCommand,
  CreateWorkgroupCommand,
  DeleteNamespaceCommand,
  DeleteWorkgroupCommand,
  GetCredentialsCommand,
  GetWorkgroupCommand,
  ListNamespacesCommand,
  ListTagsForResourceCommand,
  RedshiftServerlessClient,
  ResourceNotFoundException,
  UpdateWorkgroupCommand,
  ValidationException,
} from '@aws-sdk/client-redshift-serverless';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { sandboxClientConfig } from '../../client/constants.js';
import { readRunFile } from '../../client/run-file.js';
import { until } from '../../../tests/helpers/until.js';

const { dataDir } = inject('sandbox');
// Read when this file runs, not at setup: sandbox.test.ts restarts the sandbox on new ports with new keys.
const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
const serverless = new RedshiftServerlessClient(sandboxClientConfig(run));
afterAll(() => serverless.destroy());

const PASSWORD = 'Serverless-Admin-1';

async function login(user: string, password: string, database: string, port: number): Promise<string[]> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database });
  await client.connect();
  try {
    const answer = await client.query<{ s: string; c: string }>('SELECT session_user AS s, current_user AS c');
    return [answer.rows[0]!.s, answer.rows[0]!.c];
  } finally {
    await client.end();
  }
}

describe('the Redshift Serverless API, answered by the sandbox', () => {
  it('creates a namespace and a workgroup that becomes AVAILABLE at the stand-in, then deletes them in order', async () => {
    const created = await serverless.send(
      new CreateNamespaceCommand({
        namespaceName: 'api-ns',
        adminUsername: 'nsadmin',
        adminUserPassword: PASSWORD,
        dbName: 'nsdb',
        tags: [{ key: 'team', value: 'data' }],
      }),
    );
    expect(created.namespace).toMatchObject({ namespaceName: 'api-ns', dbName: 'nsdb', adminUsername: 'nsadmin', status: 'AVAILABLE' });
    expect(created.namespace?.creationDate).toBeInstanceOf(Date);
    expect((await serverless.send(new ListTagsForResourceCommand({ resourceArn: created.namespace!.namespaceArn! }))).tags).toEqual([
      { key: 'team', value: 'data' },
    ]);

    const workgroup = await serverless.send(
      new CreateWorkgroupCommand({ workgroupName: 'api-wg', namespaceName: 'api-ns', baseCapacity: 8, maxCapacity: 64 }),
    );
    expect(workgroup.workgroup).toMatchObject({ status: 'CREATING', baseCapacity: 8, namespaceName: 'api-ns' });
    expect(workgroup.workgroup?.endpoint).toBeUndefined();
    const available = await until('the workgroup AVAILABLE', async () => {
      const seen = (await serverless.send(new GetWorkgroupCommand({ workgroupName: 'api-wg' }))).workgroup;
      return seen?.status === 'AVAILABLE' && seen;
    });
    expect(available.endpoint).toEqual(expect.objectContaining({ address: '127.0.0.1', port: run.redshift.port }));
    // The admin user really signs in to the namespace's database.
    expect(await login('nsadmin', PASSWORD, 'nsdb', available.endpoint!.port!)).toEqual(['nsadmin', 'nsadmin']);

    await expect(serverless.send(new DeleteNamespaceCommand({ namespaceName: 'api-ns' }))).rejects.toThrow(ConflictException);
    await expect(
      serverless.send(new CreateWorkgroupCommand({ workgroupName: 'api-wg-2', namespaceName: 'api-ns', baseCapacity: 8 })),
    ).rejects.toThrow(ConflictException);

    const updated = await serverless.send(new UpdateWorkgroupCommand({ workgroupName: 'api-wg', baseCapacity: 16 }));
    expect(updated.workgroup).toMatchObject({ baseCapacity: 16, status: 'MODIFYING' });
    await until('the update done', async () => {
      const seen = (await serverless.send(new GetWorkgroupCommand({ workgroupName: 'api-wg' }))).workgroup;
      return seen?.status === 'AVAILABLE';
    });

    expect((await serverless.send(new DeleteWorkgroupCommand({ workgroupName: 'api-wg' }))).workgroup?.status).toBe('DELETING');
    await until('the workgroup gone', () =>
      serverless.send(new GetWorkgroupCommand({ workgroupName: 'api-wg' })).then(
        () => false,
        (error: unknown) => error instanceof ResourceNotFoundException,
      ),
    );
    expect((await serverless.send(new DeleteNamespaceCommand({ namespaceName: 'api-ns' }))).namespace?.status).toBe('DELETING');
    await until('the namespace gone', async () => {
      const names = (await serverless.send(new ListNamespacesCommand({}))).namespaces?.map((n) => n.namespaceName);
      return !names?.includes('api-ns');
    });
  });

  it('refuses a base capacity off the steps of 8 and a name AWS does not allow, with AWS-shaped errors', async () => {
    await serverless.send(new CreateNamespaceCommand({ namespaceName: 'api-rules' }));
    const capacity = await serverless
      .send(new CreateWorkgroupCommand({ workgroupName: 'api-rules-wg', namespaceName: 'api-rules', baseCapacity: 12 }))
      .catch((error: unknown) => error);
    expect(capacity).toBeInstanceOf(ValidationException);
    expect((capacity as Error).message).toContain('between 8 and 512 RPUs, in increments of 8');
    const name = await serverless.send(new CreateNamespaceCommand({ namespaceName: 'Bad_Name' })).catch((error: unknown) => error);
    expect(name).toBeInstanceOf(ValidationException);
    expect((name as Error).message).toContain("at 'namespaceName'");
    await expect(serverless.send(new GetWorkgroupCommand({ workgroupName: 'no-such-wg' }))).rejects.toThrow(ResourceNotFoundException);
    await serverless.send(new DeleteNamespaceCommand({ namespaceName: 'api-rules' }));
  });

  it('issues temporary credentials for the caller (IAM:<user>) that sign in and lapse at their expiration', async () => {
    await serverless.send(new CreateNamespaceCommand({ namespaceName: 'api-creds', dbName: 'credsdb' }));
    await serverless.send(new CreateWorkgroupCommand({ workgroupName: 'api-creds-wg', namespaceName: 'api-creds', baseCapacity: 8 }));
    await expect(serverless.send(new GetCredentialsCommand({ workgroupName: 'api-creds-wg' }))).rejects.toThrow(ConflictException);
    await until('the workgroup AVAILABLE', async () => {
      const seen = (await serverless.send(new GetWorkgroupCommand({ workgroupName: 'api-creds-wg' }))).workgroup;
      return seen?.status === 'AVAILABLE';
    });
    await expect(serverless.send(new GetCredentialsCommand({ workgroupName: 'api-creds-wg', durationSeconds: 60 }))).rejects.toThrow(
      ValidationException,
    );
    const before = Date.now();
    const credentials = await serverless.send(new GetCredentialsCommand({ workgroupName: 'api-creds-wg', dbName: 'credsdb' }));
    expect(credentials.dbUser).toMatch(/^IAM:/);
    expect(credentials.expiration!.getTime()).toBeGreaterThanOrEqual(before + 899_000);
    expect(await login(credentials.dbUser!, credentials.dbPassword!, 'credsdb', run.redshift.port)).toEqual([
      credentials.dbUser,
      credentials.dbUser,
    ]);
    // The login lapses when AWS says: PostgreSQL refuses the password after VALID UNTIL.
    const admin = new pg.Client({
      host: '127.0.0.1',
      port: run.redshift.port,
      user: run.redshift.adminUser,
      password: run.redshift.adminPassword,
      database: 'dev',
    });
    await admin.connect();
    try {
      const valid = await admin.query<{ until: Date }>('SELECT rolvaliduntil AS until FROM pg_roles WHERE rolname = $1', [
        credentials.dbUser,
      ]);
      expect(Math.abs(valid.rows[0]!.until.getTime() - credentials.expiration!.getTime())).toBeLessThan(1000);
      await admin.query(`ALTER ROLE ${pg.escapeIdentifier(credentials.dbUser!)} VALID UNTIL '2000-01-01'`);
    } finally {
      await admin.end();
    }
    await expect(login(credentials.dbUser!, credentials.dbPassword!, 'credsdb', run.redshift.port)).rejects.toThrow(/password/);
    await serverless.send(new DeleteWorkgroupCommand({ workgroupName: 'api-creds-wg' }));
    await until('the workgroup gone, so its namespace may go', () =>
      serverless.send(new DeleteNamespaceCommand({ namespaceName: 'api-creds' })).then(
        () => true,
        () => false,
      ),
    );
  });
});
