import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import type { SsoLoginChunk } from '../../shared/contract/index.js';
import { AppError } from '../../shared/errors.js';
import { RpcClient } from '../../shared/rpc-client.js';
import { startAwsStandIn, USER_CODE, type AwsStandIn } from '../helpers/aws-stand-in.js';
import { tempDir, testCore } from '../helpers/core.js';
import { LoopbackTransport } from '../helpers/loopback.js';
import { until } from '../helpers/until.js';

/**
 * `aws sso login` in the app, against a stand-in for IAM Identity Center (see
 * tests/helpers/aws-stand-in.ts: a mock, since no real one can run here). The
 * SDK's own clients reach it through the standard endpoint variables, so what
 * is tested is Tributary's flow and the SDK reading the token it cached.
 */
const ENV_KEYS = [
  'HOME',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_ENDPOINT_URL_SSO_OIDC',
  'AWS_ENDPOINT_URL_SSO',
  'AWS_ENDPOINT_URL_STS',
  'AWS_PROFILE',
] as const;
const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
const START_URL = 'https://corp.awsapps.com/start';
const LEGACY_START_URL = 'https://legacy.awsapps.com/start';

let standIn: AwsStandIn;
let home: string;
let core: Core;
let client: RpcClient;

beforeAll(async () => {
  standIn = await startAwsStandIn();
  home = tempDir('tributary-sso-home-');
  writeFileSync(
    join(home, 'config'),
    [
      '[profile sso-dev]',
      'sso_session = corp',
      'sso_account_id = 111122223333',
      'sso_role_name = DataEngineer',
      'region = eu-west-1',
      '[sso-session corp]',
      `sso_start_url = ${START_URL}`,
      'sso_region = us-east-1',
      'sso_registration_scopes = sso:account:access',
      '[profile sso-legacy]',
      `sso_start_url = ${LEGACY_START_URL}`,
      'sso_region = us-east-1',
      'sso_account_id = 444455556666',
      'sso_role_name = ReadOnly',
      '[profile sso-other]',
      'sso_session = other',
      'sso_account_id = 111122223333',
      'sso_role_name = DataEngineer',
      '[sso-session other]',
      'sso_start_url = https://other.awsapps.com/start',
      'sso_region = us-east-1',
      '[profile static]',
      'aws_access_key_id = AKIASTATIC0000000001',
      'aws_secret_access_key = static-secret-key-00001',
      '',
    ].join('\n'),
  );
  Object.assign(process.env, {
    // The token cache is ~/.aws/sso/cache: a temp home keeps the operator's own untouched.
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_ENDPOINT_URL_SSO_OIDC: standIn.url,
    AWS_ENDPOINT_URL_SSO: standIn.url,
    AWS_ENDPOINT_URL_STS: standIn.url,
  });
  delete process.env.AWS_PROFILE;
  core = await testCore();
  client = new RpcClient(new LoopbackTransport(core));
});

afterAll(async () => {
  await core?.dispose();
  await standIn?.close();
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

async function addEnvironment(profile: string): Promise<string> {
  // The environment's region differs from sso_region on purpose: the SSO calls must still go to sso_region.
  const list = await client.call('environments.add', {
    name: `SSO ${profile}`,
    region: 'eu-west-1',
    credentials: { source: 'profile', profile },
  });
  return list.environments.at(-1)!.id;
}

function failureOf(promise: Promise<unknown>): Promise<AppError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as AppError,
  );
}

function tokenFile(key: string): string {
  // The CLI's name: the SHA-1 of the session name (or the start URL), in ~/.aws/sso/cache.
  return join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update(key).digest('hex')}.json`);
}

describe('IAM Identity Center sign-in (aws sso login)', () => {
  it('says the SSO session is missing, signs in with the device code, caches the token as the CLI does, and then the identity resolves', async () => {
    const id = await addEnvironment('sso-dev');
    const missing = await failureOf(client.call('environments.identity', { id }));
    expect(missing).toBeInstanceOf(AppError);
    expect(missing.code).toBe('LOGIN_REQUIRED');
    expect(missing.message).toMatch(/SSO session of profile sso-dev has expired or is missing.*aws sso login --profile sso-dev/);

    const chunks: SsoLoginChunk[] = [];
    standIn.calls.length = 0;
    standIn.pendingPolls = 2;
    await client.stream('environments.ssoLogin', { id }, { onChunk: (chunk) => void chunks.push(chunk) }).done;
    expect(chunks).toEqual([
      {
        kind: 'code',
        userCode: USER_CODE,
        verificationUriComplete: `https://device.sso.us-east-1.amazonaws.com/?user_code=${USER_CODE}`,
        expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      { kind: 'done' },
    ]);
    expect(standIn.calls).toEqual(['RegisterClient', 'StartDeviceAuthorization', 'CreateToken', 'CreateToken', 'CreateToken']);
    expect(standIn.registrations.at(-1)).toEqual({ clientName: 'tributary', clientType: 'public', scopes: ['sso:account:access'] });

    const file = tokenFile('corp');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(token)).toEqual([
      'startUrl',
      'region',
      'accessToken',
      'expiresAt',
      'clientId',
      'clientSecret',
      'registrationExpiresAt',
      'refreshToken',
    ]);
    expect(token).toMatchObject({
      startUrl: START_URL,
      region: 'us-east-1',
      accessToken: expect.stringMatching(/^access-token-/),
      refreshToken: expect.stringMatching(/^refresh-token-/),
    });
    // The CLI's time format: whole seconds, UTC.
    expect(token.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(token.registrationExpiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(token.expiresAt!) - Date.now()).toBeGreaterThan(3500_000);

    // The SDK's fromSSO reads that file: GetRoleCredentials with the token, then STS with the role's keys.
    standIn.calls.length = 0;
    const identity = await client.call('environments.identity', { id });
    expect(identity).toEqual({
      kind: 'identity',
      identity: {
        account: '111122223333',
        arn: expect.stringMatching(/^arn:aws:sts::111122223333:assumed-role\/AWSReservedSSO_DataEngineer_/),
        region: 'eu-west-1',
      },
    });
    expect(standIn.calls).toEqual(['GetRoleCredentials', 'GetCallerIdentity']);
    expect(standIn.stsRegion).toBe('eu-west-1');
    expect(standIn.lastRole).toEqual({ accountId: '111122223333', roleName: 'DataEngineer' });

    // No secret of the sign-in reached a chunk, the renderer's error texts or the log.
    await core.log.flush();
    const logs = readdirSync(join(core.info.dataDir, 'logs'))
      .map((f) => readFileSync(join(core.info.dataDir, 'logs', f), 'utf8'))
      .join('');
    expect(logs).toContain('Signed in to IAM Identity Center for profile sso-dev');
    for (const value of standIn.secrets) {
      expect(JSON.stringify(chunks)).not.toContain(value);
      expect(logs).not.toContain(value);
    }
  });

  it('caches a legacy profile’s token under its start URL, with the CLI’s fields for one', async () => {
    const id = await addEnvironment('sso-legacy');
    expect((await failureOf(client.call('environments.identity', { id }))).code).toBe('LOGIN_REQUIRED');
    standIn.pendingPolls = 0;
    await client.stream('environments.ssoLogin', { id }, { onChunk: () => undefined }).done;
    expect(standIn.registrations.at(-1)).toEqual({ clientName: 'tributary', clientType: 'public' });
    const file = tokenFile(LEGACY_START_URL);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(token)).toEqual(['startUrl', 'region', 'accessToken', 'expiresAt']);
    expect(await client.call('environments.identity', { id })).toMatchObject({ kind: 'identity', identity: { account: '444455556666' } });
  });

  it('stops polling when the sign-in is cancelled, and writes no token', async () => {
    const id = await addEnvironment('sso-other');
    standIn.pendingPolls = Infinity;
    standIn.calls.length = 0;
    const chunks: SsoLoginChunk[] = [];
    const handle = client.stream('environments.ssoLogin', { id }, { onChunk: (chunk) => void chunks.push(chunk) });
    await until('a second CreateToken poll', () => standIn.calls.filter((call) => call === 'CreateToken').length >= 2, 10_000);
    handle.cancel();
    expect((await failureOf(handle.done)).code).toBe('CANCELLED');
    const polls = standIn.calls.filter((call) => call === 'CreateToken').length;
    // Three poll intervals of the stand-in: a poller still running would have asked again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(standIn.calls.filter((call) => call === 'CreateToken').length).toBe(polls);
    expect(chunks.map((chunk) => chunk.kind)).toEqual(['code']);
    expect(existsSync(tokenFile('other'))).toBe(false);
  });

  it('refuses an environment whose profile is not an SSO one', async () => {
    const id = await addEnvironment('static');
    const refused = await failureOf(client.stream('environments.ssoLogin', { id }, { onChunk: () => undefined }).done);
    expect(refused).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/not .*IAM Identity Center \(SSO\) profile/) });
  });
});
