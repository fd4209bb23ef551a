import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { HostKeyQuestion, OpenSessionResult } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/node/log.js';
import { openConnection, SshError, type ConnectOptions, type SshConnection } from '../ssh/connection.js';
import { resolveSshHost, type ResolvedHost } from '../ssh/ssh-config.js';
import type { KeyFileStore } from './key-files.js';

/** What the operator answered to a question opening a session asked before. */
export interface SessionAnswers {
  trustFingerprint?: string;
  keyPassphrase?: string;
}

export type Route = Pick<ConnectOptions, 'target' | 'jumps' | 'serverAliveIntervalSec'>;

/** Logged in, with the options that log in again the same way (tunnels do, and again when they reconnect); or the one question to ask first. */
export type LoginResult =
  | { kind: 'logged-in'; connection: SshConnection; again: ConnectOptions }
  | Extract<OpenSessionResult, { kind: 'unknown-host-key' | 'needs-passphrase' }>;

/** A Host of the SSH config Tributary follows: OpenSSH's own, or TRIBUTARY_SSH_CONFIG (as `ssh -F`). */
export function sshHost(alias: string): ResolvedHost {
  const file = process.env.TRIBUTARY_SSH_CONFIG || join(homedir(), '.ssh', 'config');
  try {
    return resolveSshHost(alias, file);
  } catch (error) {
    throw new AppError('VALIDATION', `Cannot use SSH host ${alias} of ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The key pair's file: given now, remembered, or the fallback (the sandbox's own); the one used is remembered. */
export async function keyFileFor(
  keys: KeyFileStore,
  keyName: string | undefined,
  given: string | undefined,
  fallback: string | undefined,
): Promise<string | undefined> {
  const name = keyName ?? '(none)';
  const candidate = given ?? (await keys.keyFileOf(name)) ?? fallback;
  if (!candidate) return undefined;
  try {
    accessSync(candidate, constants.R_OK);
  } catch {
    throw new AppError('VALIDATION', `Cannot read the key file ${candidate}; pick the private key (.pem) of key pair ${name}.`);
  }
  await keys.rememberKeyFile(name, candidate);
  return candidate;
}

/**
 * Logs in, or returns the one question to ask first: an unknown host key
 * (trusted keys go to Tributary's own known_hosts), or an encrypted key
 * file's passphrase (said to be wrong when the one given did not open it).
 */
export async function login(route: Route, answers: SessionAnswers, knownHostsFile: string, log: Logger): Promise<LoginResult> {
  let question: HostKeyQuestion | undefined;
  let encryptedKey: string | undefined;
  if (answers.keyPassphrase) log.addSecret(answers.keyPassphrase);
  // Asked once per login attempt: the given passphrase, or nothing (and then the operator is asked).
  let asked = false;
  const connect: ConnectOptions = {
    ...route,
    knownHostsFile,
    onUnknownHostKey: async (key) => {
      if (answers.trustFingerprint === key.fingerprint) return true;
      question = key;
      return false;
    },
    passphrase: (keyFile) => {
      encryptedKey = keyFile;
      if (asked) return Promise.resolve(undefined);
      asked = true;
      return Promise.resolve(answers.keyPassphrase);
    },
    log,
  };
  try {
    const connection = await openConnection(connect);
    // The host key is known now; the same key and passphrase log in again.
    const again = { ...connect, onUnknownHostKey: () => Promise.resolve(false), passphrase: () => Promise.resolve(answers.keyPassphrase) };
    return { kind: 'logged-in', connection, again };
  } catch (error) {
    if (question && error instanceof SshError && error.failure === 'host-key-rejected') return { kind: 'unknown-host-key', question };
    if (encryptedKey && error instanceof SshError && error.failure === 'auth-failed')
      return { kind: 'needs-passphrase', keyFile: encryptedKey, wrong: answers.keyPassphrase !== undefined };
    throw error;
  }
}
