import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const WS_PROTOCOL = 'tributary.v1';
const TOKEN_PROTOCOL_PREFIX = 'tributary.token.';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface Refusal {
  status: 400 | 401 | 403 | 503;
  message: string;
}

/**
 * Who may talk to the web host. Every request must come to our Host from our Origin (which defeats DNS
 * rebinding and cross-site requests); the static bundle holds no secret and needs nothing more. The one
 * socket, /rpc, also needs this launch's token, offered as a WebSocket subprotocol. No cookie carries it:
 * browsers send 127.0.0.1's cookies to every port, including the EMR web UIs reached through tunnels.
 */
export class Gate {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  private readonly tokenDigest: Buffer;

  constructor(port: number, token: string) {
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

  /** The socket's subprotocols: ours, and the token as a second one. */
  checkSocket(headers: IncomingHttpHeaders): Refusal | undefined {
    const offered = protocols(headers['sec-websocket-protocol']);
    if (!offered.includes(WS_PROTOCOL)) return { status: 400, message: `Refused: /rpc speaks the ${WS_PROTOCOL} subprotocol only.` };
    const candidate = offered.find((value) => value.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
    if (candidate === undefined) {
      return { status: 401, message: 'Unauthorized: this web host needs the token printed when it started (the URL ends in #token=...).' };
    }
    if (!timingSafeEqual(digest(candidate), this.tokenDigest)) {
      return { status: 401, message: 'Unauthorized: wrong token; use the URL printed by the current launch.' };
    }
    return undefined;
  }
}

function protocols(header: string | undefined): string[] {
  return (header ?? '').split(',').map((v) => v.trim());
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function clip(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}
