import { describe, expect, it } from 'vitest';
import {
  AccessLogGenerator,
  BASELINE_5XX_SHARE,
  diurnalFactor,
  logTime,
  type AccessLogGeneratorOptions,
} from '../../electron/core/ingest/generator.js';
import { Random } from '../../electron/core/ingest/random.js';
import { generatorFor } from '../../electron/core/ingest/service.js';
import { ACCESS_LOG_FIELDS, ACCESS_LOG_REGEX, parseAccessLog, recordIdOf, REQUEST_REGEX } from '../../shared/pipeline/access-log.js';

const START = Date.parse('2026-11-27T00:00:00Z');
const base: AccessLogGeneratorOptions = {
  seed: 42,
  runId: 'rtest0001',
  startMs: START,
  simulatedRate: 50,
  peakHourUtc: 14,
  diurnalAmplitude: 0.6,
};
const take = (generator: AccessLogGenerator, n: number) => Array.from({ length: n }, () => generator.next());

describe('the seeded PRNG', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const seqA = Array.from({ length: 100 }, () => a.uint32());
    expect(Array.from({ length: 100 }, () => b.uint32())).toEqual(seqA);
    expect(Array.from({ length: 100 }, () => c.uint32())).not.toEqual(seqA);
  });

  it('is uniform enough: mean of next() near 1/2, log-normal median near its parameter', () => {
    const r = new Random(1);
    const xs = Array.from({ length: 100_000 }, () => r.next());
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 2);
    const ln = Array.from({ length: 20_001 }, () => r.logNormal(1000, 0.5)).sort((x, y) => x - y);
    expect(ln[10_000]! / 1000).toBeGreaterThan(0.95);
    expect(ln[10_000]! / 1000).toBeLessThan(1.05);
  });
});

describe('the access-log generator', () => {
  it('is reproducible: the same seed and options give the same lines', () => {
    const one = take(new AccessLogGenerator(base), 2000).map((r) => r.line);
    const two = take(new AccessLogGenerator(base), 2000).map((r) => r.line);
    expect(two).toEqual(one);
    const other = take(new AccessLogGenerator({ ...base, seed: 43 }), 2000).map((r) => r.line);
    expect(other).not.toEqual(one);
  });

  it('writes combined-format lines that the exported regex parses, with every field plausible', () => {
    const regex = new RegExp(ACCESS_LOG_REGEX);
    const records = take(new AccessLogGenerator(base), 20_000);
    const methods = new Set<string>();
    for (const record of records) {
      expect(record.line).toMatch(regex);
      const fields = parseAccessLog(record.line)!;
      expect(Object.keys(fields)).toEqual(ACCESS_LOG_FIELDS.map((f) => f.name));
      expect(fields.record_id).toBe(record.id);
      expect(recordIdOf(record.line)).toBe(record.id);
      expect(fields.client_ip).toBe(record.clientIp);
      expect(fields.client_ip).toMatch(/^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-f:]+)$/);
      expect(fields.client_ip).not.toMatch(/^(10\.|127\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/);
      expect(fields.time).toBe(logTime(Math.floor(record.timeMs / 1000) * 1000));
      expect(Number(fields.status)).toBe(record.status);
      const [, method, path, protocol] = new RegExp(REQUEST_REGEX).exec(fields.request)!;
      expect(protocol).toMatch(/^HTTP\/(1\.0|1\.1|2\.0)$/);
      expect(path!.startsWith('/')).toBe(true);
      expect(Number(fields.bytes)).toBeGreaterThanOrEqual(0);
      if (record.status === 304 || method === 'HEAD') expect(fields.bytes).toBe('0');
      methods.add(method!);
    }
    expect([...methods].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'POST', 'PUT']);
    // Unique ids, numbered from 1 in the run.
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(records[0]!.id).toBe('rtest0001-1');
    // Skewed like real traffic: the top path and the top client take a visible share, many are seen once.
    const paths = new Map<string, number>();
    const clients = new Map<string, number>();
    for (const r of records) {
      const f = parseAccessLog(r.line)!;
      const path = f.request.split(' ')[1]!;
      paths.set(path, (paths.get(path) ?? 0) + 1);
      clients.set(f.client_ip, (clients.get(f.client_ip) ?? 0) + 1);
    }
    expect(Math.max(...paths.values()) / records.length).toBeGreaterThan(0.05);
    expect(clients.size).toBeGreaterThan(3000);
    expect(records.filter((r) => r.status === 200).length / records.length).toBeGreaterThan(0.7);
    expect(records.filter((r) => r.status === 404).length).toBeGreaterThan(0);
  });

  it('holds 5xx near its baseline, and at the burst’s share inside the burst’s window', () => {
    const errorBurst = { startSeconds: 600, durationSeconds: 300, errorShare: 0.4 };
    const records = take(new AccessLogGenerator({ ...base, simulatedRate: 40, errorBurst }), 60_000);
    const from = START + 600_000;
    const to = from + 300_000;
    const inside = records.filter((r) => r.timeMs >= from && r.timeMs < to);
    const outside = records.filter((r) => r.timeMs < from || r.timeMs >= to);
    const share = (rs: typeof records) => rs.filter((r) => r.status >= 500).length / rs.length;
    expect(inside.length).toBeGreaterThan(3000);
    expect(share(inside)).toBeGreaterThan(0.37);
    expect(share(inside)).toBeLessThan(0.43);
    expect(share(outside)).toBeLessThan(BASELINE_5XX_SHARE * 1.5);
    expect(share(outside)).toBeGreaterThan(BASELINE_5XX_SHARE * 0.5);
  });

  it('follows the daily curve: the peak hour has about (1+A)/(1-A) times the quietest hour’s requests', () => {
    expect(diurnalFactor(Date.parse('2026-11-27T14:00:00Z'), 14, 0.6)).toBeCloseTo(1.6);
    expect(diurnalFactor(Date.parse('2026-11-27T02:00:00Z'), 14, 0.6)).toBeCloseTo(0.4);
    // Two simulated days at 2 requests per second on average.
    const generator = new AccessLogGenerator({ ...base, simulatedRate: 2 });
    const perHour = new Array<number>(24).fill(0);
    for (;;) {
      const r = generator.next();
      if (r.timeMs >= START + 2 * 86_400_000) break;
      perHour[new Date(r.timeMs).getUTCHours()]!++;
    }
    const total = perHour.reduce((a, b) => a + b, 0);
    expect(total / 2 / 86_400).toBeGreaterThan(1.9);
    expect(total / 2 / 86_400).toBeLessThan(2.1);
    const ratio = perHour[14]! / perHour[2]!;
    expect(ratio).toBeGreaterThan(3.2);
    expect(ratio).toBeLessThan(5);
    expect(perHour.indexOf(Math.max(...perHour))).toBeGreaterThanOrEqual(12);
    expect(perHour.indexOf(Math.max(...perHour))).toBeLessThanOrEqual(16);
  });

  it('keeps pace with the clock by default: log time runs at the send rate', () => {
    const generator = generatorFor({ seed: 1, peakHourUtc: 14, diurnalAmplitude: 0 }, 'rtest0002', 1000, START);
    const records = take(generator, 10_000);
    const seconds = (records.at(-1)!.timeMs - START) / 1000;
    expect(seconds).toBeGreaterThan(9);
    expect(seconds).toBeLessThan(11);
  });
});
