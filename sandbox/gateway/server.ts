import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../shared/node/log.js';
import { hostAllowed, hostRefusal, signatureRefusal, type Protocol, type Refusal } from './access.js';
import { AwsError } from './aws-error.js';
import { FAULTS_PATH } from '../client/faults.js';
import type { Faults } from './faults.js';
import { MOTO_TOKEN_HEADER } from '../services/moto.js';
import { serviceOf } from './service-name.js';
import { checkSignature, needsBody, type AccessKeys, type KeyRing } from './signature.js';

/** Who signed a request, as AWS's front door knows it: the principal's ARN and the region of the signature. */
export interface Caller {
  arn: string;
  region: string;
}

/** A service the gateway implements itself (AWS JSON 1.1, e.g. the Redshift Data API). */
export interface JsonService {
  handle(operation: string, input: unknown, caller: Caller): Promise<unknown>;
}

/**
 * Adds realism to a service the emulator answers: may answer a request itself,
 * or rewrite the emulator's answer (lifecycle states, endpoints, step runs).
 */
export interface Interceptor {
  /** `headers` are the request's (its signature names the caller's account and region). */
  answer?(
    operation: string,
    body: string,
    headers: IncomingHttpHeaders,
  ): Promise<{ status: number; body: string; contentType: string } | undefined>;
  /**
   * `requestBody` is the body the emulator was sent (fault injection may have
   * dropped PutRecords entries), so it pairs with `responseBody`; `headers` are
   * the request's (its signature names the caller's account and region).
   */
  rewrite?(operation: string, requestBody: string, responseBody: string, status: number, headers: IncomingHttpHeaders): Promise<string>;
  /** Requests given the same key reach the emulator one at a time (operations it is not safe to run concurrently). */
  exclusive?(operation: string): string | undefined;
  /** Called when the gateway closes, after it stops taking requests (to finish work it has queued). */
  close?(): Promise<void>;
}

export interface GatewayOptions {
  port: number;
  /** The AWS emulator every other request goes to. */
  upstream: string;
  /** The run's upstream token, sent to the emulator with every request this gateway passes on (services/moto.ts). */
  upstreamToken: string;
  /** The run's access key pair: every request must be signed with it (SigV4), as AWS requires of an account's keys. */
  keys: AccessKeys;
  json?: Record<string, JsonService>;
  /** The principal the run's own keys belong to (the emulator's answer to GetCallerIdentity). */
  callerArn?: () => Promise<string>;
  intercept?: Record<string, Interceptor>;
  /** Test-only fault injection, off until rules are set through FAULTS_PATH with its token (see faults.ts). */
  faults?: Faults;
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
  let port = options.port;
  // Credentials the sandbox's STS issued (a role chain's AssumeRole, GetSessionToken) are accepted until they
  // expire, as AWS accepts them; every other key id but the run's is unknown.
  const issued = new Map<string, AccessKeys & { expires: number; arn?: string }>();
  const ring: KeyRing = (id) => {
    if (id === options.keys.accessKeyId) return options.keys;
    const found = issued.get(id);
    return found && found.expires > Date.now() ? found : undefined;
  };
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      options.log.error('gateway', `${req.method} ${req.url} failed`, error);
      if (!res.headersSent) sendJson(res, 500, { __type: 'InternalFailure', message: (error as Error).message });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const service = serviceOf(req.headers, req.url ?? '/');
    const protocol = protocolOf(req, service);
    if (!hostAllowed(req.headers, port)) return refuse(req, res, protocol, hostRefusal(protocol));
    if (new URL(req.url ?? '/', 'http://x').pathname === FAULTS_PATH) return controlFaults(req, res);
    const signed = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    // Bodies the signature covers are read whole (JSON and Query bodies are small); S3's stream through.
    const raw = needsBody(signed) ? await readRaw(req, MAX_SIGNED_BODY_BYTES) : undefined;
    if (raw === TOO_LARGE) {
      res.writeHead(413, { 'Content-Type': 'application/json', Connection: 'close' });
      return void res.end(JSON.stringify({ __type: 'RequestEntityTooLargeException', message: 'Request body too large' }));
    }
    const problem = await checkSignature(signed, ring, raw);
    if (problem) return refuse(req, res, protocol, signatureRefusal(problem, protocol));
    const jsonService = service ? options.json?.[service] : undefined;
    const interceptor = service ? options.intercept?.[service] : undefined;
    // Faults apply to the JSON and Query protocols (text bodies), never to S3's REST API with its binary bodies.
    const faults = service !== 's3' && options.faults?.targets(service) ? options.faults : undefined;
    if (!jsonService && !interceptor && !faults) return service === 'sts' ? relaySts(req, res, raw) : pipeUpstream(req, res, raw);
    const body = (raw ?? (await readRaw(req))).toString('utf8');
    const operation = operationOf(req, body);
    const injected = faults?.take(service, operation, body);
    if (injected?.kind === 'error')
      return req.headers['x-amz-target']
        ? sendJson(res, injected.status, injected.body)
        : sendXmlError(res, service, injected.status, injected.body);
    if (injected?.kind === 'answer') return sendJson(res, 200, JSON.parse(injected.body));
    if (jsonService) {
      try {
        const input: unknown = body ? JSON.parse(body) : {};
        return sendJson(res, 200, (await jsonService.handle(operation, input, await callerOf(req.headers))) ?? {});
      } catch (error) {
        if (error instanceof AwsError) return sendJson(res, error.status, error.toJSON());
        if (error instanceof SyntaxError)
          return sendJson(res, 400, { __type: 'SerializationException', message: 'Request body is not JSON' });
        throw error;
      }
    }
    const own = await interceptor?.answer?.(operation, body, req.headers);
    if (own) {
      res.writeHead(own.status, { 'Content-Type': own.contentType, 'x-amzn-RequestId': requestId() });
      return void res.end(own.body);
    }
    const key = interceptor?.exclusive?.(operation);
    const sent = injected?.body ?? body;
    const answer = key ? await oneAtATime(key, () => forward(req, sent)) : await forward(req, sent);
    let rewritten = interceptor?.rewrite
      ? await interceptor.rewrite(operation, sent, answer.body, answer.status, req.headers)
      : answer.body;
    if (injected?.kind === 'partial' && answer.status === 200) rewritten = injected.merge(rewritten);
    // The body may have changed length, so it is sent whole with its own length.
    const headers: Record<string, string> = { ...answer.headers, 'content-length': String(Buffer.byteLength(rewritten)) };
    delete headers['transfer-encoding'];
    res.writeHead(answer.status, headers);
    res.end(rewritten);
  }

  /** The fault rules: read (GET), set (PUT), cleared (DELETE); only with the token. */
  async function controlFaults(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const faults = options.faults;
    if (!faults) return sendJson(res, 404, { __type: 'NotFound', message: 'Fault injection is not enabled on this gateway' });
    if (!faults.authorized(req)) return sendJson(res, 403, { __type: 'AccessDenied', message: 'Fault control needs its token' });
    if (req.method === 'GET') return sendJson(res, 200, faults.list());
    if (req.method === 'DELETE') {
      faults.set({ rules: [] });
      return sendJson(res, 200, faults.list());
    }
    if (req.method !== 'PUT') return sendJson(res, 405, { __type: 'MethodNotAllowed', message: 'GET, PUT or DELETE' });
    try {
      faults.set(JSON.parse(await readBody(req)));
    } catch (error) {
      return sendJson(res, 400, { __type: 'ValidationException', message: (error as Error).message });
    }
    options.log.warn(
      'gateway',
      `Fault injection rules set: ${JSON.stringify(faults.list().rules.map(({ service, operation, kind, errorCode, fraction, calls }) => ({ service, operation, kind, errorCode, fraction, calls })))}`,
    );
    return sendJson(res, 200, faults.list());
  }

  const queues = new Map<string, Promise<unknown>>();
  function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
    const turn = (queues.get(key) ?? Promise.resolve()).then(work, work);
    const settled = turn.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => queues.get(key) === settled && queues.delete(key));
    return turn;
  }

  /** Refused before anything reaches the emulator; logged without the request's query, which may hold a presigned signature. */
  function refuse(req: IncomingMessage, res: ServerResponse, protocol: Protocol, refusal: Refusal): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    options.log.warn('gateway', `Refused ${req.method} ${path} from host ${String(req.headers.host)}: ${refusal.code}`);
    // The request's body is left unread: the connection closes after the answer rather than reading it.
    res.setHeader('Connection', 'close');
    const error = { __type: refusal.code, message: refusal.message };
    if (protocol === 'json') sendJson(res, refusal.status, error);
    else sendXmlError(res, protocol === 's3' ? 's3' : serviceOf(req.headers, req.url ?? '/'), refusal.status, error);
  }

  /** `body` is the request's body when it was already read (to check its signature); otherwise it streams through. */
  function pipeUpstream(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void {
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, [MOTO_TOKEN_HEADER]: options.upstreamToken },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', (error) => {
      if (!res.headersSent)
        sendJson(res, 502, { __type: 'ServiceUnavailable', message: `The sandbox AWS emulator is not answering: ${error.message}` });
      else res.destroy();
    });
    if (body) out.end(body);
    else req.pipe(out);
  }

  /** STS answers are read whole: the credentials they issue join the ring. */
  async function relaySts(req: IncomingMessage, res: ServerResponse, raw: Buffer | undefined): Promise<void> {
    const answer = await forward(req, (raw ?? (await readRaw(req))).toString('utf8'));
    const text = (tag: string) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(answer.body)?.[1];
    const accessKeyId = text('AccessKeyId');
    const secretAccessKey = text('SecretAccessKey');
    if (answer.status === 200 && accessKeyId && secretAccessKey) {
      const expires = Date.parse(text('Expiration') ?? '') || Date.now() + 3_600_000;
      const arn = /<AssumedRoleUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/.exec(answer.body)?.[1];
      issued.set(accessKeyId, { accessKeyId, secretAccessKey, expires, ...(arn ? { arn } : {}) });
      options.log.addSecret(secretAccessKey);
    }
    const headers = { ...answer.headers };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }

  /** An assumed role's session is that role; anything else signed with the run's keys is the run's principal. */
  async function callerOf(headers: IncomingHttpHeaders): Promise<Caller> {
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\//.exec(headers.authorization ?? '');
    const arn = (scope && issued.get(scope[1]!)?.arn) ?? (await options.callerArn?.()) ?? 'arn:aws:iam::123456789012:root';
    return { arn, region: scope?.[2] ?? 'us-east-1' };
  }

  function forward(req: IncomingMessage, body: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(Buffer.byteLength(body)), [MOTO_TOKEN_HEADER]: options.upstreamToken },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers as Record<string, string>,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          answer.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await Promise.all(Object.values(options.intercept ?? {}).map((interceptor) => interceptor.close?.()));
    },
  };
}

/** JSON protocols name the operation in X-Amz-Target; the Query protocol in the form body's Action. */
function operationOf(req: IncomingMessage, body: string): string {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target) return target.slice(target.indexOf('.') + 1);
  return new URLSearchParams(body).get('Action') ?? new URL(req.url ?? '/', 'http://x').searchParams.get('Action') ?? '';
}

/** Which wire shape the request's errors take: JSON when it names a target, the Query form when it posts one, else S3's. */
function protocolOf(req: IncomingMessage, service: string | undefined): Protocol {
  if (req.headers['x-amz-target']) return 'json';
  if (service === 's3') return 's3';
  const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  return form || service !== undefined ? 'query' : 's3';
}

/**
 * Bodies read whole before their signature is checked are bounded: Kinesis' largest (PutRecords, 5 MiB of data in
 * base64 JSON) fits, and a local process cannot grow the daemon without limit by sending one unsigned.
 */
const MAX_SIGNED_BODY_BYTES = 16 * 1024 * 1024;
const TOO_LARGE = Symbol('too large');

function readRaw(req: IncomingMessage): Promise<Buffer>;
function readRaw(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE>;
function readRaw(req: IncomingMessage, limit = Infinity): Promise<Buffer | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.pause();
      chunks.length = 0;
      resolve(TOO_LARGE);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readRaw(req)).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': requestId(),
  });
  res.end(text);
}

/** An AWS error as the XML protocols carry it: S3 (REST-XML), EC2, and the Query services (Redshift, IAM, STS). */
function sendXmlError(res: ServerResponse, service: string | undefined, status: number, error: { __type: string; message: string }): void {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const code = `<Code>${escape(error.__type)}</Code><Message>${escape(error.message)}</Message>`;
  const id = requestId();
  const text =
    service === 's3'
      ? `<?xml version="1.0" encoding="UTF-8"?><Error>${code}<RequestId>${id}</RequestId></Error>`
      : service === 'ec2'
        ? `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>${code}</Error></Errors><RequestID>${id}</RequestID></Response>`
        : `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type>${code}</Error><RequestId>${id}</RequestId></ErrorResponse>`;
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(text), 'x-amzn-RequestId': id });
  res.end(text);
}

function requestId(): string {
  return randomUUID();
}
