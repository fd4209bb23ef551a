import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CreateClusterCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { sandboxClientConfig } from '../../sandbox/client/constants.js';
import { readRunFile, type RunFile } from '../../sandbox/client/run-file.js';
import type { Cell, ExportProgress, RunChunk } from '../../shared/contract/index.js';
import { AppError } from '../../shared/errors.js';
import { parsePlan } from '../../shared/sql/plan.js';
import { unloadStatement } from '../../shared/sql/unload.js';
import { allRows, tempDir, testCore, workspaceOf } from '../helpers/core.js';
import { SparkEngine, type MasterExec } from '../../electron/core/engines/spark.js';
import { connectMaster } from './clients.js';
import { openSandboxMaster, startSandboxCluster } from '../helpers/sandbox-cluster.js';
import { until } from '../helpers/until.js';

const { dataDir } = inject('sandbox');
const signal = new AbortController().signal;
let run: RunFile;
let core: Core;
let clusterId: string;
let sessionId: string;
let appDir: string;

/** Runs SQL through the app's core as the UI does, collecting every chunk; `abortAfter` cancels like the Cancel button. */
async function runSql(
  connectionId: string,
  sql: string,
  options: { origin?: { line: number; column: number }; abort?: AbortController; maxRows?: number } = {},
): Promise<RunChunk[]> {
  const chunks: RunChunk[] = [];
  const stream = core.handlers['queries.run'](
    { connectionId, sql, origin: options.origin ?? { line: 1, column: 1 }, ...(options.maxRows ? { maxRows: options.maxRows } : {}) },
    { signal: options.abort?.signal ?? signal },
  );
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const only = <K extends RunChunk['kind']>(chunks: RunChunk[], kind: K) =>
  chunks.filter((c): c is Extract<RunChunk, { kind: K }> => c.kind === kind);

beforeAll(async () => {
  run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
  // The app's own data (known hosts, connections, history) apart from other test files; the running sandbox shared.
  appDir = tempDir('tributary-workbench-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  clusterId = await startSandboxCluster(run, 'workbench-test');
  sessionId = await openSandboxMaster(core, run, clusterId, signal);
});

afterAll(async () => {
  await core?.dispose();
});

describe('Redshift over the wire protocol (the sandbox warehouse)', () => {
  it('offers the sandbox’s own connections, Spark SQL on the running cluster included', async () => {
    const list = await core.handlers['connections.list']({}, { signal });
    expect(list.map((c) => c.id)).toEqual(
      expect.arrayContaining(['sandbox-warehouse', 'sandbox-data-api', `sandbox-spark-${clusterId.toLowerCase()}`]),
    );
    const tested = await core.handlers['connections.test']({ id: 'sandbox-warehouse' }, { signal });
    expect(tested.serverVersion).toMatch(/PostgreSQL/);
  });

  it('signs in as the admin the run file names, whose password reaches neither the renderer nor a log nor an error', async () => {
    expect(run.redshift.adminPassword.length).toBeGreaterThanOrEqual(24);
    expect((statSync(join(dataDir, 'sandbox', 'run.json')).mode & 0o777).toString(8)).toBe('600');
    const chunks = await runSql('sandbox-warehouse', 'SELECT current_user');
    expect(await allRows(core, only(chunks, 'result')[0]!.resultId)).toEqual([[run.redshift.adminUser]]);
    const failed = await runSql('sandbox-warehouse', 'SELECT * FROM no_such_table_for_the_admin_test');
    const list = await core.handlers['connections.list']({}, { signal });
    const status = await core.handlers['sandbox.status']({}, { signal });
    for (const answer of [chunks, failed, list, status]) expect(JSON.stringify(answer)).not.toContain(run.redshift.adminPassword);
    expect(only(failed, 'error').length).toBe(1);
    await core.log.flush();
    const logs = readdirSync(join(appDir, 'logs'))
      .map((f) => readFileSync(join(appDir, 'logs', f), 'utf8'))
      .join('');
    expect(logs).not.toContain(run.redshift.adminPassword);
  });

  it('keeps every value exact, with the type the server named', async () => {
    const chunks = await runSql(
      'sandbox-warehouse',
      `SELECT 9223372036854775807::int8 AS i8max, (-9223372036854775808)::int8 AS i8min, 1234567890123456789012345678.0123456789::numeric(38,10) AS n,
              '2024-02-29 23:59:59.123456+05:30'::timestamptz AS tz, '2024-02-29 23:59:59.5'::timestamp(3) AS ts, '1 year 2 mons 3 days 04:05:06.789'::interval AS iv,
              '\\xdeadbeef00'::bytea AS b, ARRAY[1, NULL, 3]::int4[] AS arr, '{"a": [1, 2.50, null]}'::jsonb AS j, 'ünïcödé ✓ 漢字 🚀'::text AS u,
              NULL::text AS nothing, ''::text AS empty, true AS yes, 0.1::float8 AS f, '2024-01-02'::date AS d, 'a8098c1a-f86e-11da-bd1a-00112444be1e'::uuid AS id`,
    );
    const result = only(chunks, 'result')[0]!;
    expect(result.columns.map((c) => `${c.name}:${c.type}:${c.kind}`)).toEqual([
      'i8max:int8:int',
      'i8min:int8:int',
      'n:numeric(38,10):decimal',
      'tz:timestamptz:timestamptz',
      'ts:timestamp(3):timestamp',
      'iv:interval:interval',
      'b:bytea:binary',
      'arr:int4[]:array',
      'j:jsonb:json',
      'u:text:text',
      'nothing:text:text',
      'empty:text:text',
      'yes:bool:bool',
      'f:float8:float',
      'd:date:date',
      'id:uuid:text',
    ]);
    const rows = await allRows(core, result.resultId);
    expect(rows).toEqual([
      [
        '9223372036854775807',
        '-9223372036854775808',
        '1234567890123456789012345678.0123456789',
        '2024-02-29 18:29:59.123456+00',
        '2024-02-29 23:59:59.5',
        '1 year 2 mons 3 days 04:05:06.789',
        '\\xdeadbeef00',
        '{1,NULL,3}',
        '{"a": [1, 2.50, null]}',
        'ünïcödé ✓ 漢字 🚀',
        null,
        '',
        't',
        '0.1',
        '2024-01-02',
        'a8098c1a-f86e-11da-bd1a-00112444be1e',
      ],
    ]);
    expect(only(chunks, 'done')[0]).toMatchObject({ command: 'SELECT', rows: 1 });
  });

  it('runs a script statement by statement, with rows affected, notices, and history', async () => {
    const chunks = await runSql(
      'sandbox-warehouse',
      "DROP TABLE IF EXISTS wb_t;\nCREATE TABLE wb_t (id int8, v text);\nINSERT INTO wb_t SELECT g, 'v' || g FROM generate_series(1, 25) g;\n-- a comment that is not a statement\nSELECT count(*) FROM wb_t;\n",
    );
    expect(only(chunks, 'statement').map((c) => c.start.line)).toEqual([1, 2, 3, 5]);
    expect(only(chunks, 'done').map((c) => c.command)).toEqual(['DROP', 'CREATE', 'INSERT', 'SELECT']);
    expect(only(chunks, 'done')[2]).toMatchObject({ rowsAffected: 25 });
    expect(only(chunks, 'notice').some((n) => /does not exist, skipping/.test(n.message))).toBe(true);
    const history = await core.handlers['queries.history']({ connectionId: 'sandbox-warehouse', search: 'wb_t', limit: 10 }, { signal });
    expect(history[0]).toMatchObject({ sql: 'SELECT count(*) FROM wb_t', rows: 1 });
  });

  it('browses the schema and explains a query as a plan tree', async () => {
    const tree = await core.handlers['connections.schema']({ id: 'sandbox-warehouse' }, { signal });
    const table = tree.schemas.find((s) => s.name === 'public')?.tables.find((t) => t.name === 'wb_t');
    expect(table?.columns).toEqual([
      { name: 'id', type: 'bigint' },
      { name: 'v', type: 'text' },
    ]);
    const chunks = await runSql('sandbox-warehouse', 'EXPLAIN SELECT v, count(*) FROM wb_t WHERE id > 3 GROUP BY v');
    const lines = (await allRows(core, only(chunks, 'result')[0]!.resultId)).map((r) => r[0]).join('\n');
    const [root] = parsePlan(lines);
    expect(root?.label).toMatch(/HashAggregate/);
    expect(root?.children[0]?.label).toMatch(/Seq Scan on wb_t/);
    expect(root?.children[0]?.details.join(' ')).toMatch(/Filter: \(id > 3\)/);
  });

  it('unloads a result to S3 instead of downloading it', async () => {
    const s3 = new S3Client({ ...sandboxClientConfig(run), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'wb-unload' }));
    const sql = unloadStatement("SELECT g AS id, 'v' || g AS v FROM generate_series(1, 10) g WHERE g::text <> 'none'", {
      s3Prefix: 's3://wb-unload/exports/wb_t_',
      iamRole: 'arn:aws:iam::123456789012:role/tributary-redshift-copy',
      format: 'CSV',
    });
    const chunks = await runSql('sandbox-warehouse', sql);
    expect(only(chunks, 'error')).toEqual([]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'wb-unload', Prefix: 'exports/wb_t_' }));
    expect(listed.Contents?.length).toBeGreaterThan(0);
    const first = await s3.send(new GetObjectCommand({ Bucket: 'wb-unload', Key: listed.Contents![0]!.Key! }));
    expect(await first.Body!.transformToString()).toMatch(/^id,v\n/);
    s3.destroy();
  });

  it('points a syntax error at its line and column in the editor, and stops the script there', async () => {
    const chunks = await runSql('sandbox-warehouse', 'SELECT 1;\nSELECT id,\n       v FORM wb_t;\nSELECT 2;', {
      origin: { line: 10, column: 5 },
    });
    const error = only(chunks, 'error')[0]!;
    expect(error).toMatchObject({ index: 1, code: '42601', at: { line: 12, column: 15 } });
    expect(error.message).toContain('syntax error at or near "wb_t"');
    expect(only(chunks, 'statement')).toHaveLength(2);
  });

  it('cancels pg_sleep(60) within a second, and the server stops it', async () => {
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 1500);
    await runSql('sandbox-warehouse', 'SELECT pg_sleep(60)', { abort });
    expect(Date.now() - started).toBeLessThan(2500);
    const sleeping = await until(
      'backend gone',
      async () => {
        const check = await runSql(
          'sandbox-warehouse',
          "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
        ).catch((e: unknown) => {
          if (e instanceof AppError && e.code === 'CONFLICT') return undefined;
          throw e;
        });
        return check && (await allRows(core, only(check, 'result')[0]!.resultId))[0]![0];
      },
      1000,
    );
    expect(sleeping).toBe('0');
  });

  it('honours the operator’s row limit, and exports the whole result byte for byte as psql writes it', async () => {
    const limited = await runSql('sandbox-warehouse', 'SELECT g FROM generate_series(1, 100000) g', { maxRows: 1234 });
    expect(only(limited, 'done')[0]).toMatchObject({ rows: 1234 });
    expect(only(limited, 'notice').some((n) => /1234 rows/.test(n.message))).toBe(true);

    const sql = 'SELECT g, md5(g::text) FROM generate_series(1,1000000) g';
    const chunks = await runSql('sandbox-warehouse', sql);
    const { resultId } = only(chunks, 'result')[0]!;
    const path = join(workspaceOf(core), 'result.csv');
    const progress: ExportProgress[] = [];
    for await (const p of core.handlers['results.export']({ resultId, format: 'csv', path, overwrite: false }, { signal }))
      progress.push(p);
    expect(progress.at(-1)).toMatchObject({ kind: 'done', rows: 1_000_000 });
    const password = run.redshift.adminPassword;
    const reference = join(tempDir('tributary-psql-'), 'psql.csv');
    execFileSync(
      'psql',
      [
        '-h',
        run.redshift.host,
        '-p',
        String(run.redshift.port),
        '-U',
        run.redshift.adminUser,
        '-d',
        'dev',
        '-c',
        `\\copy (${sql}) to '${reference}' csv header`,
      ],
      { env: { ...process.env, PGPASSWORD: password } },
    );
    const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(sha(path)).toBe(sha(reference));
  });
});

describe('a Redshift cluster created through the API, reached through the EMR master', () => {
  it('connects with the stored password through the session’s tunnel; the password is never written down', async () => {
    const password = 'Wb-Secret-Passw0rd-77';
    const redshift = new RedshiftClient(sandboxClientConfig(run));
    await redshift.send(
      new CreateClusterCommand({
        ClusterIdentifier: 'wb-cluster',
        NodeType: 'ra3.xlplus',
        MasterUsername: 'wbadmin',
        MasterUserPassword: password,
        DBName: 'wbdb',
        ClusterType: 'single-node',
      }),
    );
    redshift.destroy();
    const list = await core.handlers['connections.save'](
      {
        name: 'Warehouse via master',
        environmentId: 'sandbox',
        spec: {
          engine: 'redshift',
          clusterIdentifier: 'wb-cluster',
          database: 'wbdb',
          user: 'wbadmin',
          auth: 'password',
          password,
          route: { kind: 'session', sessionId },
        },
      },
      { signal },
    );
    const saved = list.find((c) => c.name === 'Warehouse via master')!;
    expect(saved).toMatchObject({ hasPassword: true, builtIn: false });
    expect(JSON.stringify(saved)).not.toContain(password);
    const chunks = await until(
      'cluster available',
      async () => {
        const attempt = await runSql(saved.id, 'SELECT current_user, current_database()');
        return only(attempt, 'done').length ? attempt : undefined;
      },
      60_000,
    );
    expect(await allRows(core, only(chunks, 'result')[0]!.resultId)).toEqual([['wbadmin', 'wbdb']]);
    const sessions = await core.handlers['sessions.list']({}, { signal });
    expect(sessions.find((s) => s.id === sessionId)?.tunnels.some((t) => t.service === 'redshift')).toBe(true);
    expect(readFileSync(join(appDir, 'connections.json'), 'utf8')).not.toContain(password);
    await core.log.flush();
    const logs = readdirSync(join(appDir, 'logs'))
      .map((f) => readFileSync(join(appDir, 'logs', f), 'utf8'))
      .join('');
    expect(logs).not.toContain(password);
  });

  it('signs in with IAM (GetClusterCredentials): a temporary user that acts as the database user', async () => {
    const list = await core.handlers['connections.save'](
      {
        name: 'Warehouse with IAM',
        environmentId: 'sandbox',
        spec: {
          engine: 'redshift',
          clusterIdentifier: 'wb-cluster',
          database: 'wbdb',
          user: 'wbadmin',
          auth: 'iam',
          route: { kind: 'direct' },
        },
      },
      { signal },
    );
    const saved = list.find((c) => c.name === 'Warehouse with IAM')!;
    expect(saved.target).toContain('(IAM)');
    const chunks = await runSql(saved.id, 'SELECT session_user, current_user');
    expect(await allRows(core, only(chunks, 'result')[0]!.resultId)).toEqual([['IAM:wbadmin', 'wbadmin']]);
  });
});

describe('the Redshift Data API', () => {
  it('pages a result across many pages, exactly', async () => {
    const chunks = await runSql('sandbox-data-api', "SELECT g, 'row ' || g AS label FROM generate_series(1, 25000) g ORDER BY g");
    const result = only(chunks, 'result')[0]!;
    const rows = await allRows(core, result.resultId);
    expect(rows).toHaveLength(25_000);
    expect(rows[0]).toEqual(['1', 'row 1']);
    expect(rows[24_999]).toEqual(['25000', 'row 25000']);
    expect(result.columns.map((c) => c.kind)).toEqual(['int', 'text']);
  });

  it('cancels a running statement', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 1500);
    const started = Date.now();
    await runSql('sandbox-data-api', 'SELECT pg_sleep(60)', { abort });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('Spark SQL through the master session', () => {
  const spark = () => `sandbox-spark-${clusterId.toLowerCase()}`;

  it('keeps bigint and decimal exact', async () => {
    const chunks = await runSql(
      spark(),
      "SELECT CAST(9223372036854775807 AS BIGINT) AS big, CAST('12345678901234567890123456.0123456789' AS DECIMAL(38,10)) AS d, CAST(NULL AS STRING) AS s, 'ü' AS u, TIMESTAMP'2024-01-02 03:04:05.123456' AS t",
    );
    const result = only(chunks, 'result')[0]!;
    expect(result.columns.map((c) => `${c.name}:${c.type}:${c.kind}`)).toEqual([
      'big:bigint:int',
      'd:decimal(38,10):decimal',
      's:string:text',
      'u:string:text',
      't:timestamp:timestamp',
    ]);
    expect(await allRows(core, result.resultId)).toEqual([
      ['9223372036854775807', '12345678901234567890123456.0123456789', null, 'ü', '2024-01-02 03:04:05.123456'],
    ]);
  });

  it('browses Spark’s databases and tables with their locations', async () => {
    await runSql(spark(), 'CREATE TABLE IF NOT EXISTS wb_spark (id BIGINT, name STRING) USING parquet');
    const tree = await core.handlers['connections.schema']({ id: spark() }, { signal });
    const table = tree.schemas.find((s) => s.name === 'default')?.tables.find((t) => t.name === 'wb_spark');
    expect(table?.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id bigint', 'name string']);
    expect(table?.details).toMatch(/^LOCATION .*wb_spark/);
  });

  it('points a parse error at its place', async () => {
    const chunks = await runSql(spark(), 'SELECT 1\nFORM x', { origin: { line: 3, column: 1 } });
    const error = only(chunks, 'error')[0]!;
    // Spark points at the token after FORM, the first it cannot parse.
    expect(error.at).toEqual({ line: 4, column: 6 });
  });

  it('cancels a long Spark job, and Spark stops it (the next job is not queued behind it)', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 4000);
    const started = Date.now();
    await runSql(spark(), 'SELECT sum(a.id * b.id) FROM range(0, 300000) a CROSS JOIN range(0, 300000) b', { abort });
    expect(Date.now() - started).toBeLessThan(6000);
    const next = await until(
      'connection free',
      async () => {
        const attempt = await runSql(spark(), 'SELECT count(*) FROM range(0, 1000000)').catch((e: unknown) => {
          if (e instanceof AppError && e.code === 'CONFLICT') return undefined;
          throw e;
        });
        return attempt;
      },
      10_000,
    );
    const done = only(next, 'done')[0];
    expect(done?.durationMs).toBeLessThan(20_000);
    expect(await allRows(core, only(next, 'result')[0]!.resultId)).toEqual([['1000000']]);
  });
});

describe('Spark SQL when the Thrift server does not answer', () => {
  it('runs the statement with spark-sql over SSH on the master instead, and says so', async () => {
    const ssh = await connectMaster(run);
    // The same contract as the sessions service's master exec: SQL on stdin, stdout with backpressure, closing stops it.
    const exec: MasterExec = (command, stdin, execSignal, onStdout) =>
      new Promise((resolve, reject) =>
        ssh.exec(command, (error, channel) => {
          if (error) return reject(error);
          let stderr = '';
          let code: number | null = null;
          execSignal.addEventListener('abort', () => channel.close(), { once: true });
          channel.on('data', (chunk: Buffer) => {
            channel.pause();
            void onStdout(chunk).then(() => channel.resume());
          });
          channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          channel.on('exit', (exitCode: number | null) => (code = exitCode));
          channel.on('close', () => resolve({ code, stderr }));
          channel.end(stdin);
        }),
      );
    // Nothing listens on port 1: the Thrift server is "down".
    const engine = new SparkEngine(() => Promise.resolve({ port: 1 }), exec);
    const columns: string[] = [];
    const rows: Cell[][] = [];
    const notices: string[] = [];
    const sink = {
      columns: (c: { name: string }[]) => void columns.push(...c.map((x) => x.name)),
      rows: async (batch: Cell[][]) => void rows.push(...batch),
      notice: (_level: string, message: string) => void notices.push(message),
    };
    const outcome = await engine.execute(
      "SELECT id, CAST(id * 3 AS BIGINT) AS triple, IF(id = 2, NULL, 'ü x') AS maybe FROM range(1, 4)",
      sink,
      signal,
    );
    expect(outcome.command).toBe('SELECT');
    expect(columns).toEqual(['id', 'triple', 'maybe']);
    expect(rows).toEqual([
      ['1', '3', 'ü x'],
      ['2', '6', null],
      ['3', '9', 'ü x'],
    ]);
    expect(notices.join(' ')).toMatch(/does not answer.*spark-sql over SSH/);
    await expect(engine.execute('SELECT 1 FORM x', sink, signal)).rejects.toMatchObject({ name: 'StatementError', offset: 14 });
    ssh.end();
  });
});
