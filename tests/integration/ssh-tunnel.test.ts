import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnection, SshError, type ConnectOptions, type UnknownHostKey } from '../../electron/core/ssh/connection.js';
import { addKnownHost, checkHostKey, hostEntryName } from '../../electron/core/ssh/known-hosts.js';
import { resolveSshHost, type SshEndpoint } from '../../electron/core/ssh/ssh-config.js';
import { Tunnel, type TunnelStatus } from '../../electron/core/ssh/tunnel.js';
import { startAwsStandIn } from '../helpers/aws-stand-in.js';
import { testCore } from '../helpers/core.js';
import {
  connectLocal,
  descendants,
  makeUserKey,
  median,
  roundTrip,
  startSplitEchoServer,
  startSshd,
  type EchoServer,
  type Sshd,
  type UserKey,
} from '../helpers/sshd.js';

let dir: string;
let target: Sshd;
let jump: Sshd;
let echo: EchoServer;
let key: UserKey;
let pemKey: UserKey;
let agentKey: UserKey;
let strangerKey: UserKey;
let knownHosts: string;

const PEM_PASSPHRASE = 'correct horse battery staple';
const refuseUnknown = async (): Promise<boolean> => {
  throw new Error('no host key prompt expected here');
};

function endpoint(sshd: Sshd, identityFiles: string[]): SshEndpoint {
  return { host: '127.0.0.1', port: sshd.port, user: 'root', identityFiles, identitiesOnly: true };
}

function sshOptions(extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return { target: endpoint(target, [key.path]), knownHostsFile: knownHosts, onUnknownHostKey: refuseUnknown, ...extra };
}

function hostKeyBlob(sshd: Sshd): Buffer {
  return Buffer.from(sshd.hostPublicKey.split(' ')[1]!, 'base64');
}

async function failureOf(promise: Promise<unknown>): Promise<SshError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SshError);
  return error as SshError;
}

function waitForStatus(tunnel: Tunnel, predicate: (status: TunnelStatus) => boolean, timeoutMs: number): Promise<TunnelStatus> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`tunnel status not reached in ${timeoutMs} ms: ${JSON.stringify(tunnel.status())}`)),
      timeoutMs,
    );
    const listener = (status: TunnelStatus) => {
      if (!predicate(status)) return;
      clearTimeout(timer);
      tunnel.off('status', listener);
      resolve(status);
    };
    tunnel.on('status', listener);
  });
}

/** Loopback TCP sockets in LISTEN state on `port` (from /proc/net/tcp). */
function listening(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .filter((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[1]?.endsWith(`:${hex}`) && fields[3] === '0A';
    }).length;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-ssh-test-'));
  key = makeUserKey(dir, 'id_ed25519');
  pemKey = makeUserKey(dir, 'id_rsa_pem', { format: 'pem', passphrase: PEM_PASSPHRASE });
  agentKey = makeUserKey(dir, 'id_agent');
  strangerKey = makeUserKey(dir, 'id_stranger');
  [target, jump, echo] = await Promise.all([
    startSshd({ name: 'target', authorizedKeys: [key.publicKey, pemKey.publicKey, agentKey.publicKey] }),
    startSshd({ name: 'jump', authorizedKeys: [key.publicKey] }),
    startSplitEchoServer(),
  ]);
  knownHosts = join(dir, 'known_hosts');
  await addKnownHost(knownHosts, '127.0.0.1', target.port, hostKeyBlob(target));
  await addKnownHost(knownHosts, '127.0.0.1', jump.port, hostKeyBlob(jump));
});

afterAll(async () => {
  await Promise.all([target?.stop(), jump?.stop(), echo?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('SSH logins', () => {
  it('log in with an OpenSSH key, and with a PEM key whose passphrase comes from the callback', async () => {
    const plain = await openConnection(sshOptions());
    plain.close();
    const asked: string[] = [];
    const pem = await openConnection(
      sshOptions({
        target: endpoint(target, [pemKey.path]),
        passphrase: async (file) => {
          asked.push(file);
          return asked.length === 1 ? 'wrong guess' : PEM_PASSPHRASE;
        },
      }),
    );
    pem.close();
    expect(asked).toEqual([pemKey.path, pemKey.path]);
  });

  it('log in through ssh-agent', async () => {
    const socket = join(dir, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
      execFileSync('ssh-add', ['-q', agentKey.path], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const connection = await openConnection(
        sshOptions({
          target: { ...endpoint(target, []), identitiesOnly: false, identityFiles: [join(dir, 'absent')] },
          agentSocket: socket,
        }),
      );
      connection.close();
      expect(readFileSync(target.logFile, 'utf8')).toMatch(/Accepted publickey for root .* ED25519 SHA256:/);
    } finally {
      agent.kill();
    }
  });

  it('say "authentication failed" or "cannot reach", without key material', async () => {
    const refused = await failureOf(openConnection(sshOptions({ target: endpoint(target, [strangerKey.path]) })));
    expect(refused.failure).toBe('auth-failed');
    expect(refused.message).toContain(`Authentication failed for root@127.0.0.1:${target.port}`);
    expect(refused.message).not.toMatch(/PRIVATE KEY|AAAA/);

    const closedPort = await failureOf(openConnection(sshOptions({ target: { ...endpoint(target, [key.path]), port: 1 } })));
    expect(closedPort.failure).toBe('unreachable');
    expect(closedPort.message).toMatch(/Cannot reach 127\.0\.0\.1:1 .*ECONNREFUSED/);
  });

  it('follow an ssh_config alias with Include, ~ in IdentityFile and a two-hop ProxyJump', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, 'conf.d'), { recursive: true });
    writeFileSync(
      join(home, 'conf.d', 'jumps.conf'),
      `Host hop1 hop2\n  HostName 127.0.0.1\n  Port ${jump.port}\n  User root\n  IdentityFile ${key.path}\n`,
    );
    writeFileSync(
      join(home, 'config'),
      [
        `Include conf.d/*.conf`,
        `ServerAliveInterval 7`,
        `Host db`,
        `  HostName 127.0.0.1`,
        `  Port ${target.port}`,
        `  User root`,
        `  IdentityFile ~/.ssh/id_db`,
        `  IdentitiesOnly yes`,
        `  ProxyJump hop1,hop2`,
      ].join('\n'),
    );
    const resolved = resolveSshHost('db', join(home, 'config'));
    expect(resolved).toMatchObject({ host: '127.0.0.1', port: target.port, user: 'root', identitiesOnly: true, serverAliveIntervalSec: 7 });
    expect(resolved.identityFiles[0]).toMatch(/^\/.*\/\.ssh\/id_db$/);
    expect(resolved.jumps.map((hop) => hop.port)).toEqual([jump.port, jump.port]);

    const acceptedBefore = (readFileSync(jump.logFile, 'utf8').match(/Accepted publickey/g) ?? []).length;
    const connection = await openConnection(sshOptions({ jumps: resolved.jumps, target: { ...resolved, identityFiles: [key.path] } }));
    connection.close();
    // Both hops logged in to the jump server: the second over a channel of the first.
    expect((readFileSync(jump.logFile, 'utf8').match(/Accepted publickey/g) ?? []).length - acceptedBefore).toBe(2);
  });
});

describe('host keys', () => {
  it('ask about an unknown key with its ssh-keygen fingerprint; a refusal records nothing, an acceptance records it', async () => {
    const file = join(dir, 'known_hosts.fresh');
    const expected = execFileSync('ssh-keygen', ['-lf', target.hostPublicKeyFile], { encoding: 'utf8' }).split(' ')[1];
    const prompts: UnknownHostKey[] = [];
    const rejected = await failureOf(
      openConnection(sshOptions({ knownHostsFile: file, onUnknownHostKey: async (k) => (prompts.push(k), false) })),
    );
    expect(rejected.failure).toBe('host-key-rejected');
    expect(existsSync(file)).toBe(false);

    const accepted = await openConnection(sshOptions({ knownHostsFile: file, onUnknownHostKey: async (k) => (prompts.push(k), true) }));
    accepted.close();
    expect(prompts.map((p) => p.fingerprint)).toEqual([expected, expected]);
    expect(prompts[0]).toMatchObject({ host: '127.0.0.1', port: target.port, keyType: 'ssh-ed25519' });
    // Hashed: the file does not say where we connect.
    const recorded = readFileSync(file, 'utf8');
    expect(recorded).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
    expect(recorded).not.toContain(hostEntryName('127.0.0.1', target.port));
    // OpenSSH itself reads the entry we wrote.
    expect(execFileSync('ssh-keygen', ['-F', hostEntryName('127.0.0.1', target.port), '-f', file], { encoding: 'utf8' })).toContain(
      'ssh-ed25519',
    );

    const again = await openConnection(sshOptions({ knownHostsFile: file }));
    again.close();
  });

  it('refuse a changed key loudly, without asking', async () => {
    const file = join(dir, 'known_hosts.changed');
    writeFileSync(file, `# a comment\n${hostEntryName('127.0.0.1', target.port)} ${jump.hostPublicKey}\n`);
    const error = await failureOf(openConnection(sshOptions({ knownHostsFile: file })));
    expect(error.failure).toBe('host-key-changed');
    expect(error.message).toContain('HAS CHANGED');
    expect(error.message).toContain(`${file} line 2`);
    expect(await checkHostKey(file, '127.0.0.1', target.port, hostKeyBlob(target))).toMatchObject({ status: 'changed', line: 2 });
  });

  it('refuse a key marked @revoked', async () => {
    const file = join(dir, 'known_hosts.revoked');
    writeFileSync(file, `${hostEntryName('127.0.0.1', target.port)} ${target.hostPublicKey}\n@revoked * ${target.hostPublicKey}\n`);
    const error = await failureOf(openConnection(sshOptions({ knownHostsFile: file })));
    expect(error.failure).toBe('host-key-revoked');
  });
});

describe('tunnels', () => {
  it('come back on the same local port after the SSH connection is killed; a request in flight fails fast', async () => {
    const tunnel = await Tunnel.open({ ssh: sshOptions(), remoteHost: '127.0.0.1', remotePort: echo.port, retry: { firstDelayMs: 200 } });
    try {
      const port = tunnel.localPort;
      const before = await connectLocal(port);
      await roundTrip(before, Buffer.from('hello'));
      const idleOutcome = new Promise<string | undefined>((resolve) => before.once('error', (e: NodeJS.ErrnoException) => resolve(e.code)));
      const states: string[] = [];
      tunnel.on('status', (s) => states.push(s.state.kind));

      const waiting = await connectLocal(port);
      const outcome = new Promise<string>((resolve) => {
        waiting.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        waiting.once('close', () => resolve('closed'));
        waiting.on('data', () => resolve('reply'));
      });
      waiting.write('hold on');
      await new Promise((r) => setTimeout(r, 100));
      const droppedAt = Date.now();
      expect(target.dropConnections()).toBeGreaterThan(0);

      expect(await outcome).toBe('ECONNRESET');
      expect(await idleOutcome).toBe('ECONNRESET');
      expect(Date.now() - droppedAt).toBeLessThan(1000);
      const up = await waitForStatus(tunnel, (s) => s.state.kind === 'up', 5000);
      expect(Date.now() - droppedAt).toBeLessThan(5000);
      expect(up.localPort).toBe(port);
      expect(states).toContain('retrying');

      const after = await connectLocal(port);
      await roundTrip(after, Buffer.from('back again'));
      after.destroy();
      expect(tunnel.status().bytesOut).toBeGreaterThan(0);
      expect(tunnel.status().bytesIn).toBeGreaterThan(0);
    } finally {
      await tunnel.close();
    }
  });

  it('report an SSH round trip figure', async () => {
    const tunnel = await Tunnel.open({ ssh: sshOptions(), remoteHost: '127.0.0.1', remotePort: echo.port });
    try {
      const status =
        tunnel.status().latencyMs === undefined ? await waitForStatus(tunnel, (s) => s.latencyMs !== undefined, 5000) : tunnel.status();
      expect(status.latencyMs).toBeGreaterThan(0);
      expect(status.latencyMs).toBeLessThan(100);
    } finally {
      await tunnel.close();
    }
  });

  it('leak nothing over 50 open/close cycles: no listening port, descriptor or server-side connection', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const warm = await Tunnel.open({ ssh: sshOptions(), remoteHost: '127.0.0.1', remotePort: echo.port });
    await warm.close();
    const baseline = fds();
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) {
      const tunnel = await Tunnel.open({ ssh: sshOptions(), remoteHost: '127.0.0.1', remotePort: echo.port });
      ports.push(tunnel.localPort);
      const socket = await connectLocal(tunnel.localPort);
      const reset = new Promise<string | undefined>((resolve) => socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code)));
      await roundTrip(socket, Buffer.from(`cycle ${i}`));
      // Closed with the client still connected: close() must reset it.
      await tunnel.close();
      expect(await reset).toBe('ECONNRESET');
    }
    expect(ports.map(listening).reduce((a, b) => a + b, 0)).toBe(0);
    for (let i = 0; i < 40 && descendants(target.pid).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(descendants(target.pid)).toEqual([]);
    expect(fds() - baseline).toBeLessThanOrEqual(2);
  });

  it('answer small request/responses without the 40 ms Nagle stall', async () => {
    const tunnel = await Tunnel.open({ ssh: sshOptions(), remoteHost: '127.0.0.1', remotePort: echo.port });
    try {
      const socket = await connectLocal(tunnel.localPort);
      const times: number[] = [];
      for (let i = 0; i < 50; i++) times.push(await roundTrip(socket, Buffer.from(`ping ${i}`)));
      socket.destroy();
      // Measured here (OpenSSH 9.2, Linux 6.18 loopback) with `lowLatency: false`: on a quiet machine every
      // trip took ~43.5 ms (median 43.4), the delayed ACK the small writes wait for; with the fix the median
      // is ~0.15-0.3 ms, and a CI machine running the other suites beside it measured medians up to ~14 ms
      // (sshd and this process waiting for a core, not for an ACK). A bound on the stall itself, half of it,
      // fails the unfixed path and not a loaded one; a bound relative to direct trips failed CI on load alone.
      expect(median(times)).toBeLessThan(22);
    } finally {
      await tunnel.close();
    }
  });
});

describe('bastion sessions', () => {
  it('open to a Host of the SSH config after the host key question, and carry a tunnel to a private Redshift endpoint', async () => {
    // The Redshift cluster's endpoint is the echo server; DescribeClusters is answered by the stand-in (a mock) at the environment's endpoint.
    const aws = await startAwsStandIn();
    aws.redshiftClusters['private-dw'] = { address: '127.0.0.1', port: echo.port };
    const config = join(dir, 'ssh_config.bastion');
    writeFileSync(
      config,
      [
        `Host corp-bastion locked-bastion`,
        `  HostName 127.0.0.1`,
        `  Port ${target.port}`,
        `  User root`,
        `  IdentitiesOnly yes`,
        `Host corp-bastion`,
        `  IdentityFile ${key.path}`,
        `Host locked-bastion`,
        `  IdentityFile ${pemKey.path}`,
      ].join('\n'),
    );
    const saved = process.env.TRIBUTARY_SSH_CONFIG;
    process.env.TRIBUTARY_SSH_CONFIG = config;
    const core = await testCore();
    const signal = new AbortController().signal;
    try {
      const added = await core.handlers['environments.add'](
        {
          name: 'No EMR',
          region: 'eu-west-1',
          endpoint: aws.url,
          credentials: { source: 'keys', accessKeyId: 'AKIABASTION000000001', secretAccessKey: 'bastion-test-secret-key' },
        },
        { signal },
      );
      await core.handlers['environments.select']({ id: added.environments.at(-1)!.id }, { signal });

      const first = await core.handlers['sessions.openBastion']({ host: 'corp-bastion' }, { signal });
      const expected = execFileSync('ssh-keygen', ['-lf', target.hostPublicKeyFile], { encoding: 'utf8' }).split(' ')[1];
      expect(first).toEqual({
        kind: 'unknown-host-key',
        question: { host: '127.0.0.1', port: target.port, keyType: 'ssh-ed25519', fingerprint: expected },
      });
      if (first.kind !== 'unknown-host-key') return;
      const opened = await core.handlers['sessions.openBastion'](
        { host: 'corp-bastion', trustFingerprint: first.question.fingerprint },
        { signal },
      );
      expect(opened).toMatchObject({
        kind: 'session',
        session: { kind: 'bastion', alias: 'corp-bastion', user: 'root', host: '127.0.0.1', port: target.port, state: 'up' },
      });
      if (opened.kind !== 'session') return;
      const sessionId = opened.session.id;
      expect((await core.handlers['sessions.list']({}, { signal })).map((s) => s.kind)).toEqual(['bastion']);

      await expect(core.handlers['sessions.forward']({ sessionId, service: 'spark-thrift' }, { signal })).rejects.toMatchObject({
        code: 'CONFLICT',
        message: expect.stringMatching(/runs on an EMR master; this session is to bastion corp-bastion/),
      });

      const tunnel = await core.handlers['sessions.forwardRedshift']({ sessionId, clusterIdentifier: 'private-dw' }, { signal });
      expect(tunnel).toMatchObject({ service: 'redshift', name: 'Redshift private-dw', remotePort: echo.port });
      expect(aws.calls).toEqual(['DescribeClusters']);
      const socket = await connectLocal(tunnel.localPort);
      await roundTrip(socket, Buffer.from('SELECT 1'));
      socket.destroy();
      expect((await core.handlers['sessions.list']({}, { signal }))[0]!.tunnels[0]!.bytesIn).toBeGreaterThan(0);
      await core.handlers['sessions.close']({ id: sessionId }, { signal });

      // The accepted key went to Tributary's own known_hosts: no question the second time. An encrypted key's passphrase is asked for.
      expect(await core.handlers['sessions.openBastion']({ host: 'corp-bastion' }, { signal })).toMatchObject({ kind: 'session' });
      expect(await core.handlers['sessions.openBastion']({ host: 'locked-bastion' }, { signal })).toEqual({
        kind: 'needs-passphrase',
        keyFile: pemKey.path,
        wrong: false,
      });
      expect(
        await core.handlers['sessions.openBastion']({ host: 'locked-bastion', keyPassphrase: 'not the passphrase' }, { signal }),
      ).toEqual({ kind: 'needs-passphrase', keyFile: pemKey.path, wrong: true });
      expect(
        await core.handlers['sessions.openBastion']({ host: 'locked-bastion', keyPassphrase: PEM_PASSPHRASE }, { signal }),
      ).toMatchObject({ kind: 'session', session: { alias: 'locked-bastion' } });
    } finally {
      await core.dispose();
      await aws.close();
      if (saved === undefined) delete process.env.TRIBUTARY_SSH_CONFIG;
      else process.env.TRIBUTARY_SSH_CONFIG = saved;
    }
  });
});
