import { fromEnv, fromIni } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AwsProfile, Environment } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { environmentKeysName } from '../secrets/names.js';
import type { SecretStore } from '../secrets/secret-store.js';

export interface StoredKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * An environment's credentials, by the SDK's own providers (the AWS CLI's
 * rules: AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, SSO, credential_process,
 * role chains), or the keys kept in the secret store.
 */
/** A role chain needs an MFA code the operator has not given yet. */
export class MfaRequired extends AppError {
  constructor(readonly serial: string) {
    super('UNAVAILABLE', `An MFA code for ${serial} is needed`);
  }
}

export function credentialsFor(
  environment: Environment,
  secrets: SecretStore,
  mfaCode: (serial: string) => string | undefined,
): AwsCredentialIdentityProvider {
  const source = environment.credentials;
  if (!source) throw new AppError('VALIDATION', `${environment.name} has no credential source`);
  switch (source.source) {
    case 'profile': {
      const provider = fromIni({
        profile: source.profile,
        // The STS and SSO calls of a role chain go where the environment's calls go only for an emulator: they carry
        // source credentials and SSO bearer tokens, which a VPC endpoint or proxy override must never receive. No region
        // here: it would override sso_region for the SSO portal; STS takes the profile's region, else the calling client's.
        clientConfig: {
          ...(environment.endpoint && environment.emulator ? { endpoint: environment.endpoint } : {}),
          requestHandler: new NodeHttpHandler(),
        },
        mfaCodeProvider: (serial) => {
          const code = mfaCode(serial);
          return code ? Promise.resolve(code) : Promise.reject(new MfaRequired(serial));
        },
      });
      if (!environment.emulator) return provider;
      // Checked at every use: an environment stored before the rule, or a profile edited since, is refused too.
      return async (options) => {
        const problem = await emulatorProfileProblem(source.profile);
        if (problem) throw new AppError('VALIDATION', problem);
        return provider(options);
      };
    }
    case 'environment':
      return fromEnv();
    case 'keys':
      return async () => {
        const stored = await secrets.get(environmentKeysName(environment.id));
        if (!stored)
          throw new AppError(
            'UNAVAILABLE',
            `The keys of ${environment.name} are gone (the secret store keeps them in memory only on this host). Remove the environment and add it again.`,
          );
        return JSON.parse(stored) as StoredKeys;
      };
  }
}

/**
 * Why a profile may not back an environment marked as an emulator: its chain signs in with SSO, and the
 * credential providers send the SSO portal's bearer token to an emulator's endpoint. Keys and role chains
 * from keys are fine there: their requests are signed, the secret itself never sent.
 */
export async function emulatorProfileProblem(profile: string): Promise<string | undefined> {
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true });
  const seen = new Set<string>();
  for (let name: string | undefined = profile; name !== undefined && !seen.has(name);) {
    seen.add(name);
    const settings: Record<string, string | undefined> = { ...credentialsFile[name], ...configFile[name] };
    if (settings.sso_session || settings.sso_start_url) {
      return `Profile ${name} signs in with SSO, and an emulator would receive the SSO sign-in's token. Use keys, or a profile with keys, for an emulator.`;
    }
    name = settings.role_arn ? settings.source_profile : undefined;
  }
  return undefined;
}

/** Profiles in the shared config and credentials files, read by the SDK's own loader. */
export async function listProfiles(): Promise<AwsProfile[]> {
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true });
  // The loader also returns `[sso-session x]` and `[services x]` sections, as "sso-session.x": not profiles.
  const names = new Set(
    [...Object.keys(configFile), ...Object.keys(credentialsFile)].filter((name) => !/^(sso-session|services)\./.test(name)),
  );
  return [...names].sort().map((name) => {
    const settings = { ...credentialsFile[name], ...configFile[name] };
    const kind: AwsProfile['kind'] =
      settings.sso_session || settings.sso_start_url
        ? 'sso'
        : settings.role_arn
          ? 'assume-role'
          : settings.credential_process
            ? 'credential-process'
            : settings.aws_access_key_id
              ? 'static-keys'
              : 'other';
    return settings.region ? { name, kind, region: settings.region } : { name, kind };
  });
}

/** What went wrong asking AWS who we are, said once, with the fix. */
export function explainCredentialError(error: unknown, environment: Environment, where: string): AppError {
  if (error instanceof AppError) return error;
  const name = (error as { name?: string }).name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  const profile = environment.credentials?.source === 'profile' ? environment.credentials.profile : undefined;
  if (/sso/i.test(message) && /expired|refresh|token/i.test(message)) {
    return new AppError(
      'LOGIN_REQUIRED',
      `The SSO session of profile ${profile ?? '?'} has expired or is missing. Fix: sign in with SSO here, or run \`aws sso login --profile ${profile ?? '<profile>'}\`, then check again.`,
    );
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials|not found in|profile .* could not be found/i.test(message)) {
    const fix = profile
      ? `Fix: check profile ${profile} in ${process.env.AWS_CONFIG_FILE ?? '~/.aws/config'} and ${process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'} (\`aws configure --profile ${profile}\`).`
      : 'Fix: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for Tributary, or choose a profile.';
    return new AppError('UNAVAILABLE', `No credentials for ${environment.name}: ${message} ${fix}`);
  }
  if (/ExpiredToken|RequestExpired/.test(name) || /expired/i.test(message)) {
    return new AppError(
      'UNAVAILABLE',
      `The credentials of ${environment.name} have expired. Fix: refresh them (\`aws sso login\`, a new session token, or new keys), then check again.`,
    );
  }
  if (/InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClient|AccessDenied/.test(name)) {
    return new AppError(
      'UNAVAILABLE',
      `AWS refused the credentials of ${environment.name} (${name}). Fix: check the keys or profile; they may have been rotated or deleted.`,
    );
  }
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|TimeoutError|EHOSTUNREACH/.test(`${name} ${message}`)) {
    return new AppError('UNAVAILABLE', `Cannot reach STS at ${where}: ${message}`);
  }
  return new AppError('UNAVAILABLE', `STS GetCallerIdentity failed for ${environment.name}: ${name ? `${name}: ` : ''}${message}`);
}
