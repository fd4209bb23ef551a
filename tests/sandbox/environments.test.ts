import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { readRunFile, type RunFile } from '../../sandbox/client/run-file.js';
import { testCore, tempDir } from '../helpers/core.js';

const { dataDir: sandboxDataDir } = inject('sandbox');
// Read now, not at setup: another test file may have restarted the sandbox on new ports.
let run: RunFile;
const signal = new AbortController().signal;
const saved = { config: process.env.AWS_CONFIG_FILE, credentials: process.env.AWS_SHARED_CREDENTIALS_FILE };
let core: Core;
let dir: string;

beforeAll(async () => {
  run = readRunFile(join(sandboxDataDir, 'sandbox', 'run.json'))!;
  dir = tempDir('tributary-aws-');
  const helper = join(dir, 'creds.sh');
  writeFileSync(
    helper,
    `#!/bin/sh\necho '${JSON.stringify({ Version: 1, AccessKeyId: run.credentials.accessKeyId, SecretAccessKey: run.credentials.secretAccessKey })}'\n`,
  );
  chmodSync(helper, 0o755);
  writeFileSync(
    join(dir, 'credentials'),
    // The sandbox's endpoint takes only its run's keys (and what its STS issues), as an account takes only its own.
    `[static]\naws_access_key_id = ${run.credentials.accessKeyId}\naws_secret_access_key = ${run.credentials.secretAccessKey}\n`,
  );
  writeFileSync(
    join(dir, 'config'),
    [
      '[profile static]',
      'region = eu-west-1',
      '[profile process]',
      `credential_process = ${helper}`,
      '[profile emr-admin]',
      'role_arn = arn:aws:iam::123456789012:role/EMR_DefaultRole',
      'source_profile = static',
      'role_session_name = tributary-test',
      '[profile mfa-admin]',
      'role_arn = arn:aws:iam::123456789012:role/EMR_DefaultRole',
      'source_profile = static',
      'role_session_name = tributary-mfa',
      'mfa_serial = arn:aws:iam::123456789012:mfa/operator',
      '[profile sso-user]',
      'sso_session = corp',
      'sso_account_id = 123456789012',
      'sso_role_name = Admin',
      'region = us-east-1',
      '[sso-session corp]',
      'sso_start_url = https://corp.awsapps.com/start',
      'sso_region = us-east-1',
      '',
    ].join('\n'),
  );
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  core = await testCore();
});

afterAll(() => {
  for (const [key, value] of [
    ['AWS_CONFIG_FILE', saved.config],
    ['AWS_SHARED_CREDENTIALS_FILE', saved.credentials],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

async function addProfile(profile: string, emulator = true) {
  const list = await core.handlers['environments.add'](
    // An emulator: a role chain's STS calls go to it too, not to AWS. An SSO profile is never an emulator's
    // (tests/security/secrets-and-endpoints.test.ts): its sign-in stays with AWS.
    {
      name: `Profile ${profile}`,
      region: 'us-east-1',
      endpoint: run.endpoint,
      emulator,
      credentials: { source: 'profile', profile },
    },
    { signal },
  );
  return list.environments.at(-1)!.id;
}

describe('AWS environments, by the AWS CLI’s own rules, against the sandbox’s STS', () => {
  it('lists the profiles of AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE with their kind', async () => {
    const profiles = await core.handlers['environments.profiles']({}, { signal });
    expect(profiles).toEqual([
      { name: 'emr-admin', kind: 'assume-role' },
      { name: 'mfa-admin', kind: 'assume-role' },
      { name: 'process', kind: 'credential-process' },
      { name: 'sso-user', kind: 'sso', region: 'us-east-1' },
      { name: 'static', kind: 'static-keys', region: 'eu-west-1' },
    ]);
  });

  it('answers GetCallerIdentity for a static profile, a credential_process profile and a role chain', async () => {
    const staticId = await core.handlers['environments.identity']({ id: await addProfile('static') }, { signal });
    expect(staticId).toEqual({ kind: 'identity', identity: { account: '123456789012', arn: expect.any(String), region: 'us-east-1' } });
    const processId = await core.handlers['environments.identity']({ id: await addProfile('process') }, { signal });
    expect(processId).toMatchObject({ kind: 'identity', identity: { account: '123456789012' } });
    const role = await core.handlers['environments.identity']({ id: await addProfile('emr-admin') }, { signal });
    expect(role).toMatchObject({
      kind: 'identity',
      identity: { arn: expect.stringMatching(/^arn:aws:sts::123456789012:assumed-role\/EMR_DefaultRole\/tributary-test$/) },
    });
  });

  it('asks for the MFA code of a role chain once, then keeps the session credentials', async () => {
    const id = await addProfile('mfa-admin');
    expect(await core.handlers['environments.identity']({ id }, { signal })).toEqual({
      kind: 'needs-mfa',
      serial: 'arn:aws:iam::123456789012:mfa/operator',
    });
    const answered = await core.handlers['environments.identity']({ id, mfaCode: '123456' }, { signal });
    expect(answered).toMatchObject({
      kind: 'identity',
      identity: { arn: expect.stringMatching(/assumed-role\/EMR_DefaultRole\/tributary-mfa$/) },
    });
    // The assumed role's credentials are reused: no second question.
    expect(await core.handlers['environments.identity']({ id }, { signal })).toMatchObject({ kind: 'identity' });
  });

  it('says what to do when a profile does not exist or an SSO session is missing', async () => {
    await expect(core.handlers['environments.identity']({ id: await addProfile('nobody') }, { signal })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/No credentials for Profile nobody: .*Fix: check profile nobody in .*config/),
    });
    await expect(core.handlers['environments.identity']({ id: await addProfile('sso-user', false) }, { signal })).rejects.toMatchObject({
      message: expect.stringMatching(/aws sso login --profile sso-user/),
    });
  });

  it('keeps typed-in keys in the secret store only, never in the environments file or a result', async () => {
    const secret = run.credentials.secretAccessKey;
    const list = await core.handlers['environments.add'](
      {
        name: 'Typed keys',
        region: 'us-east-1',
        endpoint: run.endpoint,
        credentials: { source: 'keys', accessKeyId: run.credentials.accessKeyId, secretAccessKey: secret },
      },
      { signal },
    );
    const added = list.environments.at(-1)!;
    expect(JSON.stringify(list)).not.toContain(secret);
    expect(readFileSync(join(core.info.dataDir, 'environments.json'), 'utf8')).not.toContain(secret);
    expect(added.credentials).toEqual({ source: 'keys' });
    expect(await core.handlers['environments.identity']({ id: added.id }, { signal })).toMatchObject({
      kind: 'identity',
      identity: { account: '123456789012' },
    });
    await core.handlers['environments.remove']({ id: added.id }, { signal });
    expect(await core.handlers['secrets.list']({}, { signal })).toEqual([]);
  });

  it('asks for the sandbox to be started when it is not running, and answers when it is', async () => {
    await expect(core.handlers['environments.identity']({ id: 'sandbox' }, { signal })).rejects.toMatchObject({
      message: expect.stringMatching(/sandbox is not running.*Start it/),
    });
    const withSandbox = await testCore(sandboxDataDir);
    expect(await withSandbox.handlers['environments.identity']({ id: 'sandbox' }, { signal })).toMatchObject({
      identity: { account: '123456789012' },
    });
  });
});
