import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { inProcessCore } from '../../electron/supervisor/in-process.js';
import { startWebHost, type WebHost } from '../../electron/web/server.js';
import { INITIAL_STREAM_CREDIT } from '../../shared/protocol.js';
import { testCore } from '../helpers/core.js';
import { projectRoot } from '../helpers/web-host-process.js';
import { SocketPeer, openSocket } from '../helpers/ws-client.js';

let core: Core;
let host: WebHost;

beforeAll(async () => {
  core = await testCore();
  host = await startWebHost({ core: inProcessCore(core), rendererDir: join(projectRoot, 'out', 'renderer') });
});
afterAll(async () => {
  await host?.close();
});

const settle = () => new Promise((r) => setTimeout(r, 200));

describe('streams over the web host', () => {
  it('stop at the credit for a client that does not read, and resume as it acknowledges', async () => {
    for (let i = 0; i < 1000; i++) core.log.info('load', `line ${i} ${'x'.repeat(200)}`);
    const peer = new SocketPeer(await openSocket(host.port, { token: host.token }));
    peer.send({ t: 'call', id: 1, op: 'logs.follow', input: { backlog: 1000 } });
    await peer.waitFor(() => peer.messages.length === INITIAL_STREAM_CREDIT);
    await settle();
    expect(peer.messages).toHaveLength(INITIAL_STREAM_CREDIT);
    peer.send({ t: 'ack', id: 1, n: 20 });
    await peer.waitFor(() => peer.messages.length === INITIAL_STREAM_CREDIT + 20);
    await settle();
    expect(peer.messages).toHaveLength(INITIAL_STREAM_CREDIT + 20);
    const seqs = peer.messages.map((m) => (m.t === 'chunk' ? (m.value as { seq: number }).seq : -1));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    peer.socket.close();
  });

  it('push status changes to every open window', async () => {
    const a = new SocketPeer(await openSocket(host.port, { token: host.token }));
    const b = new SocketPeer(await openSocket(host.port, { token: host.token }));
    for (const peer of [a, b]) peer.send({ t: 'call', id: 1, op: 'app.events', input: {} });
    for (const peer of [a, b]) await peer.waitFor((m) => m.t === 'chunk' && (m.value as { type: string }).type === 'notices');
    a.send({ t: 'call', id: 2, op: 'environments.select', input: { id: 'sandbox' } });
    for (const peer of [a, b]) {
      const events = peer.messages.filter((m) => m.t === 'chunk' && (m.value as { type: string }).type === 'environment');
      expect(events.length).toBeGreaterThanOrEqual(1);
    }
    await b.waitFor(() => b.messages.filter((m) => m.t === 'chunk' && (m.value as { type: string }).type === 'environment').length === 2);
    for (const peer of [a, b]) {
      peer.send({ t: 'ack', id: 1, n: 10 });
      peer.socket.close();
    }
  });
});
