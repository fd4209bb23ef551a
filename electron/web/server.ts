import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { MAX_MESSAGE_BYTES, type HostMessage } from '../../shared/protocol.js';
import type { CoreEndpoint } from '../supervisor/supervisor.js';
import { securityHeaders } from '../core/security/csp.js';
import { Gate, WS_PROTOCOL, newToken, type Refusal } from './auth.js';
import { SocketGuard } from './socket-guard.js';

export interface WebHostOptions {
  /** The core process's supervisor (or, in tests, a core in this process). */
  core: CoreEndpoint;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
}

export interface WebHost {
  port: number;
  token: string;
  /** The address to open, token in the fragment. */
  url: string;
  close(): Promise<void>;
}

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Host B: the same core as Electron, served to any Chromium over HTTP and one WebSocket per tab. Loopback only. */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const { core } = options;
  const rendererDir = resolve(options.rendererDir);
  const token = options.token ?? newToken();
  const server = createServer();
  const guard = new SocketGuard(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const gate = new Gate(port, token);
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    // The gate has already refused a socket that does not offer it.
    handleProtocols: () => WS_PROTOCOL,
  });

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    handleRequest(request, response).catch((error: unknown) => {
      core.log.error('web', 'Request failed', error);
      if (!response.headersSent) refuse(response, 500, 'Internal error; see the app log.');
    });
  });

  /** The bundle holds no secret: any page of ours may load it; only /rpc needs the token. */
  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const site = gate.checkSite(request.headers);
    if (site) return refuse(response, site.status, site.message);
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'Method not allowed.');
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    await serveFile(path, request.method === 'HEAD', response);
  }

  async function serveFile(urlPath: string, headOnly: boolean, response: ServerResponse): Promise<void> {
    let relative: string;
    try {
      relative = normalize(decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath));
    } catch {
      return refuse(response, 400, 'Bad path.');
    }
    const file = join(rendererDir, relative);
    if (!file.startsWith(rendererDir + sep)) return refuse(response, 404, 'Not found.');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return refuse(response, 404, 'Not found.');
    }
    response.writeHead(200, {
      ...securityHeaders,
      'Content-Type': mimeTypes[extname(file)] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': relative.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
    });
    response.end(headOnly ? undefined : body);
  }

  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    guard.watchUpgrade(socket);
    const refusal = gate.checkSite(request.headers) ?? wrongPath(request) ?? gate.checkSocket(request.headers) ?? guard.checkCapacity();
    if (refusal) return rejectUpgrade(socket, refusal);
    sockets.handleUpgrade(request, socket, head, (ws) => {
      guard.promote(socket);
      attach(ws);
    });
  });

  function attach(ws: WebSocket): void {
    const send = (message: HostMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    // 1012 (service restart): the core behind this socket is gone; the page reconnects to the next one.
    const session = core.connect(send, (reason) => ws.close(1012, reason));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      let parsed: unknown;
      try {
        if (isBinary) throw new Error('binary frame');
        parsed = JSON.parse(rawText(data));
      } catch {
        return send({ t: 'error', id: null, error: { code: 'BAD_MESSAGE', message: 'Messages must be JSON text frames.' } });
      }
      session.receive(parsed);
    });
    ws.on('close', () => session.close());
    ws.on('error', (error) => core.log.warn('web', 'WebSocket error', error));
  }

  const url = `http://127.0.0.1:${port}/#token=${token}`;
  core.log.info('web', `Web host listening on http://127.0.0.1:${port}/`);
  return {
    port,
    token,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function wrongPath(request: IncomingMessage): Refusal | undefined {
  return request.url === '/rpc' ? undefined : { status: 403, message: 'Refused: the only socket is /rpc.' };
}

const statusNames: Record<number, { error: string; reason: string }> = {
  400: { error: 'bad_request', reason: 'Bad Request' },
  401: { error: 'unauthorized', reason: 'Unauthorized' },
  403: { error: 'forbidden', reason: 'Forbidden' },
  503: { error: 'unavailable', reason: 'Service Unavailable' },
};

function refuse(response: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ error: statusNames[status]?.error ?? 'error', message });
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(body);
}

function rejectUpgrade(socket: Socket, refusal: Refusal): void {
  const { error, reason } = statusNames[refusal.status]!;
  const body = JSON.stringify({ error, message: refusal.message });
  socket.end(
    `HTTP/1.1 ${refusal.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
