/**
 * A seeded corpus of access logs as other programs write them: Nginx combined
 * and Apache common lines, with and without this app's "rid=..." field, extra
 * trailing fields, IPv6 and host-name clients, 3,000-character and UTF-8
 * paths, escaped quotes and \xHH bytes, mixed with lines raw_to_parquet must
 * set aside, each tagged with the reason it must give. The same seed gives the
 * same lines.
 *
 * Every good line's path starts with /g/<n>/, so the test can find each one
 * in Redshift; `expected` says what its curated columns must hold.
 */

export const BAD_KINDS = [
  'truncated',
  'empty',
  'control_chars',
  'not_utf8',
  'not_the_format',
  'bad_client',
  'bad_time',
  'bad_request',
  'bad_status',
  'bad_bytes',
] as const;
export type BadKind = (typeof BAD_KINDS)[number];

export interface GoodLine {
  kind: 'good';
  n: number;
  data: Buffer;
  /** The curated columns the line must become (those the test checks). */
  expected: { path: string; userAgent: string | null; referrer: string | null; extra: string | null; clientIp: string; recordId?: string };
}
export interface BadLine {
  kind: BadKind;
  data: Buffer;
}
export type DirtyLine = GoodLine | BadLine;

/** mulberry32: small, seedable, and the same on every platform. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Share of bad lines: about 1 in 12, spread over every kind. */
const BAD_SHARE = 1 / 12;

export function dirtyLogs(seed: number, count: number): DirtyLine[] {
  const next = random(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const time = () => `${pad(int(1, 28))}/${pick(MONTHS)}/2025:${pad(int(0, 23))}:${pad(int(0, 59))}:${pad(int(0, 59))} +0000`;
  const ipv4 = () => `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  const client = () => pick([ipv4, ipv4, ipv4, () => `2001:db8::${int(1, 0xffff).toString(16)}`, () => `host-${int(1, 99)}.example.net`])();

  const lines: DirtyLine[] = [];
  for (let n = 0; lines.length < count; n++) {
    const bad = next() < BAD_SHARE ? BAD_KINDS[n % BAD_KINDS.length]! : undefined;
    lines.push(bad ? badLine(bad, n) : goodLine(n));
  }
  return lines;

  function goodLine(n: number): GoodLine {
    const ip = client();
    const shape = int(0, 9);
    // As written (escaped) and as meant.
    let written = `/g/${n}/item?id=${int(1, 9999)}`;
    let path = written;
    if (shape === 1) {
      const tail = 'a'.repeat(3000);
      written += `&long=${tail}`;
      path += `&long=${tail}`;
    } else if (shape === 2) {
      written += '&city=Zürich/日本';
      path += '&city=Zürich/日本';
    } else if (shape === 3) {
      written += '&q=caf\\xC3\\xA9%20x+y';
      path += '&q=café%20x+y';
    }
    const agent =
      shape === 4
        ? ['Agent with \\"quotes\\" and \\\\ slash', 'Agent with "quotes" and \\ slash']
        : ['Mozilla/5.0 (X11)', 'Mozilla/5.0 (X11)'];
    const head = `${ip} - - [${time()}] "${pick(['GET', 'POST', 'HEAD'])} ${written} HTTP/1.1" ${pick([200, 200, 304, 404, 503])} ${shape === 5 ? '-' : int(0, 99999)}`;
    const common = shape === 6;
    const extra = shape === 7 ? `${int(0, 999) / 1000} ${int(0, 999) / 1000} "10.0.0.${int(1, 9)}:8080"` : null;
    const foreign = n % 3 === 0;
    const recordId = foreign ? undefined : `dl-${seed}-${n}`;
    let line = common ? head : `${head} "https://ref.example/${n}" "${agent[0]}"`;
    if (extra) line += ` ${extra}`;
    if (recordId) line += ` "rid=${recordId}"`;
    return {
      kind: 'good',
      n,
      data: Buffer.from(line),
      expected: {
        path,
        userAgent: common ? null : agent[1]!,
        referrer: common ? null : `https://ref.example/${n}`,
        extra,
        clientIp: ip,
        ...(recordId ? { recordId } : {}),
      },
    };
  }

  function badLine(kind: BadKind, n: number): BadLine {
    const ok = (over: { client?: string; time?: string; request?: string; status?: string; bytes?: string; agent?: string } = {}) =>
      `${over.client ?? ipv4()} - - [${over.time ?? time()}] "${over.request ?? `GET /b/${n} HTTP/1.1`}" ${over.status ?? '200'} ${over.bytes ?? '512'} "-" "${over.agent ?? 'curl/8'}" "rid=bad-${seed}-${n}"`;
    const text = (() => {
      switch (kind) {
        case 'truncated': {
          const whole = ok();
          // Cut inside the time, the request or the user agent: never where a shorter line would still be whole.
          const at = pick([whole.indexOf('[') + 4, whole.indexOf('"') + 6, whole.indexOf('curl') + 2]);
          return whole.slice(0, at);
        }
        case 'empty':
          return ' '.repeat(int(0, 3));
        case 'control_chars':
          return pick([
            () => ok({ agent: 'curl/8 \u001b[31mred' }),
            () => ok({ agent: 'x\\x00y' }),
            () => ok({ request: `GET /b/${n}\u0007 HTTP/1.1` }),
          ])();
        case 'not_utf8':
          return ok({ request: `GET /b/${n}/\udcff HTTP/1.1` });
        case 'not_the_format':
          return pick([`{"msg":"not a log line","n":${n}}`, `garbage line ${n}`, `${ipv4()} - - [${time()}] GET /b/${n} 200 12`]);
        case 'bad_client':
          return ok({ client: pick(['999.1.1.1', '-', 'bad_host!', '1.2.3']) });
        case 'bad_time':
          return ok({ time: pick(['31/Feb/2025:10:00:00 +0000', '99/Foo/2025:00:00:00 +0000', '01/Jan/2025:25:61:00 +0000']) });
        case 'bad_request':
          return ok({ request: pick(['-', '\\x16\\x03\\x01\\x00', 'GET']) });
        case 'bad_status':
          return ok({ status: pick(['OK', '2000', '099', '600']) });
        case 'bad_bytes':
          return ok({ bytes: pick(['12kb', '-5', '1.5']) });
      }
    })();
    if (kind === 'not_utf8') return { kind, data: notUtf8(text) };
    return { kind, data: kind === 'control_chars' && next() < 0.5 ? nulPrefixed(text) : Buffer.from(text) };
  }
}

/** The lone surrogate marks where the bytes go: 0xff 0xfe, which are not UTF-8. */
const notUtf8 = (text: string) => {
  const [before, after] = text.split('\udcff');
  return Buffer.concat([Buffer.from(before!), Buffer.from([0xff, 0xfe]), Buffer.from(after!)]);
};

/** A line after binary garbage, NUL first, as a log written over a corrupt block starts. */
const nulPrefixed = (text: string) =>
  Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.from('garbage'), Buffer.from([0xff]), Buffer.from(text)]);
