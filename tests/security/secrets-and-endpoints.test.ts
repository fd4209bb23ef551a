import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../electron/core/core.js';
import { RpcSession } from '../../electron/core/dispatch/session.js';
import { MemorySecretStore } from '../../electron/core/secrets/secret-store.js';
import type { HostMessage } from '../../shared/protocol.js';
import { checkoutDaemonCommand } from '../../sandbox/client/daemon-command.js';
import { tempDir } from '../helpers/core.js';
import { until } from '../helpers/until.js';

// Item 7: the renderer sets and deletes only its own (user/…) secrets; endpoint overrides take https or loopback http;
// credential providers get the override only for an emulator. Without the fix, secrets.set replaced an environment's
// keys, http://10.1.2.3 was accepted, and a role chain's AssumeRole (carrying the source keys) went to the override.

async function coreWith(store = new MemorySecretStore()): Promise<Core> {
  return createCore({
    host: 'web',
    version: '0.0.0-test',
    dataDir: tempDir(),
    workspaceDir: tempDir('tributary-workspace-'),
    sandboxDaemon: checkoutDaemonCommand(),
    openSecretStore: () => Promise.resolve(store),
  });
}

/** Calls through RpcSession, the path every renderer message takes, and returns the reply. */
async function dispatch(core: Core, op: string, input: unknown): Promise<HostMessage> {
  const replies: HostMessage[] = [];
  new RpcSession(core.handlers, (m) => replies.push(m), core.log).receive({ t: 'call', id: 1, op, input });
  await until(`${op} answered`, () => replies.length === 1, 10_000);
  return replies[0]!;
}

const KEYS = { source: 'keys', accessKeyId: 'AKIAENVIRONMENT00001', secretAccessKey: 'environment-secret-key-1' };

describe('secrets.set and secrets.delete reach only the renderer’s own names', () => {
  it('refuses an environment’s keys and a connection’s password with VALIDATION, and keeps them readable', async () => {
    const store = new MemorySecretStore();
    const core = await coreWith(store);
    const added = await dispatch(core, 'environments.add', { name: 'Prod', region: 'eu-west-1', credentials: KEYS });
    const id = added.t === 'result' && (added.value as { environments: { id: string }[] }).environments.at(-1)!.id;
    const keysName = `aws/${id}/keys`;
    expect(await store.names()).toEqual([keysName]);

    for (const [op, input] of [
      ['secrets.set', { name: keysName, value: '{"accessKeyId":"AKIAATTACKER00000001","secretAccessKey":"x"}' }],
      ['secrets.delete', { name: keysName }],
      ['secrets.set', { name: 'connection-password:abc', value: 'x' }],
      ['secrets.delete', { name: 'connection-password:abc' }],
    ] as const) {
      const reply = await dispatch(core, op, input);
      expect(reply).toMatchObject({ t: 'error', error: { code: 'VALIDATION' } });
      expect(reply.t === 'error' && reply.error.issues?.[0]).toMatchObject({ path: 'name' });
      expect(reply.t === 'error' && reply.error.message).toMatch(
        /Only your own secrets can be stored or forgotten here: names start with user\//,
      );
    }
    expect(JSON.parse((await store.get(keysName))!)).toMatchObject({ accessKeyId: KEYS.accessKeyId });

    expect(await dispatch(core, 'secrets.set', { name: 'user/warehouse', value: 'mine' })).toMatchObject({ t: 'result' });
    expect(await dispatch(core, 'secrets.delete', { name: 'user/warehouse' })).toMatchObject({ t: 'result', value: [{ name: keysName }] });
    await core.dispose();
  });

  it('moves a secret the renderer stored before names had owners to user/, leaving internal names as they were', async () => {
    const store = new MemorySecretStore();
    await store.set('redshift/admin', 'old-ui-secret');
    await store.set('aws/prod-1a2b3c/keys', '{"accessKeyId":"AKIA","secretAccessKey":"s"}');
    await store.set('connection-password:c1', 'pw');
    const core = await coreWith(store);
    expect(await store.names()).toEqual(['aws/prod-1a2b3c/keys', 'connection-password:c1', 'user/redshift/admin']);
    expect(await store.get('user/redshift/admin')).toBe('old-ui-secret');
    expect(await store.get('connection-password:c1')).toBe('pw');
    await core.dispose();
  });
});

describe('endpoint overrides', () => {
  it.each(['http://10.1.2.3:4566', 'http://169.254.169.254/', 'http://example.com', 'http://127.0.0.1.nip.io:4566'])(
    'refuses plain http to %s with VALIDATION',
    async (endpoint) => {
      const core = await coreWith();
      const reply = await dispatch(core, 'environments.add', { name: 'E', region: 'eu-west-1', endpoint, credentials: KEYS });
      expect(reply).toMatchObject({ t: 'error', error: { code: 'VALIDATION', issues: [{ path: 'endpoint' }] } });
      expect(reply.t === 'error' && reply.error.message).toMatch(/Use https, or http only to this machine/);
      await core.dispose();
    },
  );

  it.each([
    'https://vpce-1.sts.eu-west-1.vpce.amazonaws.com',
    'http://127.0.0.1:4566',
    'http://127.9.9.9',
    'http://[::1]:4566',
    'http://localhost:4566',
  ])('accepts %s', async (endpoint) => {
    const core = await coreWith();
    expect(await dispatch(core, 'environments.add', { name: 'E', region: 'eu-west-1', endpoint, credentials: KEYS })).toMatchObject({
      t: 'result',
    });
    await core.dispose();
  });
});

/** A loopback STS answering AssumeRole and GetCallerIdentity (awsQuery), recording each Action and the key that signed it. */
interface Sts {
  url: string;
  calls: { action: string; keyId: string }[];
  server: Server;
}
async function startSts(): Promise<Sts> {
  const calls: Sts['calls'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? '';
      calls.push({ action, keyId: /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '' });
      const ns = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"';
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        action === 'AssumeRole'
          ? `<AssumeRoleResponse ${ns}><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE000000000001</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey><SessionToken>role-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA1:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>`
          : `<GetCallerIdentityResponse ${ns}><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><UserId>AROA1:s</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`,
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

describe('credential providers get an endpoint override only for an emulator', () => {
  const ENV = ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_ENDPOINT_URL_STS'] as const;
  const saved = Object.fromEntries(ENV.map((key) => [key, process.env[key]]));
  let override: Sts;
  let aws: Sts;

  beforeAll(async () => {
    // `override` is the environment's endpoint; `aws` stands for AWS's own STS (AWS_ENDPOINT_URL_STS, where the SDK
    // sends STS calls that have no explicit endpoint), so no call leaves the machine.
    [override, aws] = await Promise.all([startSts(), startSts()]);
    const home = tempDir('tributary-aws-');
    writeFileSync(
      join(home, 'config'),
      '[profile chain]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\nregion = eu-west-1\n' +
        '[profile base]\naws_access_key_id = AKIASOURCE0000000001\naws_secret_access_key = source-secret-key-000001\n' +
        '[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\nregion = eu-west-1\n' +
        '[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n' +
        '[profile corp-admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = corp\n',
    );
    Object.assign(process.env, {
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_ENDPOINT_URL_STS: aws.url,
    });
  });

  afterAll(() => {
    override.server.close();
    aws.server.close();
    for (const key of ENV) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it.each([false, true])('emulator %s', async (emulator) => {
    override.calls.length = aws.calls.length = 0;
    const core = await coreWith();
    const signal = new AbortController().signal;
    const list = await core.handlers['environments.add'](
      { name: 'Chain', region: 'eu-west-1', endpoint: override.url, emulator, credentials: { source: 'profile', profile: 'chain' } },
      { signal },
    );
    const identity = await core.handlers['environments.identity']({ id: list.environments.at(-1)!.id }, { signal });
    expect(identity).toMatchObject({ kind: 'identity', identity: { account: '123456789012' } });
    // The environment's own calls use the override either way, signed with the role's keys.
    expect(override.calls).toContainEqual({ action: 'GetCallerIdentity', keyId: 'ASIAROLE000000000001' });
    // The source keys' AssumeRole goes to the override only when the environment is an emulator.
    const assumeRole = { action: 'AssumeRole', keyId: 'AKIASOURCE0000000001' };
    expect(override.calls.some((c) => c.action === 'AssumeRole')).toBe(emulator);
    expect(emulator ? override.calls : aws.calls).toContainEqual(assumeRole);
    await core.dispose();
  });

  // A compromised renderer could mark an environment as an emulator at a local listener's address and name the
  // operator's SSO profile: the SSO sign-in's bearer token would go there. Without the rule, add accepted it.
  it.each(['corp', 'corp-admin'])('refuses SSO profile %s (or a chain from it) for an emulator, before any call', async (profile) => {
    override.calls.length = 0;
    const core = await coreWith();
    const reply = await dispatch(core, 'environments.add', {
      name: 'Fake emulator',
      region: 'eu-west-1',
      endpoint: override.url,
      emulator: true,
      credentials: { source: 'profile', profile },
    });
    expect(reply).toMatchObject({ t: 'error', error: { code: 'VALIDATION', message: expect.stringMatching(/signs in with SSO/) } });
    expect((await core.handlers['environments.list']({}, { signal: new AbortController().signal })).environments).toHaveLength(1);
    // Not an emulator: the profile is taken, and its SSO calls go to AWS, never to the override.
    expect(
      await dispatch(core, 'environments.add', {
        name: 'Corp',
        region: 'eu-west-1',
        endpoint: override.url,
        credentials: { source: 'profile', profile },
      }),
    ).toMatchObject({ t: 'result' });
    expect(override.calls).toEqual([]);
    await core.dispose();
  });
});
