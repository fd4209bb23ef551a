import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const WS_PROTOCOL = 'tributary.v1';
const TOKEN_PROTOCOL_PREFIX = 'tributary.token.';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface Refusal {
  status: 401 | 403;
  message: string;
}

/**
 * Who may talk to the web host: a page this host served (Host and Origin are
 * ours, which defeats DNS rebinding and cross-site requests) that holds this
 * launch's token, as a Bearer header, a WebSocket subprotocol or the cookie
 * the bootstrap page obtained with it.
 */
export class Gate {
  readonly cookieName: string;
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  private readonly tokenDigest: Buffer;

  constructor(port: number, token: string) {
    this.cookieName = `tributary_${port}`;
    this.hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    this.origins = new Set([...this.hosts].map((host) => `http://${host}`));
    this.tokenDigest = digest(token);
  }

  /** Host and Origin checks, before any token is looked at. */
  checkSite(headers: IncomingHttpHeaders): Refusal | undefined {
    const host = headers.host ?? '';
    if (!this.hosts.has(host.toLowerCase())) {
      return { status: 403, message: `Refused: Host "${clip(host)}" is not this Tributary web host (DNS rebinding protection).` };
    }
    const origin = headers.origin;
    if (origin !== undefined && !this.origins.has(origin.toLowerCase())) {
      return { status: 403, message: `Refused: requests from origin "${clip(origin)}" are not allowed (cross-site request).` };
    }
    if (headers['sec-fetch-site'] === 'cross-site') {
      return { status: 403, message: 'Refused: cross-site request.' };
    }
    return undefined;
  }

  checkToken(headers: IncomingHttpHeaders): Refusal | undefined {
    const candidates = [bearer(headers.authorization), protocolToken(headers['sec-websocket-protocol']), this.cookieToken(headers.cookie)];
    const present = candidates.filter((value): value is string => value !== undefined);
    if (present.length === 0) {
      return { status: 401, message: 'Unauthorized: this web host needs the token printed when it started (the URL ends in #token=...).' };
    }
    if (!present.some((value) => this.matches(value))) {
      return { status: 401, message: 'Unauthorized: wrong token; use the URL printed by the current launch.' };
    }
    return undefined;
  }

  matches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.tokenDigest);
  }

  sessionCookie(token: string): string {
    return `${this.cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`;
  }

  private cookieToken(header: string | undefined): string | undefined {
    for (const part of (header ?? '').split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === this.cookieName) return rest.join('=');
    }
    return undefined;
  }
}

export function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

function protocolToken(header: string | string[] | undefined): string | undefined {
  const values = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((v) => v.trim());
  const entry = values.find((value) => value.startsWith(TOKEN_PROTOCOL_PREFIX));
  return entry?.slice(TOKEN_PROTOCOL_PREFIX.length);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function clip(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}
