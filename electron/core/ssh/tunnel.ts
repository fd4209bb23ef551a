import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../../shared/node/log.js';
import { describe, openConnection, SshError, type ConnectOptions, type SshConnection } from './connection.js';

export type TunnelState =
  | { kind: 'connecting' }
  | { kind: 'up' }
  | { kind: 'retrying'; inMs: number; attempt: number; reason: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'closed' };

export interface TunnelStatus {
  state: TunnelState;
  localPort: number;
  /** Bytes from the remote end to local clients, and from local clients to the remote end, over the tunnel's life. */
  bytesIn: number;
  bytesOut: number;
  /** Last SSH round trip (a global request answered by the server), ms. */
  latencyMs: number | undefined;
  openSockets: number;
}

export interface TunnelOptions {
  ssh: ConnectOptions;
  remoteHost: string;
  remotePort: number;
  /** A fixed local port; 0 or unset lets the kernel pick a free one. */
  localPort?: number;
  retry?: { firstDelayMs?: number; maxDelayMs?: number };
  latencyEveryMs?: number;
  log?: Logger;
}

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
const LATENCY_EVERY_MS = 5000;

/**
 * `ssh -L` that heals: 127.0.0.1:localPort → SSH (through any jump hops) →
 * remoteHost:remotePort. The listening port is held for the tunnel's whole
 * life, so a reconnect serves the same port and nothing else can take it in
 * between. While the SSH connection is down, local connections are reset at
 * once; the ones open when it dropped are reset too, so a client waiting for a
 * reply sees an error instead of hanging.
 */
export class Tunnel extends EventEmitter<{ status: [TunnelStatus] }> {
  private state: TunnelState = { kind: 'connecting' };
  private connection: SshConnection | undefined;
  private readonly sockets = new Set<Socket>();
  private bytesIn = 0;
  private bytesOut = 0;
  private latencyMs: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private latencyTimer: NodeJS.Timeout | undefined;
  private attempt = 0;

  private constructor(
    private readonly options: TunnelOptions,
    private readonly server: Server,
    readonly localPort: number,
  ) {
    super();
  }

  /** Listens, then connects; rejects (and frees the port) if the first connection fails. */
  static async open(options: TunnelOptions): Promise<Tunnel> {
    // Half-open like `ssh -L`: a client that shuts down its sending side (to
    // mark the end of a request) must still receive the reply.
    const server = createServer({ pauseOnConnect: true, noDelay: true, allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.localPort ?? 0, '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const tunnel = new Tunnel(options, server, typeof address === 'object' && address ? address.port : 0);
    server.on('connection', (socket) => tunnel.accept(socket));
    try {
      await tunnel.connect();
    } catch (error) {
      await tunnel.close();
      throw error;
    }
    return tunnel;
  }

  status(): TunnelStatus {
    return {
      state: this.state,
      localPort: this.localPort,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      latencyMs: this.latencyMs,
      openSockets: this.sockets.size,
    };
  }

  /** Frees the port and every socket; the tunnel does not come back. */
  async close(): Promise<void> {
    if (this.state.kind === 'closed') return;
    this.setState({ kind: 'closed' });
    clearTimeout(this.retryTimer);
    clearInterval(this.latencyTimer);
    this.resetSockets();
    this.connection?.close();
    this.connection = undefined;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async connect(): Promise<void> {
    this.setState({ kind: 'connecting' });
    const connection = await openConnection({ ...this.options.ssh, log: this.options.ssh.log ?? this.options.log });
    if (this.state.kind === 'closed') {
      connection.close();
      return;
    }
    this.connection = connection;
    this.attempt = 0;
    this.setState({ kind: 'up' });
    connection.onClose((reason) => this.dropped(connection, reason));
    void this.probeLatency();
    this.latencyTimer = setInterval(() => void this.probeLatency(), this.options.latencyEveryMs ?? LATENCY_EVERY_MS);
  }

  private dropped(connection: SshConnection, reason: string): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    clearInterval(this.latencyTimer);
    this.latencyMs = undefined;
    this.resetSockets();
    if (this.state.kind === 'closed') return;
    this.options.log?.warn('ssh', `Tunnel on 127.0.0.1:${this.localPort} lost its SSH connection: ${reason}`);
    this.scheduleRetry(reason);
  }

  /** Exponential backoff with jitter (half to all of the step), so many tunnels do not reconnect in lockstep. */
  private scheduleRetry(reason: string): void {
    const first = this.options.retry?.firstDelayMs ?? FIRST_DELAY_MS;
    const cap = this.options.retry?.maxDelayMs ?? MAX_DELAY_MS;
    const step = Math.min(cap, first * 2 ** this.attempt);
    const inMs = Math.round(step / 2 + (Math.random() * step) / 2);
    this.attempt++;
    this.setState({ kind: 'retrying', inMs, attempt: this.attempt, reason });
    this.retryTimer = setTimeout(() => {
      this.connect().catch((error: unknown) => {
        if (this.state.kind === 'closed') return;
        const why = describe(error);
        // Refusals (host key, authentication) do not heal by waiting; the operator must act.
        if (error instanceof SshError && !error.retryable) this.setState({ kind: 'failed', reason: why });
        else this.scheduleRetry(why);
      });
    }, inMs);
  }

  private accept(socket: Socket): void {
    const connection = this.connection;
    if (!connection || this.state.kind !== 'up') {
      socket.resetAndDestroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const source = { address: socket.remoteAddress ?? '127.0.0.1', port: socket.remotePort ?? 0 };
    try {
      connection.client.forwardOut(source.address, source.port, this.options.remoteHost, this.options.remotePort, (error, stream) => {
        if (error) {
          this.options.log?.warn('ssh', `Tunnel to ${this.options.remoteHost}:${this.options.remotePort}: ${error.message}`);
          socket.resetAndDestroy();
          return;
        }
        if (socket.destroyed) {
          stream.destroy();
          return;
        }
        socket.on('data', (chunk: Buffer) => (this.bytesOut += chunk.length));
        stream.on('data', (chunk: Buffer) => (this.bytesIn += chunk.length));
        socket.pipe(stream);
        stream.pipe(socket);
        stream.on('error', () => socket.resetAndDestroy());
        // The remote end closed: finish what was written (pipe ends the socket), and never leave the channel behind.
        socket.once('close', () => stream.destroy());
        socket.resume();
      });
    } catch {
      // ssh2 throws synchronously when its socket is already gone; the drop handler is on its way.
      socket.resetAndDestroy();
    }
  }

  /** RST rather than FIN: a client mid-request must see an error, not a clean end it could mistake for a reply. */
  private resetSockets(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  /**
   * A global request the server must answer, timed. `cancel-tcpip-forward` for
   * a forward that does not exist is refused without side effects by OpenSSH
   * and ssh2 servers alike; ssh2 has no public call for a bare keepalive.
   */
  private async probeLatency(): Promise<void> {
    const client = this.connection?.client;
    if (!client) return;
    const started = performance.now();
    const answered = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      try {
        client.unforwardIn('127.0.0.1', 0, () => {
          clearTimeout(timer);
          resolve(true);
        });
      } catch {
        clearTimeout(timer);
        resolve(false);
      }
    });
    if (!answered || this.connection?.client !== client) return;
    this.latencyMs = Math.round((performance.now() - started) * 100) / 100;
    this.emit('status', this.status());
  }

  private setState(state: TunnelState): void {
    this.state = state;
    this.emit('status', this.status());
  }
}
