import type { LocksAnswer } from '../../../shared/contract/index.js';
import { blockingChains, type LockRow } from './chains.js';
import { num, text, utc, type SystemViews } from './system-views.js';

const SESSIONS = `SELECT process AS pid, TRIM(user_name) AS user_name, TRIM(db_name) AS db_name, starttime
  FROM stv_sessions WHERE process <> pg_backend_pid() ORDER BY starttime`;

/** Table locks held and wanted, each table named from pg_class (its oid when the name is gone). */
const TRANSACTIONS = `SELECT t.pid, TRIM(t.txn_owner) AS txn_owner, t.xid, t.txn_start, TRIM(t.lock_mode) AS lock_mode, t.granted,
       COALESCE(TRIM(n.nspname) || '.' || TRIM(c.relname), t.relation::varchar) AS relation
  FROM svv_transactions t
  LEFT JOIN pg_class c ON c.oid = t.relation
  LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE t.relation IS NOT NULL AND t.pid <> pg_backend_pid()
 ORDER BY t.txn_start`;

/**
 * Sessions, their table locks, and who waits for whom; `running` names what each session runs (already redacted),
 * asked after the locks, so a session seen waiting is also seen running.
 */
export async function locksNow(
  views: SystemViews,
  connectionId: string,
  signal: AbortSignal,
  running: () => Promise<ReadonlyMap<number, string>>,
): Promise<LocksAnswer> {
  const [sessions, transactions] = await Promise.all([
    views.rows(connectionId, SESSIONS, signal),
    views.rows(connectionId, TRANSACTIONS, signal),
  ]);
  const texts = await running();
  const locks = transactions.map((row) => ({
    pid: num(row.pid),
    xid: text(row.xid),
    user: text(row.txn_owner),
    relation: text(row.relation),
    mode: text(row.lock_mode),
    granted: /^(t|true|1)$/i.test(text(row.granted)),
    since: utc(row.txn_start),
  }));
  const rows: LockRow[] = locks;
  return {
    sessions: sessions.map((row) => ({
      pid: num(row.pid),
      user: text(row.user_name),
      database: text(row.db_name),
      startedAt: utc(row.starttime),
    })),
    locks,
    chains: blockingChains(rows, texts),
  };
}
