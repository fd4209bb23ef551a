import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { CreateClusterCommand, DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sandboxClientConfig } from '../../client/constants.js';
import { readRunFile } from '../../client/run-file.js';
import { until } from '../../../tests/helpers/until.js';

const { dataDir } = inject('sandbox');
// Read when this file runs, not at setup: sandbox.test.ts restarts the sandbox on new ports.
const run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
const MASTER = { user: 'opsadmin', password: 'Ops-Passw0rd', database: 'ops' };
let endpoint: { host: string; port: number };
const clients: pg.Client[] = [];
const sessionErrors = new Map<pg.Client, string[]>();

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ ...endpoint, ...MASTER });
  // A terminated session's error arrives as an event: what the server said before it closed.
  client.on('error', (error) => sessionErrors.set(client, [...(sessionErrors.get(client) ?? []), error.message]));
  await client.connect();
  clients.push(client);
  return client;
}

beforeAll(async () => {
  const redshift = new RedshiftClient(sandboxClientConfig(run));
  try {
    await redshift.send(
      new CreateClusterCommand({
        ClusterIdentifier: 'ops-dw',
        NodeType: 'ra3.xlplus',
        ClusterType: 'single-node',
        MasterUsername: MASTER.user,
        MasterUserPassword: MASTER.password,
        DBName: MASTER.database,
      }),
    );
    const cluster = await until('available Redshift cluster', async () => {
      const found = (await redshift.send(new DescribeClustersCommand({ ClusterIdentifier: 'ops-dw' }))).Clusters?.[0];
      return found?.ClusterStatus === 'available' ? found : undefined;
    });
    endpoint = { host: cluster.Endpoint!.Address!, port: cluster.Endpoint!.Port! };
  } finally {
    redshift.destroy();
  }
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
});

describe("the Redshift stand-in's operations views", () => {
  it('shows a running query within 2 s, and after pg_cancel_backend it leaves within 1 s and is canceled in the history', async () => {
    const [sleeper, operator] = [await connect(), await connect()];
    const sleeperPid = (await sleeper.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const started = Date.now();
    const sleeping = sleeper.query('SELECT pg_sleep(60)').then(
      () => undefined,
      (error: Error) => error,
    );
    const running = await until(
      'the sleep in STV_RECENTS and STV_WLM_QUERY_STATE',
      async () => {
        const recents = await operator.query(
          "SELECT trim(status) AS status, trim(query) AS query, trim(user_name) AS user_name FROM stv_recents WHERE pid = $1 AND status = 'Running'",
          [sleeperPid],
        );
        const wlm = await operator.query(
          'SELECT w.query, w.service_class, trim(w.state) AS state FROM stv_wlm_query_state w JOIN stv_inflight i USING (query) WHERE i.pid = $1',
          [sleeperPid],
        );
        return recents.rows.length && wlm.rows.length ? { recents: recents.rows[0], wlm: wlm.rows[0] } : undefined;
      },
      2000,
    );
    expect(Date.now() - started).toBeLessThanOrEqual(2000);
    expect(running.recents).toEqual({ status: 'Running', query: 'SELECT pg_sleep(60)', user_name: MASTER.user });
    expect(running.wlm).toMatchObject({ service_class: 6, state: 'Running' });

    expect((await operator.query('SELECT pg_cancel_backend($1) AS ok', [sleeperPid])).rows).toEqual([{ ok: true }]);
    const canceledAt = Date.now();
    await until(
      'the sleep to leave the running list',
      async () => (await operator.query("SELECT 1 FROM stv_recents WHERE pid = $1 AND status = 'Running'", [sleeperPid])).rowCount === 0,
      1000,
    );
    expect(Date.now() - canceledAt).toBeLessThanOrEqual(1000);
    expect(await sleeping).toMatchObject({ message: 'canceling statement due to user request' });
    const history = await until(
      'the canceled sleep in SYS_QUERY_HISTORY',
      async () =>
        (
          await operator.query(
            "SELECT query_id, status, query_text, error_message FROM sys_query_history WHERE session_id = $1 AND query_text = 'SELECT pg_sleep(60)' AND status <> 'running'",
            [sleeperPid],
          )
        ).rows[0],
      5000,
    );
    expect(history).toMatchObject({ status: 'canceled', error_message: 'canceling statement due to user request' });
    expect(Number(history.query_id)).toBe(running.wlm.query);
  });

  it('shows who waits for whose lock, and pg_terminate_backend on the holder frees the waiter and ends its session cleanly', async () => {
    const [holder, waiter, operator] = [await connect(), await connect(), await connect()];
    await operator.query('CREATE TABLE accounts (id INT, balance INT) DISTSTYLE EVEN');
    await operator.query('INSERT INTO accounts VALUES (1, 100), (2, 200)');
    const table = (await operator.query<{ oid: number }>("SELECT 'accounts'::regclass::oid::int AS oid")).rows[0]!.oid;
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const waiterPid = (await waiter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await holder.query('BEGIN');
    await holder.query('UPDATE accounts SET balance = balance + 1 WHERE id = 1');
    await holder.query('LOCK TABLE accounts');
    const waiting = waiter.query('SELECT sum(balance)::int AS total FROM accounts');

    const locks = await until(
      'the waiter in SVV_TRANSACTIONS',
      async () => {
        const { rows } = await operator.query(
          'SELECT pid, relation, lock_mode, granted FROM svv_transactions WHERE relation = $1 ORDER BY pid',
          [table],
        );
        return rows.some((row) => row.pid === waiterPid && !row.granted) ? rows : undefined;
      },
      10_000,
    );
    expect(locks).toContainEqual({ pid: waiterPid, relation: table, lock_mode: 'AccessShareLock', granted: false });
    expect(locks).toContainEqual({ pid: holderPid, relation: table, lock_mode: 'AccessExclusiveLock', granted: true });
    expect(
      (await operator.query('SELECT lock_owner_pid::int AS pid, lock_status FROM stv_locks WHERE table_id = $1', [table])).rows,
    ).toContainEqual({
      pid: holderPid,
      lock_status: 'Holding exclusive lock',
    });

    expect((await operator.query('SELECT pg_terminate_backend($1) AS ok', [holderPid])).rows).toEqual([{ ok: true }]);
    expect((await waiting).rows).toEqual([{ total: 300 }]);
    const ended = await holder.query('SELECT 1').then(
      () => undefined,
      (error: Error) => error,
    );
    expect(ended).toBeInstanceOf(Error);
    expect(sessionErrors.get(holder)?.[0]).toBe('terminating connection due to administrator command');
    expect((await operator.query('SELECT count(*)::int AS n FROM svv_transactions WHERE pid = $1', [holderPid])).rows).toEqual([{ n: 0 }]);
    // The proxy goes on serving everyone else.
    expect((await (await connect()).query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('gives pg_last_query_id() the id SYS_QUERY_HISTORY and STL_QUERY know, and records a failed statement with its error', async () => {
    const client = await connect();
    await client.query("SELECT 'marker-7d1f' AS marker");
    const id = (await client.query<{ id: number }>('SELECT pg_last_query_id() AS id')).rows[0]!.id;
    await expect(client.query('SELECT * FROM no_such_table')).rejects.toThrow('relation "no_such_table" does not exist');
    const failedId = (await client.query<{ id: number }>('SELECT pg_last_query_id() AS id')).rows[0]!.id;
    const rows = await until(
      'both statements in SYS_QUERY_HISTORY',
      async () => {
        const { rows } = await client.query(
          'SELECT query_id::int AS id, status, query_type, query_text, error_message, returned_rows::int AS rows FROM sys_query_history WHERE query_id IN ($1, $2) ORDER BY query_id',
          [id, failedId],
        );
        return rows.length === 2 ? rows : undefined;
      },
      5000,
    );
    expect(rows).toEqual([
      { id, status: 'success', query_type: 'SELECT', query_text: "SELECT 'marker-7d1f' AS marker", error_message: null, rows: 1 },
      {
        id: failedId,
        status: 'failed',
        query_type: 'SELECT',
        query_text: 'SELECT * FROM no_such_table',
        error_message: 'relation "no_such_table" does not exist',
        rows: 0,
      },
    ]);
    expect((await client.query('SELECT aborted, trim(querytxt) AS text FROM stl_query WHERE query = $1', [failedId])).rows).toEqual([
      { aborted: 1, text: 'SELECT * FROM no_such_table' },
    ]);
  });
  it("keeps the client's own text in the history, not the stand-in's rewrite of it", async () => {
    const client = await connect();
    const sql = 'CREATE TABLE history_text (id INT ENCODE az64, at TIMESTAMP) DISTKEY (id) SORTKEY (at)';
    await client.query(sql);
    const id = (await client.query<{ id: number }>('SELECT pg_last_query_id() AS id')).rows[0]!.id;
    const text = await until(
      'the CREATE TABLE in SYS_QUERY_HISTORY',
      async () => (await client.query('SELECT query_text FROM sys_query_history WHERE query_id = $1', [id])).rows[0]?.query_text,
      5000,
    );
    expect(text).toBe(sql);
  });

  it('shows a user who is not a superuser only their own statements, as Redshift does', async () => {
    const master = await connect();
    await master.query("CREATE USER analyst PASSWORD 'Analyst-Passw0rd'");
    await master.query("SELECT 'master-only-4b1e' AS marker");
    const analyst = new pg.Client({ ...endpoint, user: 'analyst', password: 'Analyst-Passw0rd', database: MASTER.database });
    await analyst.connect();
    clients.push(analyst);
    await analyst.query("SELECT 'analyst-own-4b1e' AS marker");
    const seen = await until(
      "the analyst's statement in SYS_QUERY_HISTORY",
      async () => {
        const { rows } = await analyst.query<{ text: string }>(
          "SELECT query_text AS text FROM sys_query_history WHERE query_text LIKE '%-4b1e%'",
        );
        return rows.some((row) => row.text.includes('analyst-own')) ? rows.map((row) => row.text) : undefined;
      },
      5000,
    );
    expect(seen.filter((text) => text.includes('master-only'))).toEqual([]);
    // The password in CREATE USER is masked in the history.
    const created = await master.query<{ text: string }>(
      "SELECT query_text AS text FROM sys_query_history WHERE query_text LIKE 'CREATE USER analyst%'",
    );
    expect(created.rows).toHaveLength(1);
    expect(created.rows[0]!.text).not.toContain('Analyst-Passw0rd');
    expect(
      (await master.query("SELECT count(*)::int AS n FROM sys_query_history WHERE query_text = 'SELECT ''master-only-4b1e'' AS marker'"))
        .rows,
    ).toEqual([{ n: 1 }]);
  });
});

describe("the Redshift stand-in's table health", () => {
  const info = async (client: pg.Client, table: string) =>
    (
      await client.query(
        `SELECT diststyle, sortkey1, encoded, unsorted::float AS unsorted, stats_off::float AS stats_off, skew_rows::float AS skew_rows,
          tbl_rows::int AS tbl_rows, size::int AS size FROM svv_table_info WHERE "table" = $1`,
        [table],
      )
    ).rows[0] as {
      diststyle: string;
      sortkey1: string | null;
      encoded: string;
      unsorted: number | null;
      stats_off: number;
      skew_rows: number | null;
      tbl_rows: number;
      size: number;
    };

  it('shows a skewed distribution key far over 4 and an EVEN table near 1, and ALTER DISTKEY / DISTSTYLE change the style', async () => {
    const client = await connect();
    await client.query(
      'CREATE TABLE clicks (user_id VARCHAR(32) ENCODE zstd, ts TIMESTAMP ENCODE az64, n INT ENCODE az64) DISTSTYLE KEY DISTKEY (user_id) SORTKEY (ts)',
    );
    // 90% of the rows share one key value.
    await client.query(
      "INSERT INTO clicks SELECT CASE WHEN g % 10 = 0 THEN 'user-' || g ELSE 'bot' END, timestamp '2026-01-01' + g * interval '1 second', g FROM generate_series(1, 4000) g",
    );
    await client.query('CREATE TABLE spread (id INT, note VARCHAR(20)) DISTSTYLE EVEN');
    await client.query("INSERT INTO spread SELECT g, 'x' FROM generate_series(1, 4000) g");

    const clicks = await info(client, 'clicks');
    expect(clicks).toMatchObject({ diststyle: 'KEY(user_id)', sortkey1: 'ts', encoded: 'Y', tbl_rows: 4000 });
    expect(clicks.skew_rows).toBeGreaterThan(4);
    const spread = await info(client, 'spread');
    expect(spread).toMatchObject({ diststyle: 'EVEN', sortkey1: 'AUTO(SORTKEY)', encoded: 'Y, AUTO(ENCODE)', unsorted: null });
    expect(spread.skew_rows).toBeLessThan(1.1);

    await client.query('ALTER TABLE clicks ALTER DISTKEY n');
    const rekeyed = await info(client, 'clicks');
    expect(rekeyed.diststyle).toBe('KEY(n)');
    expect(rekeyed.skew_rows).toBeLessThan(1.5);
    await client.query('ALTER TABLE spread ALTER DISTSTYLE ALL');
    await client.query('ALTER TABLE spread RENAME TO spread_all');
    expect(await info(client, 'spread_all')).toMatchObject({ diststyle: 'ALL', skew_rows: null });
    await client.query('ALTER TABLE spread_all ALTER DISTSTYLE KEY DISTKEY id');
    expect((await info(client, 'spread_all')).diststyle).toBe('KEY(id)');
  });

  it('counts rows appended out of sort key order as unsorted, and VACUUM sorts them again', async () => {
    const client = await connect();
    await client.query('CREATE TABLE events (id INT, payload VARCHAR(64)) DISTSTYLE EVEN COMPOUND SORTKEY (id)');
    await client.query("INSERT INTO events SELECT g, 'in order' FROM generate_series(1, 3000) g");
    expect((await info(client, 'events')).unsorted).toBe(0);
    await client.query("INSERT INTO events SELECT g, 'late' FROM generate_series(1500, 1, -1) g");
    expect((await info(client, 'events')).unsorted).toBeGreaterThan(20);

    await client.query('VACUUM events TO 100 PERCENT');
    const vacuumed = await info(client, 'events');
    expect(vacuumed.unsorted).toBeLessThan(1);
    expect(vacuumed.tbl_rows).toBe(4500);
    // The rows are really in sort key order now.
    const { rows } = await client.query<{ id: number }>('SELECT id FROM events LIMIT 3');
    expect(rows.map((row) => row.id)).toEqual([1, 1, 2]);
  });

  it('raises stats_off as rows change after ANALYZE, and ANALYZE brings it back to 0', async () => {
    const client = await connect();
    await client.query('CREATE TABLE balances (id INT, amount INT) DISTKEY (id) SORTKEY (id)');
    await client.query('INSERT INTO balances SELECT g, 0 FROM generate_series(1, 2000) g');
    await client.query('ANALYZE balances');
    await until('stats_off 0 after ANALYZE', async () => (await info(client, 'balances')).stats_off === 0, 10_000);
    for (let round = 0; round < 3; round++) await client.query('UPDATE balances SET amount = amount + 1');
    const stale = await until(
      'stats_off to rise after the updates',
      async () => {
        const { stats_off } = await info(client, 'balances');
        return stats_off > 50 ? stats_off : undefined;
      },
      10_000,
    );
    expect(stale).toBeGreaterThan(50);
    await client.query('ANALYZE balances');
    await until('stats_off 0 after ANALYZE again', async () => (await info(client, 'balances')).stats_off === 0, 10_000);
  });

  it('keeps the statistics of a load fresh when one psql script loads and analyzes the table', async () => {
    // psql sends the next statement at once; PostgreSQL publishes a session's row counts up to a second late, so
    // without the stand-in's care the INSERT's counts landed after the ANALYZE and made its statistics look stale.
    execFileSync(
      'psql',
      ['-h', endpoint.host, '-p', String(endpoint.port), '-U', MASTER.user, '-d', MASTER.database, '-qAt', '-v', 'ON_ERROR_STOP=1'],
      {
        input:
          'CREATE TABLE loaded (id INT) DISTKEY (id);\nINSERT INTO loaded SELECT g FROM generate_series(1, 5000) g;\nANALYZE loaded;\n',
        env: { ...process.env, PGPASSWORD: MASTER.password },
      },
    );
    const client = await connect();
    await sleep(2000);
    expect(await info(client, 'loaded')).toMatchObject({ tbl_rows: 5000, stats_off: 0 });
  });

  it('shows disk use per node against a capacity', async () => {
    const client = await connect();
    const { rows } = await client.query(
      'SELECT node, used::int AS used, capacity::int AS capacity FROM stv_node_storage_capacity ORDER BY node',
    );
    expect(rows.map((row) => row.node)).toEqual([0, 1]);
    for (const row of rows) {
      expect(row.used).toBeGreaterThan(0);
      expect(row.capacity).toBeGreaterThan(row.used);
    }
    const partitions = await client.query('SELECT sum(used)::int AS used FROM stv_partitions');
    expect(partitions.rows[0].used).toBe(rows.reduce((sum, row) => sum + row.used, 0));
  });
});

describe("the Redshift stand-in's plans and Serverless usage", () => {
  it("keeps each statement's executed plan as steps, without sending the client anything extra", async () => {
    const client = await connect();
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    await client.query('CREATE TABLE orders (id INT, customer INT, total INT) DISTKEY (customer)');
    await client.query('CREATE TABLE customers (id INT, region VARCHAR(8)) DISTSTYLE ALL');
    await client.query('INSERT INTO orders SELECT g, g % 50, g FROM generate_series(1, 3000) g');
    await client.query("INSERT INTO customers SELECT g, 'eu' FROM generate_series(0, 49) g");
    const { rows } = await client.query(
      'SELECT c.region, count(*)::int AS n FROM orders o JOIN customers c ON c.id = o.customer WHERE o.total > 100 GROUP BY c.region',
    );
    expect(rows).toEqual([{ region: 'eu', n: 2900 }]);
    const id = (await client.query<{ id: number }>('SELECT pg_last_query_id() AS id')).rows[0]!.id;
    expect(notices).toEqual([]);

    const steps = await until(
      'the plan in SYS_QUERY_DETAIL',
      async () => {
        const found = await client.query(
          `SELECT plan_node_id, plan_parent_id, trim(step_name) AS step, trim(table_name) AS table_name, output_rows::int AS output_rows,
            input_rows::int AS input_rows, duration::int AS duration FROM sys_query_detail WHERE query_id = $1 ORDER BY plan_node_id`,
          [id],
        );
        return found.rows.length ? found.rows : undefined;
      },
      5000,
    );
    expect(steps[0]).toMatchObject({ plan_node_id: 1, plan_parent_id: 0, output_rows: 1 });
    expect(steps).toContainEqual(expect.objectContaining({ step: 'scan', table_name: 'orders', input_rows: 3000, output_rows: 2900 }));
    expect(steps).toContainEqual(expect.objectContaining({ step: 'scan', table_name: 'customers', output_rows: 50 }));
    const ids = new Set(steps.map((step) => step.plan_node_id));
    for (const step of steps.slice(1)) expect(ids).toContain(step.plan_parent_id);

    const explain = await client.query(
      'SELECT nodeid, parentid, trim(plannode) AS plannode, trim(info) AS info FROM stl_explain WHERE query = $1 ORDER BY nodeid',
      [id],
    );
    expect(explain.rows.map((row) => row.nodeid)).toEqual(steps.map((step) => step.plan_node_id));
    expect(explain.rows).toContainEqual(
      expect.objectContaining({ plannode: expect.stringMatching(/^Seq Scan on orders +\(cost=/), info: 'Filter: (total > 100)' }),
    );
    const summary = await client.query(
      "SELECT count(*)::int AS n FROM svl_query_summary WHERE query = $1 AND label LIKE 'scan   tbl=% name=orders%'",
      [id],
    );
    expect(summary.rows).toEqual([{ n: 1 }]);
    expect((await client.query('SELECT count(*)::int AS n FROM sys_query_explain WHERE query_id = $1', [id])).rows).toEqual([
      { n: steps.length },
    ]);
  });

  it('charges busy seconds at the base capacity per minute, with a 60-second minimum', async () => {
    const client = await connect();
    const since = (await client.query<{ now: Date }>("SELECT date_trunc('minute', getdate()) AS now")).rows[0]!.now;
    await client.query('SELECT pg_sleep(1.5)');
    const usage = await until(
      'the sleep in SYS_SERVERLESS_USAGE',
      async () => {
        const { rows } = await client.query(
          'SELECT sum(compute_seconds) AS compute, sum(charged_seconds) AS charged, min(compute_capacity) AS capacity FROM sys_serverless_usage WHERE start_time >= $1',
          [since],
        );
        return rows[0].compute >= 1.5 * 128 ? rows[0] : undefined;
      },
      5000,
    );
    expect(usage.capacity).toBe(128);
    expect(usage.charged).toBeGreaterThanOrEqual(60 * 128);
    const windows = await client.query(
      'SELECT extract(epoch FROM end_time - start_time)::int AS seconds, charged_seconds FROM sys_serverless_usage',
    );
    for (const window of windows.rows) {
      expect(window.seconds).toBe(60);
      expect(window.charged_seconds).toBeLessThanOrEqual(60 * 128 + 1e-6);
    }
  });
});
