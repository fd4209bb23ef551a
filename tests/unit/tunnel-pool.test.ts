import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../../shared/node/log.js';
import type { TunnelState, TunnelStatus } from '../../electron/core/ssh/tunnel.js';
import { TunnelPool, type PooledTunnel } from '../../electron/core/ssh/tunnel-pool.js';

/** A tunnel whose use the test sets: open sockets, bytes moved, its state. */
class FakeTunnel implements PooledTunnel {
  openSockets = 0;
  bytes = 0;
  state: TunnelState = { kind: 'up' };
  closed = false;

  constructor(readonly localPort: number) {}

  status(): TunnelStatus {
    return {
      state: this.state,
      localPort: this.localPort,
      bytesIn: this.bytes,
      bytesOut: 0,
      latencyMs: undefined,
      openSockets: this.openSockets,
    };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const pools: TunnelPool[] = [];
afterEach(async () => Promise.all(pools.splice(0).map((p) => p.dispose())));

function pool(idleMinutes = 1) {
  const changes: number[] = [];
  const made = new TunnelPool({
    idleMinutes: () => Promise.resolve(idleMinutes),
    onChange: () => changes.push(made.count()),
    log: new Logger(undefined),
    sweepEveryMs: 3_600_000,
  });
  pools.push(made);
  return { pool: made, changes };
}

const yarn = { service: 'yarn', name: 'YARN ResourceManager', remotePort: 8088, web: true } as const;
const thrift = { service: 'spark-thrift', name: 'Spark Thrift Server', remotePort: 10001, web: false } as const;

describe('TunnelPool: the open tunnels by session and their idle policy', () => {
  it('lists an owner’s tunnels with their state, a web UI with its local URL, and says when the count changes', async () => {
    const { pool: tunnels, changes } = pool();
    const web = tunnels.add('s1', new FakeTunnel(4001), yarn);
    tunnels.add('s2', new FakeTunnel(4002), thrift);
    expect(web).toMatchObject({ service: 'yarn', localPort: 4001, remotePort: 8088, url: 'http://127.0.0.1:4001/', state: 'up' });
    expect(tunnels.list('s2')).toEqual([expect.not.objectContaining({ url: expect.anything() })]);
    expect(tunnels.count()).toBe(2);
    await tunnels.close('s1', web.id);
    expect(tunnels.list('s1')).toEqual([]);
    expect(changes).toEqual([1, 2, 1]);
    await expect(tunnels.close('s1', web.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reuses a tunnel to the same service of the same owner unless it has given up', () => {
    const { pool: tunnels } = pool();
    const first = new FakeTunnel(4001);
    tunnels.add('s1', first, thrift);
    expect(tunnels.reusable('s1', 'spark-thrift')).toBe(4001);
    expect(tunnels.reusable('s2', 'spark-thrift')).toBeUndefined();
    expect(tunnels.reusable('s1', 'redshift')).toBeUndefined();
    tunnels.add('s1', new FakeTunnel(4003), { service: 'redshift', name: 'Redshift dw', remotePort: 5439, web: false });
    expect(tunnels.reusable('s1', 'redshift', 'Redshift other')).toBeUndefined();
    expect(tunnels.reusable('s1', 'redshift', 'Redshift dw')).toBe(4003);
    first.state = { kind: 'failed', reason: 'authentication failed' };
    expect(tunnels.reusable('s1', 'spark-thrift')).toBeUndefined();
    expect(tunnels.list('s1')[0]).toMatchObject({ state: 'failed: authentication failed' });
  });

  it('closes a tunnel unused for the idle time; a connection or moving bytes start its time again', async () => {
    const { pool: tunnels, changes } = pool(1);
    const start = Date.now();
    const busy = new FakeTunnel(4001);
    const moving = new FakeTunnel(4002);
    const idle = new FakeTunnel(4003);
    tunnels.add('s1', busy, yarn);
    tunnels.add('s1', moving, thrift);
    tunnels.add('s2', idle, thrift);
    busy.openSockets = 1;
    await tunnels.sweep(start + 59_000);
    expect([busy.closed, moving.closed, idle.closed]).toEqual([false, false, false]);
    moving.bytes = 10;
    await tunnels.sweep(start + 61_000);
    expect([busy.closed, moving.closed, idle.closed]).toEqual([false, false, true]);
    // Bytes moved at 61 s: the minute counts from there.
    busy.openSockets = 0;
    await tunnels.sweep(start + 119_000);
    expect(moving.closed).toBe(false);
    await tunnels.sweep(start + 121_500);
    expect([busy.closed, moving.closed]).toEqual([true, true]);
    expect(tunnels.count()).toBe(0);
    expect(changes.at(-1)).toBe(0);
  });

  it('keeps idle tunnels open when the setting is 0', async () => {
    const { pool: tunnels } = pool(0);
    const idle = new FakeTunnel(4001);
    tunnels.add('s1', idle, thrift);
    await tunnels.sweep(Date.now() + 24 * 3_600_000);
    expect(idle.closed).toBe(false);
  });

  it('closes every tunnel of an owner with it, and every tunnel of all when disposed', async () => {
    const { pool: tunnels } = pool();
    const [a, b, c] = [new FakeTunnel(4001), new FakeTunnel(4002), new FakeTunnel(4003)];
    tunnels.add('s1', a, yarn);
    tunnels.add('s1', b, thrift);
    tunnels.add('s2', c, thrift);
    await tunnels.closeAll('s1');
    expect([a.closed, b.closed, c.closed]).toEqual([true, true, false]);
    await tunnels.dispose();
    expect(c.closed).toBe(true);
    expect(tunnels.count()).toBe(0);
  });
});
