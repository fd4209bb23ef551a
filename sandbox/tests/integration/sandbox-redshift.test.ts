// Over ~400 lines on purpose: one Redshift stand-in over one PostgreSQL serves every COPY, UNLOAD and Data API case.
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  DescribeTableCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListDatabasesCommand,
  ListTablesCommand,
  RedshiftDataClient,
  type DescribeStatementCommandOutput,
} from '@aws-sdk/client-redshift-data';
import { parquetWriteBuffer } from 'hyparquet-writer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../../../shared/node/log.js';
import { startPostgres, type RunningPostgres } from '../../postgres.js';
import { sandboxClientConfig } from '../../client/constants.js';
import { startGateway, type Gateway } from '../../gateway/server.js';
import { createDataApi, type DataApi } from '../../redshift/data-api.js';
import { startRedshiftProxy, type RunningProxy } from '../../redshift/proxy.js';
import { rewriteSql } from '../../redshift/rewrite.js';
import { startTestS3, type TestS3 } from '../../../tests/helpers/test-s3.js';
import { until } from '../../../tests/helpers/until.js';

const USER = 'tributary';
const PASSWORD = 'sandbox-pass-1';
const BUCKET = 'lake';
const ROLE = "IAM_ROLE 'arn:aws:iam::123456789012:role/Loader'";

let root: string;
let postgres: RunningPostgres;
let s3: TestS3;
let proxy: RunningProxy;
let dataApi: DataApi;
let gateway: Gateway;
let redshiftData: RedshiftDataClient;
const clients: pg.Client[] = [];

async function connectProxy(): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: USER, password: PASSWORD, database: 'dev' });
  await client.connect();
  clients.push(client);
  return client;
}

async function put(key: string, body: string | Buffer, client: S3Client = s3.client): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from(body) }));
}

async function text(key: string): Promise<string> {
  const result = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return result.Body!.transformToString();
}

async function keys(prefix: string): Promise<string[]> {
  const result = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (result.Contents ?? []).map((item) => item.Key!).sort();
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tributary-redshift-'));
  // Run as root, PostgreSQL runs as the postgres user, which must be able to create its data directory here.
  chmodSync(root, 0o777);
  const log = new Logger(undefined, process.env.REDSHIFT_TEST_LOG === '1');
  [postgres, s3] = await Promise.all([
    startPostgres({ dataDir: join(root, 'pg'), port: 0, user: USER, password: PASSWORD, log }),
    startTestS3(),
  ]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  proxy = await startRedshiftProxy({ upstreamPort: postgres.port, admin: { user: USER, password: PASSWORD }, s3: s3.client, log });
  dataApi = createDataApi({
    proxyPort: proxy.port,
    user: USER,
    password: PASSWORD,
    database: 'dev',
    log,
    resultsDir: join(root, 'results'),
  });

  // The sandbox's own gateway answers the Data API; anything else would go to the emulator.
  gateway = await startGateway({
    port: 0,
    upstream: s3.endpoint,
    keys: s3.credentials,
    upstreamToken: s3.token,
    json: { 'redshift-data': dataApi },
    log,
  });
  redshiftData = new RedshiftDataClient({ ...sandboxClientConfig({ endpoint: gateway.url, credentials: s3.credentials }), maxAttempts: 1 });
});

afterAll(async () => {
  for (const client of clients) await client.end().catch(() => undefined);
  redshiftData?.destroy();
  await gateway?.close();
  await dataApi?.close();
  await proxy?.close();
  await postgres?.stop();
  await s3?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('Redshift SQL through the sandbox endpoint', () => {
  it('accepts Redshift DDL with DISTKEY, SORTKEY, ENCODE, DISTSTYLE, BACKUP and IDENTITY', async () => {
    const db = await connectProxy();
    await db.query(`
      CREATE TABLE sales (
        sale_id BIGINT IDENTITY(100, 5) ENCODE az64,
        region VARCHAR(16) ENCODE lzo DISTKEY,
        note VARCHAR(MAX) ENCODE zstd,
        amount DECIMAL(12,2) ENCODE az64 SORTKEY,
        sold_at TIMESTAMP
      ) BACKUP NO DISTSTYLE KEY COMPOUND SORTKEY (sold_at, region);
      CREATE TABLE dims (id INT) DISTSTYLE ALL INTERLEAVED SORTKEY (id);
      CREATE TABLE autos (id INT) DISTSTYLE AUTO SORTKEY AUTO ENCODE AUTO;
      ALTER TABLE dims ALTER DISTSTYLE EVEN;`);
    await db.query(
      "INSERT INTO sales (region, note, amount, sold_at) VALUES ('eu', NULL, 10.50, '2024-01-02 03:04:05'), ('us', 'x', 2.25, '2024-01-03 00:00:00')",
    );
    const rows = await db.query("SELECT sale_id, region, NVL(note, 'none') AS note, amount FROM sales ORDER BY sale_id");
    expect(rows.rows).toEqual([
      { sale_id: '100', region: 'eu', note: 'none', amount: '10.50' },
      { sale_id: '105', region: 'us', note: 'x', amount: '2.25' },
    ]);
    const column = await db.query(
      "SELECT character_maximum_length FROM information_schema.columns WHERE table_name = 'sales' AND column_name = 'note'",
    );
    expect(column.rows[0].character_maximum_length).toBe(65535);
  });

  it('runs Redshift functions and leaves quoted text alone', async () => {
    const db = await connectProxy();
    const result = await db.query(`
      SELECT GETDATE() <= now() AS ok_getdate, SYSDATE IS NOT NULL AS ok_sysdate,
        LISTAGG(region, ',') WITHIN GROUP (ORDER BY region) AS regions,
        'DISTKEY(x) ENCODE lzo' AS literal, DATEDIFF(day, '2024-01-01'::timestamp, '2024-03-01'::timestamp) AS days,
        NVL2(NULL, 'a', 'b') AS nvl2, MAX(NVL2(note, 'has', 'none')) AS noted, LEN('abc') AS len
      FROM sales`);
    expect(result.rows[0]).toEqual({
      ok_getdate: true,
      ok_sysdate: true,
      regions: 'eu,us',
      literal: 'DISTKEY(x) ENCODE lzo',
      days: '60',
      nvl2: 'b',
      noted: 'none',
      len: 3,
    });
    expect(rewriteSql(`SELECT 'sortkey(a)', "distkey", $$ ENCODE x $$ -- DISTSTYLE ALL\n`)).toBe(
      `SELECT 'sortkey(a)', "distkey", $$ ENCODE x $$ -- DISTSTYLE ALL\n`,
    );
  });

  it('keeps psql-style simple queries, errors and transactions working', async () => {
    const db = await connectProxy();
    const results = (await db.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as pg.QueryResult[];
    expect(results.map((result) => result.rows[0])).toEqual([{ a: 1 }, { b: 2 }]);
    await expect(db.query('SELECT * FROM no_such_table')).rejects.toThrow(/does not exist/);
    const prepared = await db.query('SELECT $1::int + 1 AS n', [41]);
    expect(prepared.rows[0].n).toBe(42);
  });

  it('survives a malformed client message and a dropped connection', async () => {
    const answer = await new Promise<string>((resolve) => {
      let received = '';
      const socket = connect({ host: '127.0.0.1', port: proxy.port }, () => socket.write(Buffer.from([0, 0, 0, 1, 9, 9, 9, 9])));
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('close', () => resolve(received));
      socket.on('error', () => undefined);
    });
    expect(answer).toMatch(/Protocol error: bad startup packet length/);
    const half = connect({ host: '127.0.0.1', port: proxy.port });
    await new Promise((resolve) => half.once('connect', resolve));
    half.destroy();
    const db = await connectProxy();
    expect((await db.query('SELECT 7 AS n')).rows[0].n).toBe(7);
  });
});

describe('COPY from S3', () => {
  it('loads every object under a CSV prefix, skipping headers and folder keys', async () => {
    const db = await connectProxy();
    await db.query('CREATE TABLE events (id INT, name VARCHAR(32), amount DECIMAL(10,2), seen DATE)');
    await put('events/', '');
    await put('events/part-0.csv', 'id,name,amount,seen\n1,"Smith, J",1.50,2024-01-01\n2,,2.00,2024-01-02\n');
    await put('events/part-1.csv', 'id,name,amount,seen\n3,"multi\nline",3.25,\n');
    await put('events-other/ignored.csv', 'x\n');
    const result = await db.query(`COPY events FROM 's3://${BUCKET}/events/' ${ROLE} FORMAT AS CSV IGNOREHEADER 1 REGION 'us-east-1'`);
    expect(result.rowCount).toBe(3);
    const rows = await db.query('SELECT id, name, amount, seen::text FROM events ORDER BY id');
    expect(rows.rows).toEqual([
      { id: 1, name: 'Smith, J', amount: '1.50', seen: '2024-01-01' },
      { id: 2, name: '', amount: '2.00', seen: '2024-01-02' },
      { id: 3, name: 'multi\nline', amount: '3.25', seen: null },
    ]);
  });

  it('loads gzipped pipe-delimited text (the default format) with s3a:// and a column list', async () => {
    const db = await connectProxy();
    await db.query('CREATE TABLE piped (a INT, b VARCHAR(10), c VARCHAR(10))');
    await put('piped/data.txt.gz', gzipSync('1|x|\\N\n2|y|z\n'));
    await db.query(`COPY piped (a, b, c) FROM 's3a://${BUCKET}/piped/' ${ROLE} GZIP`);
    expect((await db.query('SELECT a, b, c FROM piped ORDER BY a')).rows).toEqual([
      { a: 1, b: 'x', c: null },
      { a: 2, b: 'y', c: 'z' },
    ]);
  });

  it("loads JSON 'auto' and 'auto ignorecase' by column name with exact numbers", async () => {
    const db = await connectProxy();
    await db.query('CREATE TABLE clicks (user_id BIGINT, page VARCHAR(64), meta VARCHAR(256), score DECIMAL(20,10))');
    await put(
      'clicks/a.json',
      '{"user_id": 9007199254740993, "page": "/home", "meta": {"k": [1, 2]}, "score": 0.1234567891}\n{"page":"/x","extra":true}\n',
    );
    await db.query(`COPY clicks FROM 's3://${BUCKET}/clicks/' ${ROLE} FORMAT AS JSON 'auto'`);
    await put('clicks-upper/b.json', '{"USER_ID": 1, "Page": "/upper"}');
    await db.query(`COPY clicks FROM 's3://${BUCKET}/clicks-upper/' ${ROLE} JSON 'auto ignorecase'`);
    const rows = await db.query('SELECT user_id, page, meta, score FROM clicks ORDER BY page');
    expect(rows.rows).toEqual([
      { user_id: '9007199254740993', page: '/home', meta: '{"k": [1, 2]}', score: '0.1234567891' },
      { user_id: '1', page: '/upper', meta: null, score: null },
      { user_id: null, page: '/x', meta: null, score: null },
    ]);
  });

  it('loads Parquet with exact int64, decimals, timestamps, dates, booleans and binary', async () => {
    const db = await connectProxy();
    await db.query(
      `CREATE TABLE typed (id BIGINT, amount DECIMAL(18,4), big DECIMAL(38,10), ts TIMESTAMP, d DATE, flag BOOLEAN, name VARCHAR(64), payload VARBYTE(16), ratio DOUBLE PRECISION)`,
    );
    await put('typed/part-0.parquet', readFileSync(join(import.meta.dirname, '../fixtures/redshift/typed.parquet')));
    const result = await db.query(`COPY typed FROM 's3://${BUCKET}/typed/' ${ROLE} FORMAT AS PARQUET`);
    expect(result.rowCount).toBe(3);
    const rows = await db.query(
      "SELECT id::text, amount::text, big::text, ts::text, d::text, flag, name, encode(payload, 'hex') AS payload, ratio::text FROM typed ORDER BY id",
    );
    expect(rows.rows).toEqual([
      {
        id: '-9223372036854775808',
        amount: '-0.0001',
        big: '0.0000000000',
        ts: '1969-12-31 23:59:59.999999',
        d: '1900-01-01',
        flag: false,
        name: '',
        payload: '',
        ratio: '1e+300',
      },
      { id: '42', amount: null, big: '-1.5000000000', ts: null, d: null, flag: null, name: null, payload: null, ratio: null },
      {
        id: '9007199254740993',
        amount: '12345678901234.5678',
        big: '1234567890123456789012345678.0123456789',
        ts: '2024-02-29 23:59:59.123456',
        d: '2024-02-29',
        flag: true,
        name: 'ünïcode, "quoted"',
        payload: '00ff10',
        ratio: '0.1',
      },
    ]);
  });

  it('fails a bad load as Redshift does and records it in stl_load_errors and sys_load_error_detail, even after ROLLBACK', async () => {
    const db = await connectProxy();
    await db.query('CREATE TABLE strict_load (id INT, name VARCHAR(5))');
    await put('bad/one.csv', '1,ok\n2,fine\nthree,bad\n');
    await db.query('BEGIN');
    const error = await db.query(`COPY strict_load FROM 's3://${BUCKET}/bad/' ${ROLE} CSV`).then(
      () => undefined,
      (failure: Error) => failure,
    );
    expect(error?.message).toBe("Load into table 'strict_load' failed. Check 'sys_load_error_detail' system table for details.");
    await expect(db.query('SELECT 1')).rejects.toThrow(/current transaction is aborted/);
    await db.query('ROLLBACK');
    expect((await db.query('SELECT count(*)::int AS n FROM strict_load')).rows[0].n).toBe(0);

    const stl = await db.query(
      "SELECT trim(filename) AS filename, line_number, trim(colname) AS colname, trim(type) AS type, trim(raw_field_value) AS value, trim(raw_line) AS raw_line, err_code, trim(err_reason) AS reason FROM stl_load_errors WHERE trim(filename) LIKE '%/bad/one.csv'",
    );
    expect(stl.rows).toHaveLength(1);
    expect(stl.rows[0]).toMatchObject({
      filename: `s3://${BUCKET}/bad/one.csv`,
      line_number: '3',
      colname: 'id',
      type: 'int4',
      value: 'three',
      raw_line: 'three,bad',
      err_code: 1207,
    });
    expect(stl.rows[0].reason).toMatch(/invalid input syntax for type integer/);

    const other = await connectProxy();
    await other.query('SET search_path TO nothing_here');
    const sys = await other.query(
      "SELECT file_name, line_number, column_name, error_code, error_message FROM sys_load_error_detail WHERE file_name LIKE '%/bad/one.csv'",
    );
    expect(sys.rows[0]).toMatchObject({ file_name: `s3://${BUCKET}/bad/one.csv`, line_number: '3', column_name: 'id', error_code: 1207 });
  });

  it('skips up to MAXERROR bad rows, loads the rest and records the skipped ones', async () => {
    const db = await connectProxy();
    await db.query('CREATE TABLE lenient (id INT, name VARCHAR(5))');
    await put('lenient/a.csv', '1,ok\nx,bad\n3,toolongvalue\n4,fine\n');
    const loaded = await db.query(`COPY lenient FROM 's3://${BUCKET}/lenient/' ${ROLE} CSV MAXERROR 2`);
    expect(loaded.rowCount).toBe(2);
    const errors = await db.query(
      "SELECT line_number, trim(colname) AS colname FROM stl_load_errors WHERE trim(filename) LIKE '%/lenient/a.csv' ORDER BY line_number",
    );
    expect(errors.rows).toEqual([
      { line_number: '2', colname: 'id' },
      { line_number: '3', colname: 'name' },
    ]);
    await put('lenient2/a.csv', '1,ok\nx,bad\ny,bad\n');
    await expect(db.query(`COPY lenient FROM 's3://${BUCKET}/lenient2/' ${ROLE} CSV MAXERROR 1`)).rejects.toThrow(
      /Load into table 'lenient' failed/,
    );
  });

  it('keeps every COPY in sys_load_history, completed or aborted, joined to sys_load_error_detail by query_id', async () => {
    const db = await connectProxy();
    // Redshift's system tables are in UTC whatever the session's time zone.
    await db.query("SET TIME ZONE 'America/New_York'");
    const { pid, userid } = (
      await db.query('SELECT pg_backend_pid() AS pid, (SELECT usesysid::int FROM pg_user WHERE usename = current_user) AS userid')
    ).rows[0];
    const parquet = readFileSync(join(import.meta.dirname, '../fixtures/redshift/typed.parquet'));
    await db.query(
      `CREATE TABLE typed_history (id BIGINT, amount DECIMAL(18,4), big DECIMAL(38,10), ts TIMESTAMP, d DATE, flag BOOLEAN, name VARCHAR(64), payload VARBYTE(16), ratio DOUBLE PRECISION)`,
    );
    await db.query('CREATE TABLE csv_history (id INT, name VARCHAR(5))');
    await put('history/parquet/part-0.parquet', parquet);
    await put('history/partial/a.csv', '1,ok\nx,bad\n3,fine\n4,toolongvalue\n5,last\n');
    await put('history/failed/a.csv', '1,ok\ny,bad\n');

    expect((await db.query(`COPY typed_history FROM 's3://${BUCKET}/history/parquet/' ${ROLE} FORMAT AS PARQUET`)).rowCount).toBe(3);
    expect((await db.query(`COPY csv_history FROM 's3://${BUCKET}/history/partial/' ${ROLE} CSV MAXERROR 5`)).rowCount).toBe(3);
    await db.query('BEGIN');
    const xid = (await db.query('SELECT pg_current_xact_id()::text AS xid')).rows[0].xid as string;
    await expect(db.query(`COPY csv_history FROM 's3://${BUCKET}/history/failed/' ${ROLE} CSV`)).rejects.toThrow(
      "Load into table 'csv_history' failed",
    );
    await db.query('ROLLBACK');
    await expect(db.query(`COPY csv_history FROM 's3://${BUCKET}/history/missing/' ${ROLE} CSV`)).rejects.toThrow(/does not exist/);

    const history = await db.query(`
      SELECT query_id, status, table_name, database_name, loaded_rows, loaded_bytes, error_count, data_source, file_format,
        source_file_count, source_file_bytes, file_count_scanned, file_bytes_scanned, copy_job_id, start_time <= end_time AS ordered, duration,
        extract(epoch FROM end_time - start_time) * 1000000 = duration AS consistent,
        abs(extract(epoch FROM start_time - (now() AT TIME ZONE 'UTC'))) < 60 AS utc, session_id, user_id, transaction_id::text AS transaction_id
      FROM sys_load_history WHERE data_source LIKE 's3://${BUCKET}/history/%' ORDER BY query_id`);
    expect(history.rows).toHaveLength(4);
    const [parquetLoad, partial, failed, missing] = history.rows;
    for (const row of history.rows) {
      expect(row).toMatchObject({ database_name: 'dev', ordered: true, consistent: true, utc: true, session_id: pid, user_id: userid });
      expect(Number(row.duration)).toBeGreaterThan(0);
    }
    expect(parquetLoad).toMatchObject({
      status: 'completed',
      table_name: 'typed_history',
      loaded_rows: '3',
      error_count: '0',
      data_source: `s3://${BUCKET}/history/parquet/`,
      file_format: 'parquet',
      source_file_count: 1,
      source_file_bytes: String(parquet.length),
      file_count_scanned: 1,
      copy_job_id: '0',
    });
    expect(Number(parquetLoad.loaded_bytes)).toBeGreaterThan(0);
    expect(partial).toMatchObject({
      status: 'completed',
      table_name: 'csv_history',
      loaded_rows: '3',
      error_count: '2',
      data_source: `s3://${BUCKET}/history/partial/`,
      file_format: 'csv',
    });
    expect(failed).toMatchObject({
      status: 'aborted',
      table_name: 'csv_history',
      loaded_rows: '0',
      loaded_bytes: '0',
      error_count: '1',
      file_format: 'csv',
      transaction_id: xid,
    });
    expect(missing).toMatchObject({ status: 'aborted', loaded_rows: '0', error_count: '0', source_file_count: 0 });

    const joined = await db.query(
      'SELECT h.status, d.line_number, d.column_name, d.transaction_id = h.transaction_id AS same_transaction, d.start_time = h.start_time AS same_start FROM sys_load_history h JOIN sys_load_error_detail d USING (query_id) WHERE h.query_id = $1 ORDER BY d.line_number',
      [partial.query_id],
    );
    expect(joined.rows).toEqual([
      { status: 'completed', line_number: '2', column_name: 'id', same_transaction: true, same_start: true },
      { status: 'completed', line_number: '4', column_name: 'name', same_transaction: true, same_start: true },
    ]);
    const failedErrors = await db.query(
      'SELECT file_name, line_number, transaction_id::text AS transaction_id FROM sys_load_error_detail WHERE query_id = $1',
      [failed.query_id],
    );
    expect(failedErrors.rows).toEqual([{ file_name: `s3://${BUCKET}/history/failed/a.csv`, line_number: '2', transaction_id: xid }]);

    // Readable by any user, as on Redshift, and in a database created afterwards.
    const other = await connectProxy();
    await other.query('SET search_path TO nothing_here');
    expect(
      (await other.query("SELECT count(*)::int AS n FROM sys_load_history WHERE status IN ('completed', 'aborted')")).rows[0].n,
    ).toBeGreaterThanOrEqual(4);
    await db.query('CREATE DATABASE later_db');
    const later = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: USER, password: PASSWORD, database: 'later_db' });
    await later.connect();
    clients.push(later);
    expect((await later.query('SELECT count(*)::int AS n FROM sys_load_history')).rows[0].n).toBe(0);

    // A load a stopped proxy left running is aborted when the next one starts.
    await db.query(
      "INSERT INTO tributary_sys.load_history (query_id, status, table_name, start_time) VALUES (1, 'running', 'orphan', now() AT TIME ZONE 'UTC')",
    );
    const next = await startRedshiftProxy({
      upstreamPort: postgres.port,
      admin: { user: USER, password: PASSWORD },
      s3: s3.client,
      log: new Logger(undefined, false),
    });
    await next.close();
    expect((await db.query('SELECT status FROM sys_load_history WHERE query_id = 1')).rows).toEqual([{ status: 'aborted' }]);
    await db.query('DELETE FROM tributary_sys.load_history WHERE query_id = 1');
  });

  it('refuses NUL bytes as Redshift does and ends every failed load aborted, with its error, even a dropped connection', async () => {
    const db = await connectProxy();
    await db.query('CREATE TABLE nul_parquet (id BIGINT, name VARCHAR(32))');
    await put(
      'nul/parquet/part-0.parquet',
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'id', data: [1n, 2n], type: 'INT64' },
            { name: 'name', data: ['fine', '\u0000\u0001garbage'], type: 'STRING' },
          ],
        }),
      ),
    );
    await expect(db.query(`COPY nul_parquet FROM 's3://${BUCKET}/nul/parquet/' ${ROLE} FORMAT AS PARQUET`)).rejects.toThrow(
      "Load into table 'nul_parquet' failed",
    );
    // Text: a NUL among other bytes fails its record (MAXERROR skips it); a field that is one NUL loads as NULL with NULL AS '\0'.
    await db.query('CREATE TABLE nul_csv (id INT, name VARCHAR(32))');
    await put('nul/csv/a.csv', '1,ok\n2,a\u0000b\n3,\u0000\n');
    expect((await db.query(`COPY nul_csv FROM 's3://${BUCKET}/nul/csv/' ${ROLE} CSV NULL AS '\\0' MAXERROR 1`)).rowCount).toBe(2);
    expect((await db.query('SELECT id, name FROM nul_csv ORDER BY id')).rows).toEqual([
      { id: 1, name: 'ok' },
      { id: 3, name: null },
    ]);

    // A connection dropped mid-load: the proxy learns it when the next batch cannot be sent.
    await db.query('CREATE TABLE dropped (id INT, name VARCHAR(32))');
    await put('dropped/a.csv', Array.from({ length: 400_000 }, (_, i) => `${i},row-${i}`).join('\n'));
    const leaving = await connectProxy();
    leaving.on('error', () => undefined);
    void leaving.query(`COPY dropped FROM 's3://${BUCKET}/dropped/' ${ROLE} CSV`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    (leaving as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();

    const ended = async (table: string) => {
      for (let i = 0; i < 100; i++) {
        const { rows } = await db.query(
          `SELECT h.status, h.error_count, d.error_code, d.error_message, d.raw_field_value
           FROM sys_load_history h LEFT JOIN sys_load_error_detail d USING (query_id) WHERE h.table_name = $1 ORDER BY h.query_id`,
          [table],
        );
        if (rows.length && rows.every((row) => row.status !== 'running')) return rows;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`the load into ${table} is still running`);
    };
    expect(await ended('nul_parquet')).toEqual([
      {
        status: 'aborted',
        error_count: '1',
        error_code: 1220,
        error_message: 'Invalid null byte - field longer than 1 byte',
        raw_field_value: '\\x00\u0001garbage',
      },
    ]);
    expect(await ended('nul_csv')).toEqual([
      {
        status: 'completed',
        error_count: '1',
        error_code: 1220,
        error_message: 'Invalid null byte - field longer than 1 byte',
        raw_field_value: 'a\\x00b',
      },
    ]);
    expect(await ended('dropped')).toEqual([
      {
        status: 'aborted',
        error_count: '1',
        error_code: 1216,
        error_message: 'The connection closed during the load',
        raw_field_value: '',
      },
    ]);
  });

  it('names a missing prefix and an unsupported option', async () => {
    const db = await connectProxy();
    await expect(db.query(`COPY events FROM 's3://${BUCKET}/nothing/' ${ROLE} CSV`)).rejects.toThrow(
      "The specified S3 prefix 'nothing/' does not exist",
    );
    await expect(db.query(`COPY events FROM 's3://${BUCKET}/events/' ${ROLE} FIXEDWIDTH 'a:1'`)).rejects.toThrow(
      /FIXEDWIDTH is not supported in the sandbox/,
    );
    expect((await db.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
  });
});

describe('UNLOAD to S3', () => {
  it('writes CSV and pipe-delimited objects named as Redshift names them, which COPY reads back', async () => {
    const db = await connectProxy();
    await db.query(
      `UNLOAD ('SELECT id, name FROM events WHERE name <> \\'\\' ORDER BY id') TO 's3://${BUCKET}/out/events_' ${ROLE} FORMAT AS CSV HEADER PARALLEL OFF`,
    );
    expect(await keys('out/events_')).toEqual(['out/events_000']);
    expect(await text('out/events_000')).toBe('id,name\n1,"Smith, J"\n3,"multi\nline"\n');

    await db.query(`UNLOAD ('SELECT id, name, seen FROM events ORDER BY id') TO 's3://${BUCKET}/out/pipe_' ${ROLE}`);
    expect(await keys('out/pipe_')).toEqual(['out/pipe_0000_part_00']);
    expect((await text('out/pipe_0000_part_00')).split('\n')[0]).toBe('1|Smith, J|2024-01-01');

    await expect(db.query(`UNLOAD ('SELECT 1') TO 's3://${BUCKET}/out/pipe_' ${ROLE}`)).rejects.toThrow(/ALLOWOVERWRITE/);
    await db.query(
      `UNLOAD ('SELECT id, name, amount, seen FROM events ORDER BY id') TO 's3://${BUCKET}/out/pipe_' ${ROLE} CSV ALLOWOVERWRITE`,
    );
    await db.query('CREATE TABLE events_copy (LIKE events)');
    await db.query(`COPY events_copy FROM 's3://${BUCKET}/out/pipe_' ${ROLE} CSV`);
    const roundTrip = await db.query('SELECT * FROM events EXCEPT ALL SELECT * FROM events_copy');
    expect(roundTrip.rowCount).toBe(0);
    expect((await db.query('SELECT count(*)::int AS n FROM events_copy')).rows[0].n).toBe(3);
  });
});

describe('query ids and Serverless usage', () => {
  it("gives a COPY its load's query id, which pg_last_query_id() returns and SYS_QUERY_HISTORY keeps, even after an UNLOAD", async () => {
    const db = await connectProxy();
    await db.query('CREATE TABLE ids_loaded (id INT)');
    await put('ids/part-0.csv', '1\n2\n');
    await db.query(`UNLOAD ('SELECT 1') TO 's3://${BUCKET}/ids-out/x_' ${ROLE}`);
    await db.query(`COPY ids_loaded FROM 's3://${BUCKET}/ids/' ${ROLE} CSV`);
    const { id } = (await db.query<{ id: number }>('SELECT pg_last_query_id() AS id')).rows[0]!;
    expect(
      (await db.query('SELECT query_id::int AS id FROM sys_load_history WHERE data_source = $1', [`s3://${BUCKET}/ids/`])).rows,
    ).toEqual([{ id }]);
    const history = await until(
      'the COPY in SYS_QUERY_HISTORY',
      async () => (await db.query('SELECT query_type, status FROM sys_query_history WHERE query_id = $1', [id])).rows[0],
      5000,
    );
    expect(history).toEqual({ query_type: 'COPY', status: 'success' });
  });

  it('charges SYS_SERVERLESS_USAGE at the base capacity the sandbox set for the database', async () => {
    await proxy.setBaseCapacity('dev', 8);
    const db = await connectProxy();
    await db.query('SELECT pg_sleep(0.2)');
    const capacities = await until(
      'usage at 8 RPU',
      async () => {
        const { rows } = await db.query<{ capacity: number; compute: number }>(
          'SELECT compute_capacity AS capacity, compute_seconds AS compute FROM sys_serverless_usage',
        );
        return rows.length && rows.some((row) => row.compute > 0) ? rows : undefined;
      },
      5000,
    );
    expect(new Set(capacities.map((row) => row.capacity))).toEqual(new Set([8]));
  });
});

describe('Redshift Data API', () => {
  const target = { ClusterIdentifier: 'sandbox', Database: 'dev', DbUser: USER };

  async function settle(id: string): Promise<DescribeStatementCommandOutput> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const described = await redshiftData.send(new DescribeStatementCommand({ Id: id }));
      if (['FINISHED', 'FAILED', 'ABORTED'].includes(described.Status!) || Date.now() > deadline) return described;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('runs a statement asynchronously and pages 2,500 rows of results', async () => {
    const started = await redshiftData.send(
      new ExecuteStatementCommand({
        ...target,
        Sql: 'SELECT g AS n, md5(g::text) AS h, g * 1.5 AS x, g % 2 = 0 AS even, NULL::int AS nothing FROM generate_series(1, 2500) g ORDER BY g',
      }),
    );
    expect(started.Id).toBeTruthy();
    expect(started.CreatedAt).toBeInstanceOf(Date);
    const described = await settle(started.Id!);
    expect(described).toMatchObject({ Status: 'FINISHED', HasResultSet: true, ResultRows: 2500 });
    expect(described.Duration).toBeGreaterThan(0);
    expect(described.UpdatedAt).toBeInstanceOf(Date);

    const records: unknown[][] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await redshiftData.send(new GetStatementResultCommand({ Id: started.Id!, NextToken: token }));
      expect(page.TotalNumRows).toBe(2500);
      expect(page.ColumnMetadata?.map((column) => [column.name, column.typeName])).toEqual([
        ['n', 'int4'],
        ['h', 'text'],
        ['x', 'numeric'],
        ['even', 'bool'],
        ['nothing', 'int4'],
      ]);
      records.push(...(page.Records ?? []));
      token = page.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(records).toHaveLength(2500);
    expect(records[2499]).toEqual([
      { longValue: 2500 },
      { stringValue: createHash('md5').update('2500').digest('hex') },
      { stringValue: '3750.0' },
      { booleanValue: true },
      { isNull: true },
    ]);
  });

  it('binds named parameters and reports failures', async () => {
    const ok = await redshiftData.send(
      new ExecuteStatementCommand({
        ...target,
        Sql: 'SELECT count(*) AS n FROM events WHERE id >= :min',
        Parameters: [{ name: 'min', value: '2' }],
      }),
    );
    expect((await settle(ok.Id!)).Status).toBe('FINISHED');
    const result = await redshiftData.send(new GetStatementResultCommand({ Id: ok.Id! }));
    expect(result.Records).toEqual([[{ longValue: 2 }]]);

    const bad = await redshiftData.send(new ExecuteStatementCommand({ ...target, Sql: 'SELECT * FROM missing_table' }));
    const failed = await settle(bad.Id!);
    expect(failed.Status).toBe('FAILED');
    expect(failed.Error).toMatch(/missing_table/);
    await expect(redshiftData.send(new GetStatementResultCommand({ Id: bad.Id! }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(redshiftData.send(new DescribeStatementCommand({ Id: 'no-such-id' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(redshiftData.send(new ExecuteStatementCommand({ Database: 'dev', Sql: 'SELECT 1' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('cancels a running statement within about a second', async () => {
    const started = await redshiftData.send(new ExecuteStatementCommand({ ...target, Sql: 'SELECT pg_sleep(30)' }));
    for (let i = 0; i < 100 && (await redshiftData.send(new DescribeStatementCommand({ Id: started.Id! }))).Status !== 'STARTED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const at = Date.now();
    const cancelled = await redshiftData.send(new CancelStatementCommand({ Id: started.Id! }));
    expect(cancelled.Status).toBe(true);
    const described = await settle(started.Id!);
    expect(described.Status).toBe('ABORTED');
    expect(Date.now() - at).toBeLessThan(1500);
    await expect(redshiftData.send(new CancelStatementCommand({ Id: started.Id! }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('runs a batch in one transaction, with results per sub-statement, and rolls back on failure', async () => {
    const batch = await redshiftData.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: [
          'CREATE TABLE batch_t (id INT) DISTSTYLE EVEN',
          'INSERT INTO batch_t VALUES (1), (2)',
          'SELECT sum(id) AS total FROM batch_t',
        ],
      }),
    );
    const described = await settle(batch.Id!);
    expect(described.Status).toBe('FINISHED');
    expect(described.SubStatements?.map((part) => [part.Status, part.ResultRows])).toEqual([
      ['FINISHED', 0],
      ['FINISHED', 2],
      ['FINISHED', 1],
    ]);
    const sum = await redshiftData.send(new GetStatementResultCommand({ Id: described.SubStatements![2]!.Id! }));
    expect(sum.Records).toEqual([[{ longValue: 3 }]]);

    const failing = await redshiftData.send(
      new BatchExecuteStatementCommand({ ...target, Sqls: ['INSERT INTO batch_t VALUES (3)', 'SELECT 1/0', 'SELECT 1'] }),
    );
    const failed = await settle(failing.Id!);
    expect(failed.Status).toBe('FAILED');
    expect(failed.SubStatements?.map((part) => part.Status)).toEqual(['FINISHED', 'FAILED', 'ABORTED']);
    const db = await connectProxy();
    expect((await db.query('SELECT count(*)::int AS n FROM batch_t')).rows[0].n).toBe(2);
  });

  it('lists databases and tables and describes a table', async () => {
    const databases = await redshiftData.send(new ListDatabasesCommand(target));
    expect(databases.Databases).toContain('dev');
    const tables = await redshiftData.send(
      new ListTablesCommand({ ...target, SchemaPattern: 'public', TablePattern: 'event%', MaxResults: 1 }),
    );
    expect(tables.Tables).toEqual([{ name: 'events', schema: 'public', type: 'TABLE' }]);
    expect(tables.NextToken).toBeTruthy();
    const next = await redshiftData.send(
      new ListTablesCommand({ ...target, SchemaPattern: 'public', TablePattern: 'event%', NextToken: tables.NextToken }),
    );
    expect(next.Tables?.map((table) => table.name)).toEqual(['events_copy']);
    const columns = await redshiftData.send(new DescribeTableCommand({ ...target, Schema: 'public', Table: 'events' }));
    expect(columns.ColumnList?.map((column) => [column.name, column.typeName, column.length || column.precision])).toEqual([
      ['id', 'int4', 4],
      ['name', 'varchar', 32],
      ['amount', 'numeric', 10],
      ['seen', 'date', 4],
    ]);
  });
});
