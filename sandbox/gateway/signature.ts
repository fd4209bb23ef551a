import { createHash, createHmac, timingSafeEqual, type BinaryLike } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { QueryParameterBag, SourceData } from '@smithy/types';

export interface AccessKeys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The key pairs the endpoint accepts, found by access key id (the run's, and those its STS has issued). */
export type KeyRing = (accessKeyId: string) => AccessKeys | undefined;

/** Why a request's signature was refused; the gateway words it as the request's protocol does. */
export type SignatureProblem =
  | { kind: 'missing' }
  | { kind: 'unknown-key'; accessKeyId: string }
  | { kind: 'mismatch'; message: string }
  | { kind: 'skewed'; message: string }
  | { kind: 'expired' };

export interface SignedRequest {
  method: string;
  /** The raw request target (path and query) as received: the signature covers it as sent. */
  url: string;
  headers: IncomingHttpHeaders;
}

/** AWS refuses signatures dated more than 15 minutes from its clock. */
const MAX_SKEW_MS = 15 * 60_000;
const HEADER_AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/,]+)\/(\d{8})\/([^/,]+)\/([^/,]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Whether the request carries a body that must be read before its signature can be checked: the signer
 * hashes the body unless the request names its hash (S3 always does; presigned S3 URLs sign no payload).
 */
export function needsBody(req: SignedRequest): boolean {
  if (req.headers['x-amz-content-sha256']) return false;
  return !(presignedParams(req.url) && credentialScope(req)?.service === 's3');
}

/** The service and region the request was signed for (from the header or the presigned query), if any. */
export function credentialScope(req: SignedRequest): { accessKeyId: string; region: string; service: string } | undefined {
  const header = HEADER_AUTH.exec(String(req.headers.authorization ?? ''));
  const [accessKeyId, , region, service] = header
    ? header.slice(1, 5)
    : (presignedParams(req.url)?.get('X-Amz-Credential')?.split('/') ?? []);
  return accessKeyId && region && service ? { accessKeyId, region, service } : undefined;
}

/**
 * Checks a SigV4 signature (Authorization header or presigned query) by signing the received request again
 * with the run's secret, through the SDK's own signer, and comparing in constant time. `body` is the whole
 * body when `needsBody` said so; otherwise the payload hash the client signed stands for it (S3's hex hash,
 * UNSIGNED-PAYLOAD, or a streaming seed, whose chunks the emulator decodes).
 */
export async function checkSignature(
  req: SignedRequest,
  ring: KeyRing,
  body: Buffer | undefined,
  now = Date.now(),
): Promise<SignatureProblem | undefined> {
  const presigned = presignedParams(req.url);
  const header = HEADER_AUTH.exec(String(req.headers.authorization ?? ''));
  if (!header && !presigned) return { kind: 'missing' };
  const scope = credentialScope(req);
  if (!scope) return { kind: 'mismatch', message: 'The credential scope is malformed.' };
  const keys = ring(scope.accessKeyId);
  if (!keys) return { kind: 'unknown-key', accessKeyId: scope.accessKeyId };

  const stamp = header ? String(req.headers['x-amz-date'] ?? '') : (presigned!.get('X-Amz-Date') ?? '');
  const signedAt = parseStamp(stamp);
  if (!signedAt) return { kind: 'mismatch', message: 'The request needs a valid X-Amz-Date.' };
  if (presigned) {
    const expires = Number(presigned.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1) return { kind: 'mismatch', message: 'X-Amz-Expires must be a positive integer.' };
    if (now > signedAt.getTime() + expires * 1000) return { kind: 'expired' };
  }
  if (Math.abs(now - signedAt.getTime()) > MAX_SKEW_MS && !(presigned && signedAt.getTime() < now))
    return { kind: 'skewed', message: `Signature date ${stamp} is more than 15 minutes from the server's time.` };

  const contentHash = String(req.headers['x-amz-content-sha256'] ?? '');
  if (body && HEX_SHA256.test(contentHash) && createHash('sha256').update(body).digest('hex') !== contentHash)
    return { kind: 'mismatch', message: 'The body does not match its x-amz-content-sha256.' };

  const signedNames = (header ? header[5]! : (presigned!.get('X-Amz-SignedHeaders') ?? '')).split(';');
  if (!signedNames.includes('host')) return { kind: 'mismatch', message: 'The host header must be signed.' };
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const value = req.headers[name];
    if (value === undefined) return { kind: 'mismatch', message: `Signed header ${name} is missing.` };
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const url = new URL(req.url, 'http://x');
  const signer = new SignatureV4({
    credentials: keys,
    region: scope.region,
    service: scope.service,
    sha256: Sha256,
    // S3 signs the path as sent; every other service signs it URI-encoded once more.
    uriEscapePath: scope.service !== 's3',
    applyChecksum: false,
  });
  const options = { signingDate: signedAt, signableHeaders: new Set(signedNames) };
  let expected: string | undefined;
  if (header) {
    const resigned = await signer.sign(
      { method: req.method, protocol: 'http:', hostname: '', path: url.pathname, query: queryOf(req.url), headers, body },
      options,
    );
    expected = /Signature=([0-9a-f]+)/.exec(String(resigned.headers.authorization))?.[1];
  } else {
    const query = queryOf(req.url);
    delete query['X-Amz-Signature'];
    // Presigned S3 URLs sign no payload; the hash header only tells the signer so and is itself neither signed nor hoisted.
    const payload: Record<string, string> =
      scope.service === 's3' && !headers['x-amz-content-sha256'] ? { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } : {};
    const resigned = await signer.presign(
      { method: req.method, protocol: 'http:', hostname: '', path: url.pathname, query, headers: { ...headers, ...payload }, body },
      {
        ...options,
        expiresIn: Number(presigned!.get('X-Amz-Expires')),
        unhoistableHeaders: new Set([...Object.keys(headers), ...Object.keys(payload)]),
        unsignableHeaders: new Set(Object.keys(payload)),
      },
    );
    expected = String(resigned.query?.['X-Amz-Signature'] ?? '');
  }
  const given = header ? header[6]! : (presigned!.get('X-Amz-Signature') ?? '');
  if (!expected || !sameText(expected, given))
    return {
      kind: 'mismatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  return undefined;
}

/** The presigned query's parameters when the URL is presigned (SigV4), else undefined. */
function presignedParams(url: string): URLSearchParams | undefined {
  const params = new URL(url, 'http://x').searchParams;
  return params.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256' && params.has('X-Amz-Signature') ? params : undefined;
}

/**
 * The query as the signer takes it: decoded names and values, repeated names as lists. Decoded by hand, since
 * URLSearchParams reads `+` as a space, which SigV4's canonical query does not.
 */
function queryOf(url: string): QueryParameterBag {
  const query: QueryParameterBag = {};
  const search = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  for (const pair of search.split('&')) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    const name = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
    const value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
    const prior = query[name];
    query[name] = prior === undefined ? value : [...(Array.isArray(prior) ? prior : [prior ?? '']), value];
  }
  return query;
}

function parseStamp(stamp: string): Date | undefined {
  const parts = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!parts) return undefined;
  const [, y, mo, d, h, mi, s] = parts.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Equal without telling, by its timing, how much of a guess was right. */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** SHA-256 and HMAC-SHA256 in the shape the signer takes, from node:crypto. */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

function bytes(data: SourceData): BinaryLike {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
