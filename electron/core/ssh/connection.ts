import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
// ssh2 is CommonJS: Node's ESM loader sees only its default export, not named ones.
import ssh2, { type AnyAuthMethod, type AuthHandlerMiddleware, type Client, type ConnectConfig, type ParsedKey } from 'ssh2';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/node/log.js';
import { addKnownHost, checkHostKey, keyTypeOf, type HostKeyVerdict } from './known-hosts.js';
import type { SshEndpoint } from './ssh-config.js';

export type SshFailure = 'auth-failed' | 'unreachable' | 'host-key-changed' | 'host-key-revoked' | 'host-key-rejected' | 'protocol';

/** An SSH failure the operator can act on. `retryable` says whether trying again later could help. */
export class SshError extends AppError {
  constructor(
    readonly failure: SshFailure,
    message: string,
  ) {
    super('UNAVAILABLE', message);
    this.name = 'SshError';
  }

  get retryable(): boolean {
    return this.failure === 'unreachable' || this.failure === 'protocol';
  }
}

export interface UnknownHostKey {
  host: string;
  port: number;
  keyType: string;
  /** `SHA256:...`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

export interface ConnectOptions {
  target: SshEndpoint;
  /** ProxyJump hops, first one dialled directly. */
  jumps?: SshEndpoint[];
  knownHostsFile?: string;
  /** The operator's answer for a key known_hosts does not list. Accepted keys are recorded (hashed). */
  onUnknownHostKey: (key: UnknownHostKey) => Promise<boolean>;
  /** Asked for an encrypted key file; undefined skips that key. Asked again (up to 3 times) after a wrong answer. */
  passphrase?: (keyFile: string) => Promise<string | undefined>;
  /** ssh-agent socket; defaults to SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** ServerAliveInterval in seconds; 0 turns keepalives off. */
  serverAliveIntervalSec?: number;
  readyTimeoutMs?: number;
  /**
   * Make the server send small packets at once (see `preferLowLatency`). On by
   * default; off where running a no-op command on the server is not wanted.
   */
  lowLatency?: boolean;
  log?: Logger;
}

export interface SshConnection {
  /** The client logged in to the target. */
  client: Client;
  /**
   * Called once when any hop of the chain closes, with the reason when one is
   * known. Synchronously, before ssh2 ends the channels: a listener can still
   * tell its forwarded sockets "connection lost" from "the remote end finished".
   */
  onClose(listener: (reason: string) => void): void;
  close(): void;
}

const DEFAULT_ALIVE_SEC = 15;
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => join(homedir(), '.ssh', name));
const PASSPHRASE_ATTEMPTS = 3;

/** Logs in to the target, through each ProxyJump hop in turn (hop N's forwarded channel is hop N+1's socket). */
export async function openConnection(options: ConnectOptions): Promise<SshConnection> {
  const chain = [...(options.jumps ?? []), options.target];
  const clients: Client[] = [];
  const close = () => {
    for (const client of [...clients].reverse()) client.end();
  };
  try {
    let sock: Duplex | undefined;
    for (const [index, endpoint] of chain.entries()) {
      const client = await login(endpoint, sock, options);
      clients.push(client);
      const next = chain[index + 1];
      if (next) sock = await forward(client, next);
    }
  } catch (error) {
    close();
    throw error;
  }
  const target = clients[clients.length - 1]!;
  // Every hop's close reaches the target (its socket is a channel of the hop before), so one listener does.
  const listeners: ((reason: string) => void)[] = [];
  let reason = 'the SSH connection closed';
  target.on('error', (error) => (reason = describe(error)));
  target.once('close', () => {
    close();
    for (const listener of listeners) listener(reason);
  });
  return { client: target, onClose: (listener) => listeners.push(listener), close };
}

function forward(client: Client, next: SshEndpoint): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.host, next.port, (error, stream) => {
      if (error) reject(new SshError('unreachable', `The jump host could not reach ${next.host}:${next.port} (${error.message})`));
      else resolve(stream);
    });
  });
}

async function login(endpoint: SshEndpoint, sock: Duplex | undefined, options: ConnectOptions): Promise<Client> {
  const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
  const knownHosts = options.knownHostsFile ?? join(homedir(), '.ssh', 'known_hosts');
  let refusal: SshError | undefined;
  const tried: string[] = [];
  const client = new ssh2.Client();
  const alive = options.serverAliveIntervalSec ?? DEFAULT_ALIVE_SEC;
  const config: ConnectConfig = {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.user,
    readyTimeout: options.readyTimeoutMs ?? 20_000,
    keepaliveInterval: alive * 1000,
    // ServerAliveCountMax's default.
    keepaliveCountMax: 3,
    hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
      verifyHostKey(knownHosts, endpoint, key, options).then(
        (verdict) => {
          refusal = verdict;
          verify(verdict === undefined);
        },
        (error: unknown) => {
          refusal = new SshError('protocol', `Could not check the host key of ${endpoint.host}:${endpoint.port}: ${describe(error)}`);
          verify(false);
        },
      );
    },
    authHandler: authMethods(endpoint, options, tried),
  };
  if (sock) config.sock = sock;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error & { level?: string }) => {
      client.removeListener('ready', ready);
      client.end();
      if (refusal) reject(refusal);
      else if (error.level === 'client-authentication')
        reject(
          new SshError(
            'auth-failed',
            `Authentication failed for ${where} (tried: ${tried.join(', ') || 'nothing: no agent and no key file'})`,
          ),
        );
      else if (error.level === 'client-socket' || error.level === 'client-timeout' || isNetworkCode(error))
        reject(new SshError('unreachable', `Cannot reach ${endpoint.host}:${endpoint.port} (${describe(error)})`));
      else reject(new SshError('protocol', `SSH to ${where} failed: ${describe(error)}`));
    };
    const ready = () => {
      client.removeListener('error', fail);
      resolve();
    };
    client.once('ready', ready);
    client.once('error', fail);
    client.connect(config);
  });
  // A later error (keepalive timeout, reset) is reported through `closed`; without a listener it would crash the process.
  client.on('error', (error) => options.log?.debug('ssh', `${where}: ${describe(error)}`));
  if (options.lowLatency ?? true) await preferLowLatency(client, where, options.log);
  return client;
}

/** Undefined when the key may be used; the refusal otherwise. Unknown keys go to the operator. */
async function verifyHostKey(file: string, endpoint: SshEndpoint, key: Buffer, options: ConnectOptions): Promise<SshError | undefined> {
  const verdict: HostKeyVerdict = await checkHostKey(file, endpoint.host, endpoint.port, key);
  const name = `${endpoint.host}:${endpoint.port}`;
  switch (verdict.status) {
    case 'known':
      return undefined;
    case 'changed':
      options.log?.error('ssh', `Host key of ${name} changed: got ${verdict.fingerprint}, ${file} line ${verdict.line} has another`);
      return new SshError(
        'host-key-changed',
        `WARNING: THE HOST KEY OF ${name} HAS CHANGED. Someone could be intercepting this connection (man-in-the-middle), ` +
          `or the host was rebuilt. The server sent ${verdict.fingerprint}; ${file} line ${verdict.line} records a different key. ` +
          `Connection refused. If the change is expected, remove that line (ssh-keygen -R) and connect again.`,
      );
    case 'revoked':
      return new SshError(
        'host-key-revoked',
        `The host key of ${name} (${verdict.fingerprint}) is marked @revoked in ${file} line ${verdict.line}. Connection refused.`,
      );
    case 'unknown': {
      const accepted = await options.onUnknownHostKey({
        host: endpoint.host,
        port: endpoint.port,
        keyType: keyTypeOf(key),
        fingerprint: verdict.fingerprint,
      });
      if (!accepted) return new SshError('host-key-rejected', `The host key of ${name} (${verdict.fingerprint}) was not accepted.`);
      await addKnownHost(file, endpoint.host, endpoint.port, key);
      return undefined;
    }
  }
}

/**
 * OpenSSH's order: the agent's keys, then the key files. IdentitiesOnly keeps
 * to the files. Encrypted keys are decrypted only when their turn comes, so
 * the operator is not asked for a passphrase the agent made unnecessary.
 */
function authMethods(endpoint: SshEndpoint, options: ConnectOptions, tried: string[]): AuthHandlerMiddleware {
  const agent = options.agentSocket ?? process.env.SSH_AUTH_SOCK;
  const queue: (() => Promise<AnyAuthMethod | undefined>)[] = [];
  const username = endpoint.user;
  if (agent && !endpoint.identitiesOnly) {
    queue.push(async () => {
      tried.push('ssh-agent');
      return { type: 'agent', username, agent };
    });
  }
  const files = endpoint.identityFiles.length ? endpoint.identityFiles : DEFAULT_IDENTITIES;
  for (const file of files) {
    queue.push(async () => {
      const key = await loadKey(file, options, endpoint.identityFiles.includes(file));
      if (!key) return undefined;
      tried.push(`key ${file}`);
      return { type: 'publickey', username, key };
    });
  }
  // ssh2 takes `false` as "no more methods" (its documentation), which its typings leave out.
  const noMore = false as unknown as AnyAuthMethod;
  return (_left, _partial, next) => {
    const take = async (): Promise<AnyAuthMethod> => {
      for (let step = queue.shift(); step; step = queue.shift()) {
        const method = await step();
        if (method) return method;
      }
      return noMore;
    };
    take().then(next, (error: unknown) => {
      options.log?.warn('ssh', 'Could not prepare a login method', error);
      next(noMore);
    });
  };
}

/** A parsed private key (OpenSSH or PEM), or undefined to skip it: missing default file, no passphrase given. */
async function loadKey(file: string, options: ConnectOptions, named: boolean): Promise<ParsedKey | undefined> {
  const data = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    // Default key files are tried only if present, as OpenSSH does; a configured one is worth a line in the log.
    if (named) options.log?.warn('ssh', `Key file ${file} cannot be read (${error.code ?? error.message})`);
    return undefined;
  });
  if (!data) return undefined;
  let parsed = ssh2.utils.parseKey(data);
  for (
    let attempt = 0;
    parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message) && attempt < PASSPHRASE_ATTEMPTS;
    attempt++
  ) {
    const passphrase = await options.passphrase?.(file);
    if (passphrase === undefined) return undefined;
    parsed = ssh2.utils.parseKey(data, passphrase);
  }
  if (parsed instanceof Error) {
    options.log?.warn('ssh', `Key file ${file} cannot be used (${parsed.message})`);
    return undefined;
  }
  // New-format OpenSSH files parse to a list (of one key, for now), though the typings say otherwise.
  const key: unknown = parsed;
  return Array.isArray(key) ? (key[0] as ParsedKey | undefined) : parsed;
}

/**
 * OpenSSH's sshd before 10.1 turns Nagle's algorithm off on a connection only
 * when a session command starts on it (session.c calls
 * ssh_packet_set_interactive, which calls set_nodelay, from do_exec); a
 * connection that only forwards ports keeps Nagle on for its lifetime. Every
 * reply the server sends in more than one packet then waits for our delayed
 * ACK: about 40 ms per round trip on Linux. The socket option stays set after
 * the command ends, so one no-op command per connection is enough; no pty is
 * needed. Our own socket gets TCP_NODELAY for requests sent in several writes.
 * A server that refuses the command costs nothing but the fast path.
 */
async function preferLowLatency(client: Client, where: string, log: Logger | undefined): Promise<void> {
  client.setNoDelay(true);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      log?.debug('ssh', `${where}: no answer to the no-op command; small replies may be slower`);
      resolve();
    }, 5000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    client.exec('exit 0', (error, channel) => {
      if (error) {
        log?.debug('ssh', `${where}: the server refused a no-op command (${error.message}); small replies may be slower`);
        done();
        return;
      }
      // sshd answers the exec request after do_exec has set the option; the
      // command's own end (a shell starting and exiting) need not be awaited.
      channel.resume();
      channel.stderr.resume();
      done();
    });
  });
}

function isNetworkCode(error: Error & { code?: unknown }): boolean {
  return (
    typeof error.code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE)$/.test(error.code)
  );
}

/** An error's words without a stack; ssh2 messages carry no secrets, and the log redacts anyway. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
