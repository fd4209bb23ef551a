import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assetRoot, fill, loadAssets, placeholdersOf } from '../../electron/core/pipeline/assets.js';
import { ACCESS_LOG_FIELDS, ACCESS_LOG_REGEX, parseAccessLog, REQUEST_REGEX } from '../../shared/pipeline/access-log.js';

const root = assetRoot();
const python = readFileSync(join(root, 'spark', 'raw_to_parquet.py'), 'utf8');
const rawSql = readFileSync(join(root, 'sql', 'spark', 'raw_access_logs.sql'), 'utf8');

/** A Spark SQL string literal's value: backslash escapes undone, as Spark's parser does. */
const sparkLiteral = (body: string) => body.replace(/\\(.)/g, '$1');

const combined =
  '203.0.113.9 - frank [27/Nov/2026:14:03:07 +0000] "GET /products/1234?x=1 HTTP/1.1" 200 5120 "https://www.google.com/" "Mozilla/5.0 (X11; \\"quoted\\")" "rid=rmbx1k2a9f3c1d2e-42"';
const common = 'host.example.com - - [27/Nov/2026:14:03:07 +0000] "POST /caf\\xC3\\xA9 HTTP/1.0" 201 -';
const extras = '2001:db8::1 - - [27/Nov/2026:14:03:07 +0000] "GET / HTTP/2.0" 200 12 "-" "curl" 0.004 "0.003" "rid=x-1"';
const bad = [
  'garbage',
  '203.0.113.9 - - [27/Nov/2026:14:03:07 +0000] "GET / HTTP/1.1" 200', // cut short
  '203.0.113.9 - - [27/Nov/2026:14:03:07 +0000] "GET / HTTP/1.1" 200 5120 "-" "curl', // cut inside the user agent
  '203.0.113.9 - - [27/Nov/2026:14:03:07 +0000] GET / HTTP/1.1 200 5120', // request not quoted
];

describe('the access-log format is one regex across the producer, the Spark job and the Hive table', () => {
  it('raw_to_parquet.py carries the shared ACCESS_LOG_REGEX and REQUEST_REGEX', () => {
    expect(/^ACCESS_LOG_REGEX = r'(.*)'$/m.exec(python)?.[1]).toBe(ACCESS_LOG_REGEX);
    expect(/^REQUEST_REGEX = r'(.*)'$/m.exec(python)?.[1]).toBe(REQUEST_REGEX);
  });

  it('the RegexSerDe table carries it too, escaped for a Spark SQL literal, with a column per group', () => {
    const match = /'input\.regex' = '(.*)'\)/.exec(rawSql);
    expect(sparkLiteral(match![1]!)).toBe(ACCESS_LOG_REGEX);
    const columns = [...rawSql.matchAll(/^ {2}([a-z_]+) STRING,?$/gm)].map((m) => m[1]);
    expect(columns).toEqual(['client_ip', 'ident', 'remote_user', 'time_local', ...ACCESS_LOG_FIELDS.slice(4).map((f) => f.name)]);
  });

  it('Python’s re reads good and bad lines as JavaScript does (same groups, same refusals)', () => {
    const script = `import re, json, sys\nr = re.compile(sys.argv[1])\nout = []\nfor line in json.loads(sys.stdin.read()):\n    m = r.match(line)\n    out.append([g or '' for g in m.groups()] if m else None)\nprint(json.dumps(out))`;
    const lines = [combined, common, extras, ...bad];
    const fromPython = JSON.parse(
      execFileSync('python3', ['-c', script, ACCESS_LOG_REGEX], { input: JSON.stringify(lines), encoding: 'utf8' }),
    ) as (string[] | null)[];
    expect(fromPython).toEqual(
      lines.map((l) => {
        const p = parseAccessLog(l);
        return p ? Object.values(p) : null;
      }),
    );
    expect(fromPython.slice(0, 3)).toEqual([
      [
        '203.0.113.9',
        '-',
        'frank',
        '27/Nov/2026:14:03:07 +0000',
        'GET /products/1234?x=1 HTTP/1.1',
        '200',
        '5120',
        'https://www.google.com/',
        'Mozilla/5.0 (X11; \\"quoted\\")',
        '',
        'rmbx1k2a9f3c1d2e-42',
      ],
      ['host.example.com', '-', '-', '27/Nov/2026:14:03:07 +0000', 'POST /caf\\xC3\\xA9 HTTP/1.0', '201', '-', '', '', '', ''],
      ['2001:db8::1', '-', '-', '27/Nov/2026:14:03:07 +0000', 'GET / HTTP/2.0', '200', '12', '-', 'curl', ' 0.004 "0.003"', 'x-1'],
    ]);
    expect(fromPython.slice(3)).toEqual(bad.map(() => null));
    expect(new RegExp(REQUEST_REGEX).exec('GET /products/1234?x=1 HTTP/1.1')?.slice(1)).toEqual(['GET', '/products/1234?x=1', 'HTTP/1.1']);
    expect(new RegExp(REQUEST_REGEX).test('-')).toBe(false);
  });

  it('the Python jobs compile', () => {
    execFileSync('python3', ['-m', 'py_compile', join(root, 'spark', 'kinesis_to_s3.py'), join(root, 'spark', 'raw_to_parquet.py')]);
  });
});

describe('SQL assets', () => {
  it('lists every asset with its dialect and placeholders', () => {
    const assets = loadAssets();
    expect(assets.jobs.map((j) => j.file)).toEqual(['spark/kinesis_to_s3.py', 'spark/raw_to_parquet.py']);
    expect(Object.fromEntries(assets.sql.map((a) => [a.path, a.placeholders]))).toEqual({
      'sql/redshift/access_logs.sql': [],
      'sql/redshift/copy_access_logs.sql': ['bucket', 'version', 'iam_role'],
      'sql/redshift/queries.sql': [],
      'sql/spark/curated_access_logs.sql': ['bucket', 'version'],
      'sql/spark/explore.sql': [],
      'sql/spark/raw_access_logs.sql': ['bucket'],
    });
  });

  it('fills placeholders and refuses to leave one empty', () => {
    expect(fill("FROM 's3://{{bucket}}/v{{version}}/'", { bucket: 'b', version: 3 })).toBe("FROM 's3://b/v3/'");
    expect(() => fill('{{iam_role}}', {})).toThrow(/iam_role/);
    expect(placeholdersOf('{{a}} {{b}} {{a}}')).toEqual(['a', 'b']);
  });

  it('the Redshift table’s columns are the Parquet files’ columns, in order (COPY matches by position), as wide as the job lets through', () => {
    const ddl = readFileSync(join(root, 'sql', 'redshift', 'access_logs.sql'), 'utf8');
    const columns = [...ddl.matchAll(/^ {2}([a-z_]+) +([A-Z]+)(?:\((\d+)\))?/gm)];
    const spark = /COLUMNS = \[(.*)\]/
      .exec(python)![1]!
      .split(',')
      .map((c) => c.trim().replace(/"/g, ''));
    expect(columns.map((m) => m[1])).toEqual(spark);
    const widths = Object.fromEntries(columns.filter((m) => m[2] === 'VARCHAR').map((m) => [m[1], Number(m[3])]));
    const limits = Object.fromEntries(
      [.../^ {4}"([a-z_]+)": (\d+),$/gm[Symbol.matchAll](/VARCHAR_BYTES = \{([\s\S]*?)\n\}/.exec(python)![1]! + '\n')].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
    expect(limits).toEqual(widths);
    expect(ddl).toMatch(/DISTKEY \(client_ip\)\s+COMPOUND SORTKEY \(ts\);/);
  });
});
