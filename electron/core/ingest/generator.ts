import type { ErrorBurst } from '../../../shared/contract/index.js';
import { withRecordId } from '../../../shared/pipeline/access-log.js';
import { Random, Weighted, WeightedIndex, zipfWeights } from './random.js';

/**
 * A realistic web shop's access log in the combined format (see
 * shared/pipeline/access-log.ts), reproducible from a seed: the same seed,
 * start and options give the same lines (only the run id in each record's id
 * differs between runs).
 *
 * - Clients: 20,000 plausible public IPv4 addresses (reserved and private
 *   ranges avoided) and some IPv6, each with one user agent (browsers by
 *   market share, crawlers, scripts) and protocol; Zipf-distributed activity,
 *   so some addresses (NATs, crawlers) dominate.
 * - Paths: a catalog of pages, products, searches, API calls, static assets,
 *   images and scanner probes, requested by Zipf rank (s = 1.1).
 * - Status: per kind of path (assets 304s, probes 404s, API 401s and 429s),
 *   about 0.8% 5xx, or the burst's share inside the error burst's window.
 * - Bytes: log-normal per kind of response; 0 for 304 and HEAD.
 * - Referrers: none, the shop's own pages, search engines, social sites.
 * - Time: a Poisson process whose rate follows a daily cosine peaking at
 *   `peakHourUtc`, on the log's own clock starting at `startMs`.
 */
export interface AccessLogGeneratorOptions {
  seed: number;
  runId: string;
  /** The first request's time, ms since the epoch. */
  startMs: number;
  /** Mean requests per second of log time over a day. */
  simulatedRate: number;
  peakHourUtc: number;
  diurnalAmplitude: number;
  errorBurst?: ErrorBurst;
}

export interface GeneratedRecord {
  id: string;
  /** The whole record: the log line with its id field. */
  line: string;
  clientIp: string;
  /** The request's time in the log, ms since the epoch. */
  timeMs: number;
  status: number;
}

type PathKind = 'page' | 'api' | 'css' | 'js' | 'image' | 'icon' | 'robots' | 'probe';
interface PathEntry {
  path: string;
  kind: PathKind;
}
interface Client {
  ip: string;
  agent: string;
  protocol: string;
  bot: boolean;
}

const SITE = 'https://shop.example.com';
const CLIENTS = 20_000;
/** 5xx share outside an error burst. */
export const BASELINE_5XX_SHARE = 0.008;

const agents: [agent: string, weight: number, bot: boolean][] = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 26, false],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 9, false],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    17,
    false,
  ],
  ['Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36', 14, false],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', 6, false],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    5,
    false,
  ],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 4, false],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 1, false],
  [
    'Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    2,
    false,
  ],
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 3, true],
  ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 1.5, true],
  ['Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)', 1, true],
  ['Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)', 0.5, true],
  ['curl/8.5.0', 0.8, true],
  ['python-requests/2.32.3', 0.8, true],
  ['Go-http-client/1.1', 0.4, true],
  ['Mozilla/5.0 zgrab/0.x', 0.3, true],
];

const searchEngines = [
  'https://www.google.com/',
  'https://www.bing.com/',
  'https://duckduckgo.com/',
  'https://search.yahoo.com/',
  'https://www.ecosia.org/',
];
const socialSites = [
  'https://t.co/',
  'https://www.facebook.com/',
  'https://www.reddit.com/',
  'https://www.instagram.com/',
  'https://www.linkedin.com/',
];
const categories = ['shoes', 'jackets', 'bags', 'watches', 'outdoor', 'kids', 'home', 'kitchen', 'garden', 'sale', 'new', 'gifts'];
const words = [
  'red',
  'running',
  'leather',
  'winter',
  'waterproof',
  'cotton',
  'wool',
  'vintage',
  'classic',
  'slim',
  'kids',
  'gift',
  'boots',
  'backpack',
  'mug',
  'lamp',
  'chair',
  'sneakers',
  'scarf',
  'hat',
];
const probes = [
  '/wp-login.php',
  '/.env',
  '/xmlrpc.php',
  '/phpmyadmin/index.php',
  '/admin/config.php',
  '/.git/config',
  '/cgi-bin/luci',
  '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
  '/boaform/admin/formLogin',
  '/actuator/health',
];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const statusByKind: Record<PathKind, Weighted<number>> = {
  page: new Weighted([
    [200, 90],
    [302, 3],
    [301, 1],
    [404, 4],
    [403, 0.6],
    [400, 0.6],
    [401, 0.8],
  ]),
  api: new Weighted([
    [200, 86],
    [201, 4],
    [204, 2],
    [400, 3],
    [401, 3],
    [404, 1],
    [429, 1],
  ]),
  css: new Weighted([
    [200, 78],
    [304, 21],
    [404, 1],
  ]),
  js: new Weighted([
    [200, 78],
    [304, 21],
    [404, 1],
  ]),
  image: new Weighted([
    [200, 80],
    [304, 17],
    [404, 3],
  ]),
  icon: new Weighted([
    [200, 70],
    [304, 30],
  ]),
  robots: new Weighted([[200, 100]]),
  probe: new Weighted([
    [404, 90],
    [403, 8],
    [400, 2],
  ]),
};
const serverErrors = new Weighted([
  [500, 45],
  [502, 20],
  [503, 25],
  [504, 10],
]);
/** Median bytes and log-normal sigma of a successful body, by kind. */
const bodySize: Record<PathKind, [number, number]> = {
  page: [14_000, 0.5],
  api: [900, 0.8],
  css: [28_000, 0.2],
  js: [95_000, 0.4],
  image: [48_000, 0.9],
  icon: [5_430, 0],
  robots: [68, 0],
  probe: [0, 0],
};

/** How busy the site is at this moment relative to its daily mean (1 + A·cos(2π(h − peak)/24)). */
export function diurnalFactor(timeMs: number, peakHourUtc: number, amplitude: number): number {
  const hour = (timeMs / 3_600_000) % 24;
  return 1 + amplitude * Math.cos((2 * Math.PI * (hour - peakHourUtc)) / 24);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `[27/Nov/2026:14:03:07 +0000]`'s inside. */
export function logTime(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

function reserved(a: number, b: number): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19 || b === 51)) ||
    (a === 203 && b === 0)
  );
}

function clientIp(random: Random): string {
  if (random.next() < 0.08) {
    const prefix = random.pick(['2a02:810', '2600:1700', '2a01:e0a', '2406:da18', '2003:e4', '2a00:23c6']);
    const groups = Array.from({ length: 4 }, () => random.int(0, 0xffff).toString(16));
    // Six groups need the :: that stands for the two zero groups between them (raw_to_parquet refuses it otherwise).
    return `${prefix}::${groups.join(':')}`;
  }
  for (;;) {
    const a = random.int(1, 223);
    const b = random.int(0, 255);
    if (!reserved(a, b)) return `${a}.${b}.${random.int(0, 255)}.${random.int(1, 254)}`;
  }
}

function hex(random: Random, length: number): string {
  let out = '';
  while (out.length < length) out += random.uint32().toString(16).padStart(8, '0');
  return out.slice(0, length);
}

/** The shop's URL space, most requested first. */
function catalog(random: Random): PathEntry[] {
  const head: PathEntry[] = [
    { path: '/', kind: 'page' },
    { path: `/static/css/app.${hex(random, 8)}.css`, kind: 'css' },
    { path: `/static/js/app.${hex(random, 8)}.js`, kind: 'js' },
    { path: `/static/js/vendor.${hex(random, 8)}.js`, kind: 'js' },
    { path: '/favicon.ico', kind: 'icon' },
    { path: '/api/v1/session', kind: 'api' },
    { path: '/api/v1/cart', kind: 'api' },
    { path: '/cart', kind: 'page' },
    { path: '/api/v1/recommendations', kind: 'api' },
    { path: '/login', kind: 'page' },
    { path: '/api/v1/events', kind: 'api' },
    { path: '/checkout', kind: 'page' },
  ];
  const tail: PathEntry[] = [];
  for (const name of categories) tail.push({ path: `/category/${name}`, kind: 'page' }, { path: `/category/${name}?page=2`, kind: 'page' });
  for (let i = 0; i < 1500; i++) {
    const id = random.int(1000, 999_999);
    tail.push({ path: `/products/${id}`, kind: 'page' }, { path: `/images/products/${id}.jpg`, kind: 'image' });
    if (i % 3 === 0) tail.push({ path: `/api/v1/products/${id}`, kind: 'api' });
  }
  for (let i = 0; i < 300; i++) tail.push({ path: `/search?q=${random.pick(words)}+${random.pick(words)}`, kind: 'page' });
  for (let i = 0; i < 40; i++)
    tail.push({ path: `/blog/${random.pick(words)}-${random.pick(words)}-${random.int(2019, 2026)}`, kind: 'page' });
  for (const path of ['/about', '/contact', '/help', '/account', '/account/orders', '/logout', '/blog', '/sitemap.xml'])
    tail.push({ path, kind: 'page' });
  tail.push({ path: '/robots.txt', kind: 'robots' });
  for (const path of probes) tail.push({ path, kind: 'probe' });
  // Seeded Fisher–Yates: which products are popular is part of the seed.
  for (let i = tail.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [tail[i], tail[j]] = [tail[j]!, tail[i]!];
  }
  return [...head, ...tail];
}

export class AccessLogGenerator {
  private readonly random: Random;
  private readonly clients: Client[];
  private readonly clientRank: WeightedIndex;
  private readonly paths: PathEntry[];
  private readonly pathRank: WeightedIndex;
  private readonly pages: string[];
  private readonly burstFrom: number;
  private readonly burstTo: number;
  private sequence = 0;
  private clock: number;
  private cachedSecond = -1;
  private cachedTime = '';

  constructor(private readonly options: AccessLogGeneratorOptions) {
    // The site and its clients come from their own stream of the seed, so they do not depend on options such as the rate.
    const world = new Random(options.seed ^ 0x5bd1e995);
    this.paths = catalog(world);
    this.pathRank = new WeightedIndex(zipfWeights(this.paths.length, 1.1));
    this.pages = this.paths.filter((p) => p.kind === 'page').map((p) => p.path);
    const agentTable = new Weighted(agents.map(([agent, weight, bot]) => [{ agent, bot }, weight] as const));
    this.clients = Array.from({ length: CLIENTS }, () => {
      const { agent, bot } = agentTable.draw(world);
      const protocol = bot ? (world.next() < 0.1 ? 'HTTP/1.0' : 'HTTP/1.1') : world.next() < 0.62 ? 'HTTP/2.0' : 'HTTP/1.1';
      return { ip: clientIp(world), agent, protocol, bot };
    });
    this.clientRank = new WeightedIndex(zipfWeights(CLIENTS, 0.9));
    this.random = new Random(options.seed);
    this.clock = options.startMs;
    this.burstFrom = options.errorBurst ? options.startMs + options.errorBurst.startSeconds * 1000 : Infinity;
    this.burstTo = options.errorBurst ? this.burstFrom + options.errorBurst.durationSeconds * 1000 : -Infinity;
  }

  /** How many records were made. */
  get count(): number {
    return this.sequence;
  }

  next(): GeneratedRecord {
    const r = this.random;
    const { simulatedRate, peakHourUtc, diurnalAmplitude } = this.options;
    this.clock += 1000 * r.exponential(simulatedRate * diurnalFactor(this.clock, peakHourUtc, diurnalAmplitude));
    const timeMs = Math.floor(this.clock);
    const second = Math.floor(timeMs / 1000);
    if (second !== this.cachedSecond) {
      this.cachedSecond = second;
      this.cachedTime = logTime(second * 1000);
    }

    const client = this.clients[this.clientRank.draw(r)]!;
    let entry = this.paths[this.pathRank.draw(r)]!;
    // Crawlers read pages and robots.txt, scanners probe; neither loads assets.
    if (client.bot && entry.kind !== 'page' && entry.kind !== 'probe' && entry.kind !== 'robots')
      entry = r.next() < 0.3 ? this.paths.find((p) => p.kind === 'robots')! : { path: r.pick(this.pages), kind: 'page' };

    let method = 'GET';
    if (entry.kind === 'api') {
      const u = r.next();
      method = u < 0.6 ? 'GET' : u < 0.95 ? 'POST' : u < 0.98 ? 'PUT' : 'DELETE';
    } else if ((entry.path === '/login' || entry.path === '/checkout') && r.next() < 0.3) method = 'POST';
    else if (r.next() < 0.02) method = 'HEAD';

    const inBurst = timeMs >= this.burstFrom && timeMs < this.burstTo;
    const serverError = r.next() < (inBurst ? this.options.errorBurst!.errorShare : BASELINE_5XX_SHARE);
    const status = serverError ? serverErrors.draw(r) : statusByKind[entry.kind].draw(r);

    let bytes: number;
    if (method === 'HEAD' || status === 304 || status === 204) bytes = 0;
    else if (status === 301 || status === 302) bytes = Math.round(r.logNormal(230, 0.1));
    else if (status >= 400) bytes = Math.round(r.logNormal(entry.kind === 'api' ? 120 : 550, 0.3));
    else {
      const [median, sigma] = bodySize[entry.kind];
      bytes = sigma === 0 ? median : Math.max(1, Math.round(r.logNormal(median, sigma)));
    }

    let referrer = '-';
    if (!client.bot) {
      const u = r.next();
      if (entry.kind === 'page') {
        if (u < 0.35) referrer = '-';
        else if (u < 0.75) referrer = SITE + r.pick(this.pages);
        else if (u < 0.93) referrer = r.pick(searchEngines);
        else referrer = r.pick(socialSites);
      } else if (u < 0.85) referrer = SITE + r.pick(this.pages);
    }

    this.sequence++;
    const id = `${this.options.runId}-${this.sequence}`;
    const line = `${client.ip} - - [${this.cachedTime}] "${method} ${entry.path} ${client.protocol}" ${status} ${bytes} "${referrer}" "${client.agent}"`;
    return { id, line: withRecordId(line, id), clientIp: client.ip, timeMs, status };
  }
}
