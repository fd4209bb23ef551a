import { randomBytes } from 'node:crypto';
import type { TunnelInfo, TunnelTarget } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/node/log.js';
import type { TunnelStatus } from './tunnel.js';

/** What the pool needs of a tunnel (a `Tunnel`, or a stand-in in tests). */
export interface PooledTunnel {
  readonly localPort: number;
  status(): TunnelStatus;
  close(): Promise<void>;
}

/** What a tunnel is for, as the operator sees it. */
export interface TunnelPurpose {
  service: TunnelTarget;
  name: string;
  remotePort: number;
  /** A web UI: the tunnel's info carries its local URL. */
  web: boolean;
}

export interface TunnelPoolOptions {
  /** Minutes a tunnel may go unused before it closes, 0 for never; asked at every sweep, so a new setting applies at once. */
  idleMinutes: () => Promise<number>;
  /** The number of open tunnels changed. */
  onChange: () => void;
  log: Logger;
  sweepEveryMs?: number;
}

interface Entry {
  info: Omit<TunnelInfo, 'state' | 'bytesIn' | 'bytesOut' | 'latencyMs'>;
  tunnel: PooledTunnel;
  /** When it was last seen in use (a connection open, or bytes moving). */
  lastUsed: number;
  lastBytes: number;
}

const SWEEP_EVERY_MS = 5000;

/**
 * The open tunnels, grouped by the owner that opened them (an SSH session),
 * and their idle policy: a tunnel nothing has used for the configured time
 * closes, so no local port stays open for nothing.
 */
export class TunnelPool {
  private readonly owners = new Map<string, Map<string, Entry>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: TunnelPoolOptions) {
    this.sweeper = setInterval(
      () => void this.sweep().catch((error: unknown) => options.log.warn('sessions', 'Idle tunnel sweep failed', error)),
      options.sweepEveryMs ?? SWEEP_EVERY_MS,
    );
    this.sweeper.unref();
  }

  add(owner: string, tunnel: PooledTunnel, purpose: TunnelPurpose): TunnelInfo {
    const { service, name, remotePort, web } = purpose;
    const entry: Entry = {
      tunnel,
      lastUsed: Date.now(),
      lastBytes: 0,
      info: {
        id: randomBytes(6).toString('hex'),
        service,
        name,
        localPort: tunnel.localPort,
        remotePort,
        ...(web ? { url: `http://127.0.0.1:${tunnel.localPort}/` } : {}),
      },
    };
    const entries = this.owners.get(owner) ?? new Map<string, Entry>();
    this.owners.set(owner, entries.set(entry.info.id, entry));
    this.options.onChange();
    return infoOf(entry);
  }

  /** The local port of an owner's tunnel to `service` (and `name`, where one service has many) that has not given up. */
  reusable(owner: string, service: TunnelTarget, name?: string): number | undefined {
    const entries = this.owners.get(owner)?.values() ?? [];
    const open = [...entries].find(
      (e) => e.info.service === service && (!name || e.info.name === name) && e.tunnel.status().state.kind !== 'failed',
    );
    return open?.info.localPort;
  }

  list(owner: string): TunnelInfo[] {
    return [...(this.owners.get(owner)?.values() ?? [])].map(infoOf);
  }

  count(): number {
    let count = 0;
    for (const entries of this.owners.values()) count += entries.size;
    return count;
  }

  async close(owner: string, id: string): Promise<void> {
    const entry = this.owners.get(owner)?.get(id);
    if (!entry) throw new AppError('NOT_FOUND', `No tunnel ${id}`);
    this.owners.get(owner)!.delete(id);
    await entry.tunnel.close();
    this.options.onChange();
  }

  /** Every tunnel of an owner (a session closing takes its tunnels along). */
  async closeAll(owner: string): Promise<void> {
    const entries = this.owners.get(owner);
    if (!entries) return;
    this.owners.delete(owner);
    await Promise.all([...entries.values()].map((e) => e.tunnel.close()));
    if (entries.size) this.options.onChange();
  }

  /** Closes the tunnels unused for the configured time; one in use (a connection open, bytes moving) starts its time again. */
  async sweep(now = Date.now()): Promise<void> {
    const minutes = await this.options.idleMinutes();
    if (minutes === 0) return;
    for (const entries of this.owners.values()) {
      for (const [id, entry] of entries) {
        const status = entry.tunnel.status();
        const bytes = status.bytesIn + status.bytesOut;
        if (status.openSockets > 0 || bytes !== entry.lastBytes) {
          entry.lastUsed = now;
          entry.lastBytes = bytes;
        } else if (now - entry.lastUsed >= minutes * 60_000) {
          entries.delete(id);
          await entry.tunnel.close();
          this.options.log.info(
            'sessions',
            `Closed the ${entry.info.name} tunnel on 127.0.0.1:${entry.info.localPort}: unused for ${minutes} min`,
          );
          this.options.onChange();
        }
      }
    }
  }

  /** No sweep after this, and no tunnel left open. */
  async dispose(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.owners.keys()].map((owner) => this.closeAll(owner)));
  }
}

function infoOf({ info, tunnel }: Entry): TunnelInfo {
  const status = tunnel.status();
  const state = status.state;
  const text =
    state.kind === 'retrying'
      ? `retrying in ${Math.ceil(state.inMs / 1000)} s (${state.reason})`
      : state.kind === 'failed'
        ? `failed: ${state.reason}`
        : state.kind;
  return {
    ...info,
    state: text,
    bytesIn: status.bytesIn,
    bytesOut: status.bytesOut,
    ...(status.latencyMs !== undefined ? { latencyMs: status.latencyMs } : {}),
  };
}
