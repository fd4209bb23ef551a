import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ConnectionInfo, RunChunk } from '../shared/contract/index.js';
import type { HostMessage, Transport } from '../shared/protocol.js';
import { RpcClient } from '../shared/rpc-client.js';
import { RpcSession } from '../electron/core/dispatch/session.js';
import type { Handlers } from '../electron/core/dispatch/handlers.js';
import { EventHub } from '../electron/core/events.js';
import { Logger } from '../shared/node/log.js';
import { WorkspaceFiles } from '../electron/core/storage/file-access.js';
import { ResultRegistry } from '../electron/core/results/registry.js';
import { startPostgres } from '../sandbox/postgres.js';
import { NoticeBoard } from '../electron/core/storage/notices.js';
import { addKnownHost } from '../electron/core/ssh/known-hosts.js';
import { Tunnel } from '../electron/core/ssh/tunnel.js';
import { RedshiftEngine } from '../electron/core/engines/redshift.js';
import { QueryHistory } from '../electron/core/workbench/history.js';
import { SavedWork } from '../electron/core/workbench/saved.js';
import { WorkbenchService, type EngineSource } from '../electron/core/workbench/service.js';
import { makeUserKey, startSshd } from '../tests/helpers/sshd.js';
import { numberArg, round } from './args.js';

const USER = 'tributary';
const WINDOW = 10_000;
const PSQL = '/usr/bin/psql';
const query = (rows: number) => `SELECT g, md5(g::text) FROM generate_series(1,${rows}) g`;

interface Endpoint {
  port: number;
  database: string;
  password: string;
}

/**
 * Rows of a real PostgreSQL query through the app's whole results path (the
 * Redshift engine, WorkbenchService's `queries.run` stream over an RpcSession
 * and RpcClient joined in memory with a JSON round trip, the result store),
 * directly and through Tributary's SSH tunnel to a real OpenSSH sshd, against
 * `psql \copy … to /dev/null` in the same run. Then, in a child process, the
 * peak RSS growth while a 10-million-row result streams into the store.
 * Options: `--rows N` (default 1,000,000), `--big N` rows for the memory run
 * (default 10,000,000), `--repeat N` rounds of the three paths, best kept (default 5).
 */
export async function runResultsBench(args: string[]) {
  if (args.includes('--child-rss')) return rssChild(numberArg(args, '--big', 10_000_000));
  const rows = numberArg(args, '--rows', 1_000_000);
  const big = numberArg(args, '--big', 10_000_000);
  const repeat = numberArg(args, '--repeat', 5);

  const root = mkdtempSync(join(tmpdir(), 'tributary-bench-results-'));
  // Run as root, PostgreSQL runs as the postgres user, which must be able to create its data directory here.
  chmodSync(root, 0o777);
  const password = createHash('sha256').update(root).update(String(Math.random())).digest('hex').slice(0, 24);
  const log = new Logger(undefined);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const postgres = await startPostgres({ dataDir: join(root, 'pg'), port: 0, user: USER, password, log });
    cleanups.push(() => postgres.stop());
    const endpoint: Endpoint = { port: postgres.port, database: postgres.database, password };

    const key = makeUserKey(root, 'id_ed25519');
    const sshd = await startSshd({ name: 'bench-results-sshd', authorizedKeys: [key.publicKey] });
    cleanups.push(() => sshd.stop());
    const knownHosts = join(root, 'known_hosts');
    await addKnownHost(knownHosts, '127.0.0.1', sshd.port, Buffer.from(sshd.hostPublicKey.split(' ')[1]!, 'base64'));
    const tunnel = await Tunnel.open({
      ssh: {
        target: { host: '127.0.0.1', port: sshd.port, user: 'root', identityFiles: [key.path], identitiesOnly: true },
        knownHostsFile: knownHosts,
        onUnknownHostKey: async () => false,
      },
      remoteHost: '127.0.0.1',
      remotePort: postgres.port,
    });
    cleanups.push(() => tunnel.close());

    const sql = query(rows);
    const app = await makeApp(root, log, endpoint, { direct: endpoint.port, tunnel: tunnel.localPort });
    cleanups.push(() => app.dispose());
    // Warm-up: the server's caches, psql's pages, the engines' connections, the JIT.
    await psqlCopy(endpoint, query(1000));
    for (const path of ['direct', 'tunnel']) await app.release((await app.stream(path, query(20_000))).resultId);

    // Rounds of the three paths in turn, so each sees the machine as loaded as the others; the best of each is kept.
    const seconds = { psql: [] as number[], direct: [] as number[], tunnel: [] as number[] };
    let readBack = { rows: 0, seconds: Infinity };
    for (let i = 0; i < repeat; i++) {
      seconds.psql.push(await psqlCopy(endpoint, sql));
      for (const path of ['direct', 'tunnel'] as const) {
        const run = await app.stream(path, sql);
        if (run.rows !== rows) throw new Error(`${path}: ${run.rows} rows, expected ${rows}`);
        seconds[path].push(run.seconds);
        if (path === 'direct' && i === 0) readBack = await app.readBack(run.resultId, rows);
        await app.release(run.resultId);
      }
    }
    const rate = (label: string, times: number[]) => {
      const fastest = Math.min(...times);
      console.log(
        `${label.padEnd(36)} ${(rows / fastest / 1e3).toFixed(0).padStart(6)} k rows/s   best ${fastest.toFixed(3)} s of ${times.map((s) => s.toFixed(3)).join(', ')}`,
      );
      return rows / fastest;
    };
    const psql = rate('psql \\copy to /dev/null', seconds.psql);
    const direct = rate('queries.run + store, direct', seconds.direct);
    const viaTunnel = rate('queries.run + store, Tributary tunnel', seconds.tunnel);
    console.log(
      `${'results.rows, windows of 10,000'.padEnd(36)} ${(readBack.rows / readBack.seconds / 1e3).toFixed(0).padStart(6)} k rows/s   (every row checked against md5)`,
    );
    await app.dispose();

    const memory = await rssInChild(endpoint, big);
    console.log(
      `${`RSS growth, ${big.toLocaleString('en')} rows`.padEnd(36)} ${memory.peakMiB.toFixed(1)} MiB peak   (heap ${memory.heapMiB.toFixed(0)} MiB, external ${memory.externalMiB.toFixed(0)} MiB then; ${(memory.rowsPerSecond / 1e3).toFixed(0)} k rows/s, ${memory.spilled ? 'spilled' : 'not spilled'})`,
    );

    return {
      bench: 'results',
      rows,
      tunnel_vs_psql: round(viaTunnel / psql, 3),
      direct_vs_psql: round(direct / psql, 3),
      rss_growth_mib_10m: round(memory.peakMiB),
      rows_per_s: {
        psql: Math.round(psql),
        direct: Math.round(direct),
        tunnel: Math.round(viaTunnel),
        read_back: Math.round(readBack.rows / readBack.seconds),
        big: Math.round(memory.rowsPerSecond),
      },
      big_rows: big,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    rmSync(root, { recursive: true, force: true });
  }
}

/** Seconds for psql to copy the query's rows to /dev/null (the client's whole life: start, connect, copy). */
async function psqlCopy(endpoint: Endpoint, sql: string): Promise<number> {
  const started = performance.now();
  await promisify(execFile)(
    PSQL,
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      '127.0.0.1',
      '-p',
      String(endpoint.port),
      '-U',
      USER,
      '-d',
      endpoint.database,
      '-c',
      `\\copy (${sql}) to '/dev/null'`,
    ],
    {
      env: { ...process.env, PGPASSWORD: endpoint.password },
    },
  );
  return (performance.now() - started) / 1000;
}

/** An RpcSession and an RpcClient joined in memory; each message makes the JSON round trip a socket would. */
class MemoryTransport implements Transport {
  private listener: ((message: HostMessage) => void) | undefined;
  readonly session: RpcSession;

  constructor(handlers: Handlers, log: Logger) {
    this.session = new RpcSession(handlers, (message) => this.listener?.(JSON.parse(JSON.stringify(message)) as HostMessage), log);
  }

  send(message: Parameters<Transport['send']>[0]): void {
    this.session.receive(JSON.parse(JSON.stringify(message)));
  }

  onMessage(listener: (message: HostMessage) => void): void {
    this.listener = listener;
  }

  onClose(): void {}
}

/** The workbench and result store as the hosts assemble them, over engines for the given local ports. */
async function makeApp(root: string, log: Logger, endpoint: Endpoint, ports: Record<string, number>) {
  const engines = new Map<string, RedshiftEngine>();
  const source: EngineSource = {
    engines: () => [],
    engine: async (id) => {
      const port = ports[id];
      if (port === undefined) throw new Error(`no connection ${id}`);
      let engine = engines.get(id);
      if (!engine) {
        engine = new RedshiftEngine(async () => ({
          host: '127.0.0.1',
          port,
          database: endpoint.database,
          user: USER,
          password: endpoint.password,
        }));
        engines.set(id, engine);
      }
      const info = {
        id,
        name: id,
        environmentId: 'sandbox',
        engine: 'redshift',
        target: `127.0.0.1:${port}`,
        builtIn: true,
      } as unknown as ConnectionInfo;
      return { engine, info };
    },
    list: async () => [],
    save: async () => ({ id: 'c-bench', route: 'directly' }),
    remove: async () => undefined,
    drop: async () => {
      await Promise.all([...engines.values()].map((engine) => engine.close()));
      engines.clear();
    },
  };
  const notices = new NoticeBoard(new EventHub());
  const dataDir = join(root, `data-${Math.random().toString(36).slice(2)}`);
  const results = new ResultRegistry({
    dir: join(dataDir, 'results'),
    files: await WorkspaceFiles.open(join(dataDir, 'workspace'), dataDir),
  });
  const workbench = new WorkbenchService({
    connections: source,
    results,
    history: new QueryHistory(dataDir, notices, (text) => log.redact(text)),
    saved: new SavedWork(dataDir, notices, (text) => log.redact(text)),
    log,
  });
  const handlers = { ...workbench.handlers(), ...results.handlers() } as Handlers;
  const client = new RpcClient(new MemoryTransport(handlers, log));
  let disposed = false;

  return {
    results,
    /** Runs `sql` and follows the stream to its end, as the workbench UI does; the time is from the call to the stream's end. */
    async stream(connectionId: string, sql: string): Promise<{ resultId: string; rows: number; seconds: number }> {
      let resultId = '';
      let rows = -1;
      let failure: string | undefined;
      const started = performance.now();
      await client.stream(
        'queries.run',
        { connectionId, sql },
        {
          onChunk: (chunk: RunChunk) => {
            if (chunk.kind === 'result') resultId = chunk.resultId;
            else if (chunk.kind === 'done') rows = chunk.rows ?? 0;
            else if (chunk.kind === 'error') failure = chunk.message;
          },
        },
      ).done;
      const seconds = (performance.now() - started) / 1000;
      if (failure) throw new Error(`queries.run failed: ${failure}`);
      return { resultId, rows, seconds };
    },
    /** Reads the whole result in windows and checks every cell against what the query makes. */
    async readBack(resultId: string, total: number): Promise<{ rows: number; seconds: number }> {
      const windows: { offset: number; rows: (string | null)[][]; total: number; complete: boolean }[] = [];
      let seen = 0;
      let seconds = 0;
      for (let offset = 0; offset < total; offset += WINDOW) {
        const started = performance.now();
        const window = await client.call('results.rows', { resultId, offset, limit: WINDOW });
        seconds += (performance.now() - started) / 1000;
        if (window.total !== total || !window.complete)
          throw new Error(`results.rows says ${window.total} rows (complete: ${window.complete}), expected ${total}`);
        seen += window.rows.length;
        windows.push(window);
        if (windows.length === 10) check(windows.splice(0));
      }
      check(windows);
      if (seen !== total) throw new Error(`read back ${seen} rows, expected ${total}`);
      return { rows: seen, seconds };
    },
    release: (resultId: string) => client.call('results.release', { resultId }),
    async dispose() {
      if (disposed) return;
      disposed = true;
      await workbench.dispose();
      await results.dispose();
    },
  };
}

/** Every row is `g, md5(g::text)` with g its 1-based position (the check runs outside the timed reads, batch by batch). */
function check(windows: { offset: number; rows: (string | null)[][] }[]): void {
  for (const window of windows) {
    window.rows.forEach((row, i) => {
      const g = String(window.offset + i + 1);
      if (row.length !== 2 || row[0] !== g || row[1] !== createHash('md5').update(g).digest('hex')) {
        throw new Error(`row ${window.offset + i} reads ${JSON.stringify(row)}`);
      }
    });
  }
}

/**
 * The memory run, in a fresh process so the earlier runs' heap does not count.
 * The endpoint goes by environment variable, never on a command line.
 */
async function rssInChild(endpoint: Endpoint, big: number): Promise<ChildFigures> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'results', '--child-rss', '--big', String(big)], {
    env: { ...process.env, TRIBUTARY_BENCH_PG: JSON.stringify(endpoint) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const last = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0) throw new Error(`the memory run failed (exit ${code}): ${last}`);
  return JSON.parse(last) as ChildFigures;
}

interface ChildFigures {
  peakMiB: number;
  /** V8 heap in use and memory outside it (Buffers) when RSS peaked. */
  heapMiB: number;
  externalMiB: number;
  rowsPerSecond: number;
  spilled: boolean;
}

async function rssChild(big: number): Promise<ChildFigures> {
  const endpoint = JSON.parse(process.env.TRIBUTARY_BENCH_PG ?? 'null') as Endpoint | null;
  if (!endpoint) throw new Error('--child-rss is started by the results bench itself');
  const root = mkdtempSync(join(tmpdir(), 'tributary-bench-rss-'));
  const log = new Logger(undefined);
  const app = await makeApp(root, log, endpoint, { direct: endpoint.port });
  try {
    // Connected and warmed up first, so the baseline holds the code and the connection.
    const warm = await app.stream('direct', query(20_000));
    await app.release(warm.resultId);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let heapAtPeak = 0;
    let externalAtPeak = 0;
    const sample = () => {
      const usage = process.memoryUsage();
      if (usage.rss <= peak) return;
      peak = usage.rss;
      heapAtPeak = usage.heapUsed;
      externalAtPeak = usage.external;
    };
    const sampler = setInterval(sample, 50);
    let run: { resultId: string; rows: number; seconds: number };
    try {
      run = await app.stream('direct', query(big));
    } finally {
      clearInterval(sampler);
    }
    sample();
    if (run.rows !== big) throw new Error(`memory run: ${run.rows} rows, expected ${big}`);
    const set = app.results.get(run.resultId);
    const last = await app.results.get(run.resultId).rows(big - 1, 1);
    const expected = [String(big), createHash('md5').update(String(big)).digest('hex')];
    if (JSON.stringify(last[0]) !== JSON.stringify(expected)) throw new Error(`memory run: last row reads ${JSON.stringify(last[0])}`);
    return {
      peakMiB: (peak - baseline) / 2 ** 20,
      heapMiB: heapAtPeak / 2 ** 20,
      externalMiB: externalAtPeak / 2 ** 20,
      rowsPerSecond: big / run.seconds,
      spilled: set.spilled,
    };
  } finally {
    await app.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}
