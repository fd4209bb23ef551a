import type pg from 'pg';
import { OWN_QUERY_MARK } from '../electron/core/warehouse/system-views.js';
import { redshiftLiteral } from '../shared/sql/literal.js';
import { warehouseClient } from '../tests/helpers/warehouse.js';
import { numberArg, percentile, round } from './args.js';
import { benchSandbox } from './sandbox.js';

const CONNECTION_ID = 'sandbox-warehouse';
/** The view's own statements, as the core marks them. */
const OPS_STATEMENT = `query_text LIKE ${redshiftLiteral(`${OWN_QUERY_MARK}%`)}`;

/** The warehouse's clock, as its views' timestamps read (UTC, without zone). */
async function serverNow(client: pg.Client): Promise<string> {
  return (await client.query<string[]>({ text: 'SELECT now()::timestamp::text', rowMode: 'array' })).rows[0]![0]!;
}

/** One session's loop until `stop`: mostly short SELECTs, some sleeps (queries that stay in the running list), some inserts. */
async function workload(client: pg.Client, table: string, stop: { stopped: boolean }, counts: { statements: number; failed: number }) {
  while (!stop.stopped) {
    const pick = Math.random();
    const sql =
      pick < 0.6
        ? `SELECT count(*), sum(g) FROM generate_series(1, ${5_000 + Math.floor(Math.random() * 20_000)}) g`
        : pick < 0.8
          ? `SELECT pg_sleep(${(0.5 + Math.random() * 2).toFixed(2)})`
          : `INSERT INTO ${table} SELECT g, md5(g::text) FROM generate_series(1, 100) g`;
    try {
      await client.query(sql);
      counts.statements++;
    } catch {
      counts.failed++;
    }
  }
}

/**
 * The operations view's live list under load: `--sessions` (default 50) sessions on the sandbox's warehouse each run
 * a mix of short SELECTs, pg_sleep and small INSERTs in a loop while the running-queries refresh (`warehouse.running`,
 * through the app's core as the UI calls it) runs every `--interval` seconds (default 2, the live view's pace) for
 * `--seconds` (default 60). Prints the refresh's median and p95 in ms, and `ops_load_share`: the execution time of
 * the view's own statements ÷ that of every statement in the same window, as the stand-in's sys_query_history
 * records them. Options: `--data-dir DIR` (a sandbox already running).
 */
export async function runOpsBench(args: string[]) {
  const sessions = numberArg(args, '--sessions', 50);
  const seconds = numberArg(args, '--seconds', 60);
  const interval = numberArg(args, '--interval', 2);
  const { run, core, stop } = await benchSandbox(args, 'ops');
  const signal = new AbortController().signal;
  const table = `bench_ops_${Date.now().toString(36)}`;
  const admin = await warehouseClient(run);
  const clients: pg.Client[] = [];
  const halt = { stopped: false };
  const counts = { statements: 0, failed: 0 };
  try {
    await admin.query(`CREATE TABLE ${table} (id int, note varchar(32))`);
    for (let i = 0; i < sessions; i++) clients.push(await warehouseClient(run));
    const loops = clients.map((client) => workload(client, table, halt, counts));
    // Every session busy before the window opens.
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    const windowStart = await serverNow(admin);
    const times: number[] = [];
    let listed = 0;
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const started = performance.now();
      const answer = await core.handlers['warehouse.running']({ connectionId: CONNECTION_ID }, { signal });
      times.push(performance.now() - started);
      listed = Math.max(listed, answer.queries.length);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, interval * 1000 - (performance.now() - started))));
    }
    const windowEnd = await serverNow(admin);
    halt.stopped = true;
    await Promise.all(loops);

    const [all, ops, sleeps, statements] = (
      await admin.query<string[]>({
        text: `SELECT SUM(execution_time)::text, SUM(CASE WHEN ${OPS_STATEMENT} THEN execution_time ELSE 0 END)::text,
            SUM(CASE WHEN query_text LIKE 'SELECT pg_sleep(%' THEN execution_time ELSE 0 END)::text, COUNT(*)::text
          FROM sys_query_history WHERE start_time >= $1::timestamp AND start_time < $2::timestamp AND status IN ('success', 'failed', 'canceled')`,
        values: [windowStart, windowEnd],
        rowMode: 'array',
      })
    ).rows[0]!;
    const share = Number(ops) / Number(all);
    console.log(
      `${sessions} sessions, ${counts.statements} statements (${counts.failed} failed); ${times.length} refreshes, up to ${listed} queries listed; ` +
        `sys_query_history: ${statements} statements in the window, ${Number(ops) / 1000} ms of ${Number(all) / 1000} ms the view's`,
    );
    return {
      sessions,
      refreshes: times.length,
      running_refresh_ms_median: round(percentile(times, 50)),
      running_refresh_ms_p95: round(percentile(times, 95)),
      ops_load_share: round(share, 4),
      // The sleeps hold a slot but do no work: the share of the time the warehouse spent working is the stricter reading.
      ops_load_share_without_sleeps: round(Number(ops) / (Number(all) - Number(sleeps)), 4),
    };
  } finally {
    halt.stopped = true;
    await Promise.allSettled(clients.map((client) => client.end()));
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin.end();
    await stop();
  }
}
