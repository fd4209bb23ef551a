import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * Connections a hostile local process can make to the web host, on raw sockets so nothing is polite. Each
 * attack resolves when the host has closed the socket or after a short hold, whichever comes first, and
 * never rejects: refusals and resets are the expected outcome.
 */
export interface Target {
  port: number;
  token: string;
}

/** How long an attack keeps its socket when the host does not close it first. */
const HOLD_MS = 250;

export function dial(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    // The host may drop the socket at any point; that ends the attack, it is not a test failure.
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

/** Waits for the host to close the socket or for `holdMs`, then destroys it. */
export function settle(socket: Socket, holdMs = HOLD_MS): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, socket.destroyed ? 0 : holdMs);
    socket.once('close', done);
  });
}

/** The host's first answer on a socket ('' if it closed without one). */
export function firstAnswer(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve('');
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1')));
    socket.once('close', () => resolve(''));
  });
}

export interface UpgradeOptions {
  token?: string;
  protocols?: string[];
  origin?: string;
  host?: string;
}

export function upgradeRequest(port: number, options: UpgradeOptions = {}): string {
  const protocols = options.protocols ?? ['tributary.v1', ...(options.token ? [`tributary.token.${options.token}`] : [])];
  const lines = [
    'GET /rpc HTTP/1.1',
    `Host: ${options.host ?? `127.0.0.1:${port}`}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Protocol: ${protocols.join(', ')}`,
    ...(options.origin ? [`Origin: ${options.origin}`] : []),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

async function upgradeAndSettle(target: Target, options: UpgradeOptions): Promise<void> {
  const socket = await dial(target.port);
  socket.write(upgradeRequest(target.port, options));
  await settle(socket);
}

/** A masked text frame header announcing 1 TiB of payload, far over the host's limit. */
function oversizedFrameHeader(): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(2n ** 40n, 2);
  randomBytes(4).copy(header, 10);
  return header;
}

/** The attacks by name; `i` varies the timing or shape within a kind. */
export const attacks: Record<string, (target: Target, i: number) => Promise<void>> = {
  /** The crash of issue 13: refused upgrade, then a TCP reset, after the answer or at once. */
  'upgrade-reset': async (target, i) => {
    const socket = await dial(target.port);
    socket.write(upgradeRequest(target.port));
    if (i % 2 === 0) await firstAnswer(socket);
    if (!socket.destroyed) socket.resetAndDestroy();
  },
  'half-open': async (target, i) => {
    const socket = await dial(target.port);
    if (i % 2 === 0) socket.write('GET / HT');
    await settle(socket);
  },
  'slow-headers': async (target) => {
    const socket = await dial(target.port);
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nX-Slow: `);
    const drip = setInterval(() => socket.writable && socket.write('a'), 50);
    await settle(socket);
    clearInterval(drip);
  },
  garbage: async (target) => {
    const socket = await dial(target.port);
    socket.write(randomBytes(1024));
    await settle(socket);
  },
  'oversized-frame': async (target) => {
    const socket = await dial(target.port);
    socket.write(upgradeRequest(target.port, { token: target.token }));
    if ((await firstAnswer(socket)).startsWith('HTTP/1.1 101') && socket.writable) socket.write(oversizedFrameHeader());
    await settle(socket);
  },
  'wrong-subprotocol': (target) => upgradeAndSettle(target, { protocols: ['chat', `tributary.token.${target.token}`] }),
  'foreign-origin': (target) => upgradeAndSettle(target, { token: target.token, origin: 'http://attacker.example' }),
  'foreign-host': async (target) => {
    const socket = await dial(target.port);
    socket.write(`GET / HTTP/1.1\r\nHost: attacker.example:${target.port}\r\n\r\n`);
    await settle(socket);
  },
  'token-less-rpc': (target) => upgradeAndSettle(target, {}),
};

/** Runs `count` tasks, at most `concurrency` at a time. */
export async function inPool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
