import { request } from 'node:http';
import WebSocket from 'ws';
import type { HostMessage } from '../../shared/protocol.js';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request with whatever Host/Origin/Authorization a test wants to forge. */
export function httpGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Opens /rpc; resolves with the socket, or rejects with the HTTP status the host refused with. `protocols`
 * replaces the subprotocols a client offers (ours, and the token when given); `headers` adds any others.
 */
export function openSocket(
  port: number,
  options: { token?: string; origin?: string; host?: string; path?: string; protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<WebSocket> {
  const protocols = options.protocols ?? ['tributary.v1', ...(options.token ? [`tributary.token.${options.token}`] : [])];
  const headers: Record<string, string> = { ...options.headers };
  if (options.origin) headers.origin = options.origin;
  if (options.host) headers.host = options.host;
  const socket = new WebSocket(`ws://127.0.0.1:${port}${options.path ?? '/rpc'}`, protocols, { headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => reject(Object.assign(new Error(`refused ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
    });
    socket.once('error', reject);
  });
}

/** Collects host messages from a socket and lets a test wait for the reply to an id. */
export class SocketPeer {
  readonly messages: HostMessage[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString()) as HostMessage);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async waitFor(predicate: (message: HostMessage) => boolean, timeoutMs = 10_000): Promise<HostMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(this.messages.slice(-3))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** The final answer to request `id`: a result, an error or the end of a stream. */
  reply(id: number): Promise<HostMessage> {
    return this.waitFor((m) => m.id === id && m.t !== 'chunk');
  }
}
