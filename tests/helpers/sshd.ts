import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { freePort, portOpen } from '../../shared/node/ports.js';
import { startProcess } from '../../shared/node/process.js';

/**
 * Real OpenSSH servers for tests and benchmarks: each has its own config, host
 * key, authorized_keys and log in a temp directory, and listens on a free
 * loopback port. Nothing of the machine's own sshd is touched.
 */
export interface Sshd {
  port: number;
  dir: string;
  /** `type base64`, as in a .pub file. */
  hostPublicKey: string;
  hostPublicKeyFile: string;
  logFile: string;
  pid: number;
  /** SIGKILLs every process serving a connection; the listener stays up. Returns how many were killed. */
  dropConnections(): number;
  stop(): Promise<void>;
}

export interface UserKey {
  path: string;
  publicKey: string;
}

/** A user key pair made by ssh-keygen; `pem` gives the old PEM (RSA) format, `openssh` the default one. */
export function makeUserKey(dir: string, name: string, options: { format?: 'openssh' | 'pem'; passphrase?: string } = {}): UserKey {
  const path = join(dir, name);
  const args = options.format === 'pem' ? ['-t', 'rsa', '-b', '2048', '-m', 'PEM'] : ['-t', 'ed25519'];
  execFileSync('ssh-keygen', [...args, '-q', '-N', options.passphrase ?? '', '-C', name, '-f', path]);
  return { path, publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

export async function startSshd(options: { authorizedKeys: string[]; name?: string }): Promise<Sshd> {
  // sshd refuses to start without its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), `tributary-${options.name ?? 'sshd'}-`));
  const hostKey = join(dir, 'host_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-host', '-f', hostKey]);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, options.authorizedKeys.join('\n') + '\n', { mode: 0o600 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'UsePAM no',
      'StrictModes no',
      // Tests run as root.
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      'LogLevel VERBOSE',
    ].join('\n') + '\n',
  );
  const logFile = join(dir, 'sshd.log');
  const running = await startProcess({
    name: 'sshd',
    command: '/usr/sbin/sshd',
    args: ['-D', '-e', '-f', config],
    logFile,
    ready: () => portOpen(port, 500),
    readyTimeoutMs: 10_000,
  });
  return {
    port,
    dir,
    hostPublicKey: readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' '),
    hostPublicKeyFile: `${hostKey}.pub`,
    logFile,
    pid: running.pid,
    dropConnections: () => {
      const victims = descendants(running.pid);
      for (const pid of victims) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      return victims.length;
    },
    stop: async () => {
      for (const pid of descendants(running.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every process below `root`, read from /proc (sshd forks a monitor and a session process per connection). */
export function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses; the fields after its last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // Exited while we looked.
    }
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

/**
 * A tiny request/response protocol shaped like a database's: each reply is
 * written in two pieces (a one-byte header, then the body), which is what
 * meets Nagle's algorithm on a forward. A request starting with `hold` gets no
 * reply, to leave a client waiting mid-request.
 */
export async function startSplitEchoServer(): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      if (chunk.subarray(0, 4).toString() === 'hold') return;
      socket.write(chunk.subarray(0, 1));
      setImmediate(() => socket.writable && socket.write(chunk.subarray(1)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends `payload` and resolves with the ms until as many bytes came back. */
export function roundTrip(socket: Socket, payload: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received < payload.length) return;
      socket.off('data', onData);
      socket.off('error', reject);
      resolve(performance.now() - started);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(payload);
  });
}

export function connectLocal(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
