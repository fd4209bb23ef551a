import pg from 'pg';
import type { RunFile } from '../../sandbox/client/run-file.js';

/** A session on the sandbox's warehouse as its admin, apart from the app: someone else's work, or a test's setup. */
export async function warehouseClient(run: RunFile): Promise<pg.Client> {
  const client = new pg.Client({
    host: run.redshift.host,
    port: run.redshift.port,
    user: run.redshift.adminUser,
    password: run.redshift.adminPassword,
    database: 'dev',
  });
  await client.connect();
  return client;
}

/**
 * A table of 20,000 rows analyzed and then updated:
 * its statistics are well over ANALYZE's 10% threshold.
 */
export async function staleTable(db: pg.Client, table: string): Promise<void> {
  await db.query(`CREATE TABLE ${table} (id int, amount int)`);
  // PostgreSQL's autovacuum (the stand-in's automatic analyze) would otherwise race the test's ANALYZE: stale statistics are exactly what it looks for.
  await db.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
  await db.query(`INSERT INTO ${table} SELECT g, g FROM generate_series(1, 20000) g`);
  await db.query(`ANALYZE ${table}`);
  await db.query(`UPDATE ${table} SET amount = amount + 1`);
}
