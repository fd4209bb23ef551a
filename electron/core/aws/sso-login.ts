import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  AuthorizationPendingException,
  CreateTokenCommand,
  ExpiredTokenException,
  RegisterClientCommand,
  SlowDownException,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { getSSOTokenFilepath, loadSharedConfigFiles, loadSsoSessionData, type SSOToken } from '@smithy/shared-ini-file-loader';
import writeFileAtomic from 'write-file-atomic';
import type { SsoLoginChunk } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/node/log.js';
import { sleep } from '../../../shared/node/sleep.js';
import { awsClientConfig } from './clients.js';

/** Where a profile signs in to IAM Identity Center, as the shared config file says. */
export interface SsoSignIn {
  profile: string;
  startUrl: string;
  /** sso_region: where the OIDC and portal endpoints are, not the environment's region. */
  region: string;
  /** The `[sso-session name]` of a profile that names one; legacy profiles carry sso_start_url themselves. */
  session?: string;
  scopes?: string[];
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** The CLI's defaults: poll every 5 s unless told otherwise, and 5 s more on each SlowDown. */
const DEFAULT_INTERVAL_SEC = 5;
const SLOW_DOWN_SEC = 5;

/** The profile's SSO settings, read by the SDK's own loader; undefined for a profile that is not an SSO one. */
export async function ssoSignInOf(profile: string): Promise<SsoSignIn | undefined> {
  // Fresh from disk: the operator may have just run `aws configure sso`. The session data read next uses this read.
  const { configFile } = await loadSharedConfigFiles({ ignoreCache: true });
  const settings = configFile[profile];
  if (!settings) return undefined;
  const name = settings.sso_session;
  if (name) {
    const session = (await loadSsoSessionData())[name];
    if (!session?.sso_start_url || !session.sso_region) {
      throw new AppError(
        'CONFLICT',
        `Profile ${profile} names sso-session ${name}, which has no sso_start_url and sso_region in ${process.env.AWS_CONFIG_FILE ?? '~/.aws/config'}.`,
      );
    }
    const scopes = session.sso_registration_scopes
      ?.split(',')
      .map((scope) => scope.trim())
      .filter(Boolean);
    return { profile, startUrl: session.sso_start_url, region: session.sso_region, session: name, ...(scopes?.length ? { scopes } : {}) };
  }
  if (!settings.sso_start_url) return undefined;
  if (!settings.sso_region) throw new AppError('CONFLICT', `Profile ${profile} has sso_start_url but no sso_region.`);
  return { profile, startUrl: settings.sso_start_url, region: settings.sso_region };
}

/**
 * The device authorization flow of `aws sso login`: register a public client,
 * start a device authorization, hand the code to the operator, poll for the
 * token, and cache it where the CLI does, so the SDK's fromSSO picks it up.
 * The access and refresh tokens and the client secret go to the file only.
 */
export async function* ssoDeviceLogin(
  sso: SsoSignIn,
  deps: { version: string; log: Logger },
  signal: AbortSignal,
): AsyncGenerator<SsoLoginChunk> {
  // Not an environment's AwsScope: the sign-in talks to the profile's sso_region without credentials or the environment's endpoint.
  const oidc = new SSOOIDCClient(awsClientConfig({ region: sso.region }, deps.version));
  try {
    const client = await oidc.send(
      new RegisterClientCommand({
        clientName: 'tributary',
        clientType: 'public',
        ...(sso.session && sso.scopes ? { scopes: sso.scopes } : {}),
      }),
      { abortSignal: signal },
    );
    const clientId = client.clientId;
    const clientSecret = client.clientSecret;
    if (!clientId || !clientSecret) throw new AppError('UNAVAILABLE', `IAM Identity Center in ${sso.region} registered no client.`);
    deps.log.addSecret(clientSecret);
    const device = await oidc.send(new StartDeviceAuthorizationCommand({ clientId, clientSecret, startUrl: sso.startUrl }), {
      abortSignal: signal,
    });
    const { deviceCode, userCode, verificationUriComplete } = device;
    if (!deviceCode || !userCode || !verificationUriComplete)
      throw new AppError('UNAVAILABLE', `IAM Identity Center gave no device code for ${sso.startUrl}.`);
    deps.log.addSecret(deviceCode);
    const deadline = Date.now() + (device.expiresIn ?? 600) * 1000;
    yield { kind: 'code', verificationUriComplete, userCode, expiresAt: new Date(deadline).toISOString() };

    let interval = device.interval ?? DEFAULT_INTERVAL_SEC;
    for (;;) {
      if (Date.now() >= deadline) throw codeExpired();
      try {
        const token = await oidc.send(new CreateTokenCommand({ grantType: DEVICE_GRANT, deviceCode, clientId, clientSecret }), {
          abortSignal: signal,
        });
        if (!token.accessToken) throw new AppError('UNAVAILABLE', 'IAM Identity Center answered without an access token.');
        deps.log.addSecret(token.accessToken);
        if (token.refreshToken) deps.log.addSecret(token.refreshToken);
        await writeTokenCache(sso, {
          startUrl: sso.startUrl,
          region: sso.region,
          accessToken: token.accessToken,
          expiresAt: cliTime(Date.now() + (token.expiresIn ?? 0) * 1000),
          // Only an sso-session token is refreshed by the SDK, with the client it was issued to.
          ...(sso.session
            ? {
                clientId,
                clientSecret,
                registrationExpiresAt: cliTime((client.clientSecretExpiresAt ?? 0) * 1000),
                ...(token.refreshToken ? { refreshToken: token.refreshToken } : {}),
              }
            : {}),
        });
        deps.log.info('environments', `Signed in to IAM Identity Center for profile ${sso.profile} (${sso.startUrl})`);
        return;
      } catch (error) {
        if (error instanceof SlowDownException) interval += SLOW_DOWN_SEC;
        else if (error instanceof ExpiredTokenException) throw codeExpired();
        else if (!(error instanceof AuthorizationPendingException)) throw error;
      }
      await sleep(interval * 1000, signal);
      if (signal.aborted) throw cancelled();
    }
  } catch (error) {
    throw failure(error, signal, deps.log);
  } finally {
    oidc.destroy();
  }
}

/** The CLI writes times as `2024-01-02T03:04:05Z`, without fractions of a second. */
function cliTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The CLI's cache key: the session name for an sso-session profile, the start URL for a legacy one. */
async function writeTokenCache(sso: SsoSignIn, token: SSOToken): Promise<void> {
  const file = getSSOTokenFilepath(sso.session ?? sso.startUrl);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, JSON.stringify(token), { mode: 0o600, fsync: true });
}

function codeExpired(): AppError {
  return new AppError('UNAVAILABLE', 'The sign-in code expired before it was approved. Start the SSO sign-in again.');
}

function cancelled(): AppError {
  return new AppError('CANCELLED', 'The SSO sign-in was cancelled.');
}

function failure(error: unknown, signal: AbortSignal, log: Logger): AppError {
  if (error instanceof AppError) return error;
  if (signal.aborted) return cancelled();
  const name = (error as { name?: string }).name;
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('UNAVAILABLE', log.redact(`IAM Identity Center sign-in failed: ${name ? `${name}: ` : ''}${message}`));
}
