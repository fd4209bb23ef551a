import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../log.js';
import { AwsError } from './aws-error.js';
import { serviceOf } from './service-name.js';

/** A service the gateway implements itself (AWS JSON 1.1, e.g. the Redshift Data API). */
export interface JsonService {
  handle(operation: string, input: unknown): Promise<unknown>;
}

/**
 * Adds realism to a service the emulator answers: may answer a request itself,
 * or rewrite the emulator's answer (lifecycle states, endpoints, step runs).
 */
export interface Interceptor {
  answer?(operation: string, body: string): Promise<{ status: number; body: string; contentType: string } | undefined>;
  rewrite?(operation: string, requestBody: string, responseBody: string, status: number): Promise<string>;
}

export interface GatewayOptions {
  port: number;
  /** The AWS emulator every other request goes to. */
  upstream: string;
  json?: Record<string, JsonService>;
  intercept?: Record<string, Interceptor>;
  log: Logger;
}

export interface Gateway {
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * The sandbox's one AWS endpoint. Requests are routed by service, as AWS's
 * front door does; what the emulator does not do for real is done here.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const upstream = new URL(options.upstream);
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      options.log.error('gateway', `${req.method} ${req.url} failed`, error);
      if (!res.headersSent) sendJson(res, 500, { __type: 'InternalFailure', message: (error as Error).message });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const service = serviceOf(req.headers, req.url ?? '/');
    const jsonService = service ? options.json?.[service] : undefined;
    const interceptor = service ? options.intercept?.[service] : undefined;
    if (!jsonService && !interceptor) return pipeUpstream(req, res);
    const body = await readBody(req);
    const operation = operationOf(req, body);
    if (jsonService) {
      try {
        const input: unknown = body ? JSON.parse(body) : {};
        return sendJson(res, 200, (await jsonService.handle(operation, input)) ?? {});
      } catch (error) {
        if (error instanceof AwsError) return sendJson(res, error.status, error.toJSON());
        if (error instanceof SyntaxError) return sendJson(res, 400, { __type: 'SerializationException', message: 'Request body is not JSON' });
        throw error;
      }
    }
    const own = await interceptor?.answer?.(operation, body);
    if (own) {
      res.writeHead(own.status, { 'Content-Type': own.contentType, 'x-amzn-RequestId': requestId() });
      return void res.end(own.body);
    }
    const answer = await forward(req, body);
    const rewritten = interceptor?.rewrite ? await interceptor.rewrite(operation, body, answer.body, answer.status) : answer.body;
    // The body may have changed length, so it is sent whole with its own length.
    const headers: Record<string, string> = { ...answer.headers, 'content-length': String(Buffer.byteLength(rewritten)) };
    delete headers['transfer-encoding'];
    res.writeHead(answer.status, headers);
    res.end(rewritten);
  }

  function pipeUpstream(req: IncomingMessage, res: ServerResponse): void {
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', (error) => {
      if (!res.headersSent) sendJson(res, 502, { __type: 'ServiceUnavailable', message: `The sandbox AWS emulator is not answering: ${error.message}` });
      else res.destroy();
    });
    req.pipe(out);
  }

  function forward(req: IncomingMessage, body: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    return new Promise((resolve, reject) => {
      const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, 'content-length': String(Buffer.byteLength(body)) } }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') }));
        answer.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** JSON protocols name the operation in X-Amz-Target; the Query protocol in the form body's Action. */
function operationOf(req: IncomingMessage, body: string): string {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target) return target.slice(target.indexOf('.') + 1);
  return new URLSearchParams(body).get('Action') ?? new URL(req.url ?? '/', 'http://x').searchParams.get('Action') ?? '';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(text), 'x-amzn-RequestId': requestId() });
  res.end(text);
}

function requestId(): string {
  return randomUUID();
}
