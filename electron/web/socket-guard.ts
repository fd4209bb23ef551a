import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Refusal } from './auth.js';

/**
 * Bounds on what any local process can make the web host hold. Loopback clients all share one address, so the
 * caps are on counts: sockets not yet an authenticated WebSocket (a browser's page loads, and every hostile
 * connection) and authenticated sessions (one per tab).
 */
export const socketLimits = {
  /** Whole request head; a slow-headers client is cut off after this. */
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  /** A socket that is not an authenticated WebSocket and says nothing for this long is closed. */
  idleTimeoutMs: 30_000,
  /** Beyond this, the oldest unauthenticated socket is dropped: a flood starves itself, not the next real tab. */
  maxUnauthenticated: 256,
  maxSessions: 32,
};

/** Tracks every socket of one server from its first byte: error handler, idle timeout, caps. */
export class SocketGuard {
  /** Insertion order is age: the first is the oldest. */
  private readonly unauthenticated = new Set<Socket>();
  private sessions = 0;

  constructor(server: Server) {
    server.headersTimeout = socketLimits.headersTimeoutMs;
    server.requestTimeout = socketLimits.requestTimeoutMs;
    server.keepAliveTimeout = socketLimits.keepAliveTimeoutMs;
    // Node's own handler destroys a socket idle this long while it serves HTTP on it.
    server.timeout = socketLimits.idleTimeoutMs;
    server.on('connection', (socket: Socket) => this.admit(socket));
  }

  /**
   * An upgrade hands the socket over without Node's own error and timeout handlers, and a refusal then writes to
   * it. Ours, added on 'connection', stays, so a peer's reset ends just this socket instead of being an unhandled
   * 'error' that ends the process; the idle timeout comes back here, and ws clears it once the socket is an
   * authenticated WebSocket.
   */
  watchUpgrade(socket: Socket): void {
    socket.setTimeout(socketLimits.idleTimeoutMs, () => socket.destroy());
  }

  /** Refuses a new session when every slot is taken, before the handshake completes. */
  checkCapacity(): Refusal | undefined {
    if (this.sessions < socketLimits.maxSessions) return undefined;
    return { status: 503, message: `Refused: ${socketLimits.maxSessions} tabs are already connected; close one and reload.` };
  }

  /** The socket now carries an authenticated session: it leaves the unauthenticated pool and takes a slot. */
  promote(socket: Socket): void {
    this.unauthenticated.delete(socket);
    this.sessions += 1;
    socket.once('close', () => (this.sessions -= 1));
  }

  private admit(socket: Socket): void {
    socket.on('error', dropSocket);
    this.unauthenticated.add(socket);
    socket.once('close', () => this.unauthenticated.delete(socket));
    if (this.unauthenticated.size > socketLimits.maxUnauthenticated) {
      const oldest = this.unauthenticated.values().next().value;
      oldest?.destroy();
      if (oldest) this.unauthenticated.delete(oldest);
    }
  }
}

/**
 * A socket error is the peer's doing (reset, broken pipe) and ends only that socket; it is not logged, since any
 * local process could otherwise fill the app log with them.
 */
function dropSocket(this: Socket): void {
  this.destroy();
}
