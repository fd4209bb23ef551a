import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { copyStatement, loadErrorsQuery, runCopy, type SqlRunner } from '../../electron/core/pipeline/copy.js';
import { createTableDdl, sampleParquet, suggestKeys, varcharWidth } from '../../electron/core/pipeline/parquet-schema.js';
import { jobArguments, OutputParser, shellQuote } from '../../electron/core/pipeline/jobs.js';
import { copySpecSchema, type RunChunk } from '../../shared/contract/index.js';

const ROLE = 'arn:aws:iam::123456789012:role/TributaryRedshiftS3Role';

function buffer(bytes: ArrayBuffer) {
  return { byteLength: bytes.byteLength, slice: (start: number, end?: number) => bytes.slice(start, end) };
}

describe('a Redshift table from a Parquet schema', () => {
  const file = parquetWriteBuffer({
    columnData: [
      { name: 'ts', data: [new Date('2024-01-02T03:04:05Z'), new Date('2024-01-03T00:00:00Z')], type: 'TIMESTAMP' },
      { name: 'client_ip', data: ['10.0.0.1', '2001:db8::1'], type: 'STRING' },
      { name: 'status', data: [200, 503], type: 'INT32' },
      { name: 'bytes', data: [12n, 9007199254740993n], type: 'INT64' },
      { name: 'ok', data: [true, false], type: 'BOOLEAN' },
      { name: 'ratio', data: [0.5, 1.25], type: 'DOUBLE' },
      { name: 'payload', data: [{ a: 1 }, null], type: 'JSON' },
      { name: 'Weird Name', data: ['x', 'y'], type: 'STRING' },
    ],
  });

  it('maps each column’s type and samples rows as exact text', async () => {
    const sample = await sampleParquet(buffer(file));
    expect(sample.rowCount).toBe(2);
    expect(sample.columns.map((c) => [c.name, c.parquetType, c.redshiftType])).toEqual([
      ['ts', 'INT64 TIMESTAMP_MILLIS', 'TIMESTAMP'],
      ['client_ip', 'BYTE_ARRAY UTF8', 'VARCHAR(32)'],
      ['status', 'INT32', 'INTEGER'],
      ['bytes', 'INT64', 'BIGINT'],
      ['ok', 'BOOLEAN', 'BOOLEAN'],
      ['ratio', 'DOUBLE', 'DOUBLE PRECISION'],
      ['payload', 'BYTE_ARRAY JSON', 'SUPER'],
      ['Weird Name', 'BYTE_ARRAY UTF8', 'VARCHAR(32)'],
    ]);
    expect(sample.rows[1]).toEqual(['2024-01-03 00:00:00.000+00', '2001:db8::1', '503', '9007199254740993', 'false', '1.25', null, 'y']);
    expect(sample.gridColumns.map((c) => c.kind)).toEqual(['timestamp', 'text', 'int', 'int', 'bool', 'float', 'json', 'text']);
  });

  it('suggests DISTKEY on the client column and SORTKEY on the time column, and writes the DDL', async () => {
    const { columns } = await sampleParquet(buffer(file));
    const keys = suggestKeys(columns);
    expect(keys).toMatchObject({ distKey: 'client_ip', sortKey: 'ts' });
    expect(keys.reasons.join(' ')).toMatch(/zone|skips blocks/);
    expect(createTableDdl('access_logs', columns, keys, 'analytics')).toBe(
      [
        'CREATE TABLE IF NOT EXISTS analytics.access_logs (',
        '  ts            TIMESTAMP,',
        '  client_ip     VARCHAR(32),',
        '  status        INTEGER,',
        '  bytes         BIGINT,',
        '  ok            BOOLEAN,',
        '  ratio         DOUBLE PRECISION,',
        '  payload       SUPER,',
        '  "Weird Name"  VARCHAR(32)',
        ')',
        'DISTSTYLE KEY',
        'DISTKEY (client_ip)',
        'COMPOUND SORTKEY (ts);',
      ].join('\n'),
    );
    expect(suggestKeys(columns.filter((c) => c.name !== 'client_ip')).distKey).toBeUndefined();
    expect(createTableDdl('t', columns.slice(2, 3), {})).toMatch(/\)\nDISTSTYLE AUTO;$/);
  });

  it('sizes VARCHARs from the longest value with room to grow', () => {
    expect([0, 1, 16, 17, 300, 40_000].map(varcharWidth)).toEqual([256, 32, 32, 64, 1024, 65_535]);
  });
});

describe('the COPY statement', () => {
  const spec = (extra: object) =>
    copySpecSchema.parse({ table: 'access_logs', source: 's3://bkt/curated/access_logs/v2/', iamRole: ROLE, ...extra });

  it('loads Parquet with the role', () => {
    expect(copyStatement(spec({}))).toBe(
      `COPY access_logs\nFROM 's3://bkt/curated/access_logs/v2/'\nIAM_ROLE '${ROLE}'\nFORMAT AS PARQUET;`,
    );
  });

  it('loads CSV and JSON with their options, quoting what needs it', () => {
    expect(
      copyStatement(spec({ format: 'csv', ignoreHeader: 1, delimiter: ';', maxError: 10, schema: 'Raw', source: 's3://bkt/raw/' })),
    ).toBe(`COPY "Raw".access_logs\nFROM 's3://bkt/raw/'\nIAM_ROLE '${ROLE}'\nFORMAT AS CSV\nDELIMITER ';'\nIGNOREHEADER 1\nMAXERROR 10;`);
    expect(copyStatement(spec({ format: 'json', region: 'eu-west-1' }))).toMatch(/FORMAT AS JSON 'auto'\nREGION 'eu-west-1';$/);
    expect(copyStatement(spec({ maxError: 5 }))).not.toMatch(/MAXERROR/);
  });

  it('reads the newest load’s errors for the source', () => {
    expect(loadErrorsQuery('s3://bkt/x/', 'sys_load_error_detail')).toMatch(
      /WHERE query_id = \(SELECT max\(query_id\) FROM sys_load_error_detail WHERE file_name LIKE 's3:\/\/bkt\/x\/%'\)/,
    );
    expect(loadErrorsQuery('s3://bkt/x/', 'stl_load_errors')).toMatch(/FROM stl_load_errors/);
  });

  it('runs through the workbench: CREATE TABLE, COPY, and the load errors on failure', async () => {
    const ran: string[] = [];
    const runner: SqlRunner = {
      async *run({ sql }): AsyncGenerator<RunChunk> {
        ran.push(sql.split('\n')[0]!);
        if (sql.startsWith('COPY'))
          yield {
            kind: 'error',
            index: 0,
            message: "Load into table 'access_logs' failed. Check 'sys_load_error_detail' system table for details.",
          };
        else if (sql.startsWith('SELECT')) {
          yield {
            kind: 'result',
            index: 0,
            resultId: 'r1',
            columns: [{ name: 'error_message', type: 'varchar', kind: 'text' }],
            rows: [['bad']],
          };
          yield { kind: 'done', index: 0, command: 'SELECT', rows: 1, durationMs: 1 };
        } else yield { kind: 'done', index: 0, command: 'CREATE TABLE', durationMs: 1 };
      },
    };
    const outcome = await runCopy(
      runner,
      { ...spec({}), connectionId: 'c', createTable: 'CREATE TABLE t (a int)' },
      new AbortController().signal,
    );
    expect(ran).toEqual([
      'CREATE TABLE t (a int)',
      'COPY access_logs',
      'SELECT query_id, start_time, file_name, line_number, column_name, column_type, column_length, error_code, error_message, raw_field_value, raw_line',
    ]);
    expect(outcome).toMatchObject({
      ok: false,
      created: true,
      loadErrors: { resultId: 'r1', source: 'sys_load_error_detail', rows: [['bad']], total: 1 },
    });
  });
});

describe('the jobs as the app submits and follows them', () => {
  it('passes each option as the script’s flag', () => {
    expect(jobArguments('b', { job: 'kinesis_to_s3', stream: 's', batchSize: 100, untilIdleSeconds: 5 })).toEqual([
      '--bucket',
      'b',
      '--stream',
      's',
      '--batch-size',
      '100',
      '--until-idle-seconds',
      '5',
    ]);
    expect(jobArguments('b', { job: 'raw_to_parquet', version: 3 })).toEqual(['--bucket', 'b', '--version', '3']);
    expect(['s3://bkt/spark/x.py', "it's", 'a b'].map(shellQuote)).toEqual(['s3://bkt/spark/x.py', `'it'\\''s'`, "'a b'"]);
  });

  it('parses the jobs’ event and summary lines, across chunk boundaries', () => {
    const parser = new OutputParser();
    expect(parser.push('noise\nTRIBUTARY_EVENT {"event": "st')).toEqual([]);
    expect(parser.push('arted", "applicationId": "a"}\nTRIBUTARY_SUMMARY {"rows": 3}\nTRIBUTARY_EVENT {broken\n')).toEqual([
      { kind: 'event', event: { event: 'started', applicationId: 'a' } },
      { kind: 'summary', summary: { rows: 3 } },
    ]);
  });
});
