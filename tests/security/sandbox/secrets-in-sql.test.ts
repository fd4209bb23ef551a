import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../../electron/core/core.js';
import { sandboxPaths } from '../../../sandbox/client/paths.js';
import { readRunFile } from '../../../sandbox/client/run-file.js';
import type { RunChunk } from '../../../shared/contract/index.js';
import { allRows, tempDir, testCore } from '../../helpers/core.js';
import { openSandboxMaster, startSandboxCluster } from '../../helpers/sandbox-cluster.js';

/**
 * Secrets typed in SQL (item 5 of issue 13): a corpus of secret-bearing statements, Redshift on the stand-in and Spark
 * SQL through the Thrift server, succeeding and failing, runs through the Workbench service as the UI runs it; then
 * no secret may be found in anything the service answered, in the app's log, or in any file under the data
 * directory: the app's own files, the sandbox's logs, and PostgreSQL's log wherever it writes it.
 */
const { dataDir } = inject('sandbox');
const signal = new AbortController().signal;
let core: Core;
let appDir: string;
let spark: string;

const secrets: string[] = [];
/** A unique secret for one place in the corpus; no statement or log has it by chance. */
const secret = () => {
  const value = `zq${randomBytes(10).toString('hex')}`;
  secrets.push(value);
  return value;
};
const keyId = () => {
  const value = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  secrets.push(value);
  return value;
};

/** [statement, whether it fails]; every marker in it is new. */
function redshiftCorpus(): [string, boolean][] {
  const missing = `s3://tributary-no-such-bucket-${randomBytes(4).toString('hex')}`;
  const creds = () => `aws_access_key_id=${keyId()};aws_secret_access_key=${secret()};token=${secret()}`;
  return [
    [`CREATE USER sec_a PASSWORD 'Aa1${secret()}'`, false],
    [`ALTER USER sec_a PASSWORD 'Bb2${secret()}'`, false],
    [`ALTER USER sec_a WITH PASSWORD 'it''s${secret()}''q'`, false],
    [`ALTER USER sec_a PASSWORD 'sha256|${secret()}'`, false],
    [`CREATE USER sec_b PASSWORD $pw$${secret()}$pw$ NOCREATEDB`, false],
    [`ALTER USER sec_b PASSWORD E'back\\\\slash${secret()}'`, false],
    [`CREATE USER sec_a PASSWORD '${secret()}'`, true],
    [`CREATE USER sec_c PASSWORD '${secret()}' NO_SUCH_OPTION`, true],
    [`ALTER USER sec_no_such_user PASSWORD '${secret()}'`, true],
    [`ALTER USER sec_a SET PASSWORD '${secret()}'`, true],
    [`CREATE USER sec_d PASSWORD '${secret()}' VALID UNTIL 'no such time'`, true],
    [`COPY sec_t FROM '${missing}/k' CREDENTIALS '${creds()}' FORMAT AS CSV`, true],
    [`COPY sec_t FROM '${missing}/k' WITH CREDENTIALS AS '${creds()}' CSV`, true],
    [`COPY sec_t FROM '${missing}/k' ACCESS_KEY_ID '${keyId()}' SECRET_ACCESS_KEY '${secret()}' SESSION_TOKEN '${secret()}' PARQUET`, true],
    [`UNLOAD ('select 1') TO '${missing}/p' CREDENTIALS '${creds()}'`, true],
    [`UNLOAD ('select 1') TO '${missing}/p' ACCESS_KEY_ID '${keyId()}' SECRET_ACCESS_KEY '${secret()}'`, true],
    [`CREATE EXTERNAL SCHEMA sec_s FROM POSTGRES DATABASE 'd' URI 'h' MASTER_USER_PASSWORD '${secret()}'`, true],
    [`SELECT 1 WHERE 'postgres://admin:${secret()}@db.internal:5439/dev' IS NOT NULL`, false],
    [`SELECT dblink_connect('host=h user=u password=${secret()} dbname=d')`, true],
    [`CREATE USER MAPPING FOR sec_a SERVER sec_no_server OPTIONS (user 'u', password '${secret()}')`, true],
    [`SELECT '{"AccessKeyId": "${keyId()}", "SecretAccessKey": "${secret()}"}'::int`, true],
    [`SELECT 'passphrase=${secret()}'::int`, true],
    [`SELECT '-----BEGIN OPENSSH PRIVATE KEY-----\n${secret()}\n-----END OPENSSH PRIVATE KEY-----'::int`, true],
    [`SELECT '${keyId()}'::int`, true],
  ];
}

function sparkCorpus(): [string, boolean][] {
  const missing = `s3a://tributary-no-such-bucket-${randomBytes(4).toString('hex')}`;
  const jdbc = "url 'jdbc:postgresql://127.0.0.1:1/none', dbtable 'x'";
  return [
    [`SET spark.hadoop.fs.s3a.secret.key=${secret()}`, false],
    [`SET spark.hadoop.fs.s3a.access.key=${keyId()}`, false],
    [`SET spark.hadoop.fs.s3a.session.token = ${secret()}`, false],
    [`SET tributary.test.password=${secret()}`, false],
    [`SET tributary.test.passphrase=${secret()} and more`, false],
    [`CREATE TEMPORARY VIEW sec_v USING jdbc OPTIONS (${jdbc}, user 'u', password '${secret()}')`, true],
    [`CREATE TEMPORARY VIEW sec_v USING jdbc OPTIONS (${jdbc}, password "${secret()}\\" x")`, true],
    [`CREATE TEMPORARY VIEW sec_v USING jdbc OPTIONS (${jdbc}, 'password' = 'a\\'${secret()}')`, true],
    [`ALTER TABLE sec_no_such_table SET TBLPROPERTIES ('fs.s3a.secret.key'='${secret()}')`, true],
    [`ALTER TABLE sec_no_such_table SET TBLPROPERTIES ('javax.jdo.option.ConnectionPassword' '${secret()}')`, true],
    [`CREATE USER bob PASSWORD '${secret()}'`, true],
    [`SELECT * FROM parquet.\`s3a://${keyId()}:${secret()}@${missing.slice(6)}/x\``, true],
    [`SELECT 'aws_secret_access_key=${secret()}' FROM sec_no_such_table`, true],
    [`SELECT * FROM sec_no_such_table WHERE password = "${secret()}"`, true],
    [`SELECT * FROM sec_no_such_table OPTIONS ('fs.s3a.secret.key' '${secret()}')`, true],
    [`CACHE TABLE sec_c OPTIONS ('password' '${secret()}') AS SELECT * FROM sec_no_such_table`, true],
  ];
}

const answers: unknown[] = [];

async function run(connectionId: string, sql: string): Promise<RunChunk[]> {
  const chunks: RunChunk[] = [];
  for await (const chunk of core.handlers['queries.run']({ connectionId, sql, origin: { line: 1, column: 1 } }, { signal })) {
    chunks.push(chunk);
  }
  for (const chunk of chunks) if (chunk.kind === 'result') answers.push(await allRows(core, chunk.resultId));
  answers.push(chunks);
  return chunks;
}

/** Every file under `dir`, links followed (the app's data directory links to the shared sandbox's). */
function filesUnder(dir: string, seen = new Set<string>()): string[] {
  const real = realpathSync(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return lstatSync(realpathSync(path)).isDirectory() ? filesUnder(realpathSync(path), seen) : [path];
    if (stat.isDirectory()) return filesUnder(path, seen);
    return stat.isFile() ? [path] : [];
  });
}

/**
 * PostgreSQL's own directory: its log wherever it writes one (log/, or stderr into the sandbox's logs), and every
 * file but the database's storage, which holds what statements store by design (an md5 password is the credential).
 */
function postgresFiles(): string[] {
  const dir = sandboxPaths(dataDir).postgres;
  if (!existsSync(dir)) return [];
  const storage = new Set(['base', 'global', 'pg_wal', 'pg_xact', 'pg_multixact', 'pg_subtrans', 'pg_commit_ts']);
  return readdirSync(dir)
    .filter((name) => !storage.has(name))
    .flatMap((name) => (lstatSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

beforeAll(async () => {
  const runFile = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
  appDir = tempDir('tributary-secrets-in-sql-');
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  core = await testCore(appDir);
  const clusterId = await startSandboxCluster(runFile, 'secrets-in-sql');
  await openSandboxMaster(core, runFile, clusterId, signal);
  spark = `sandbox-spark-${clusterId.toLowerCase()}`;
});

afterAll(async () => {
  await core?.dispose();
});

describe('secrets typed in SQL', () => {
  it('are in no answer, no history, no log and no file under the data directory, in either dialect', async () => {
    await run('sandbox-warehouse', 'CREATE TABLE IF NOT EXISTS sec_t (a int)');
    const corpus = [
      ...redshiftCorpus().map(([sql, fails]) => ['sandbox-warehouse', sql, fails] as const),
      ...sparkCorpus().map(([sql, fails]) => [spark, sql, fails] as const),
    ];
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    for (const [connectionId, sql, fails] of corpus) {
      const chunks = await run(connectionId, sql);
      // Each statement ran as meant: the failing ones failed on the server, the others did not.
      expect(
        chunks.some((c) => c.kind === 'error'),
        `${connectionId}: ${sql}`,
      ).toBe(fails);
    }
    // A script, too: it stops at its first failing statement, which is remembered with its error.
    await run('sandbox-warehouse', `ALTER USER sec_a PASSWORD '${secret()}';\nCREATE USER sec_a PASSWORD '${secret()}';`);

    const history = await core.handlers['queries.history']({ limit: 1000 }, { signal });
    expect(history.length).toBeGreaterThanOrEqual(corpus.length);
    expect(history.some((h) => h.sql.includes("PASSWORD '[redacted]'"))).toBe(true);
    // The log as the UI follows it, and then as written.
    answers.push(history, core.log.recent(5000));
    await core.dispose();

    const found: string[] = [];
    const look = (where: string, text: string) => {
      for (const value of secrets) {
        const at = text.indexOf(value);
        if (at !== -1) found.push(`${value} in ${where}: …${text.slice(Math.max(0, at - 160), at + 60)}…`);
      }
    };
    look('what the service answered', JSON.stringify(answers));
    const files = [...filesUnder(appDir), ...postgresFiles()];
    expect(files.some((f) => f.endsWith('query-history.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('tributary.log'))).toBe(true);
    for (const file of files) look(file, readFileSync(file).toString('latin1'));
    expect(found).toEqual([]);
  });
});
