import type { BlockingNode } from '../../../shared/contract/index.js';

/** One lock a session holds or waits for on a table, as svv_transactions lists it. */
export interface LockRow {
  pid: number;
  user: string;
  relation: string;
  mode: string;
  granted: boolean;
  since: string;
}

/**
 * Which lock modes conflict, PostgreSQL's table (Redshift's three modes, AccessShareLock, ShareRowExclusiveLock
 * and AccessExclusiveLock, are among them and conflict the same way).
 */
const CONFLICTS: Record<string, string[]> = {
  AccessShareLock: ['AccessExclusiveLock'],
  RowShareLock: ['ExclusiveLock', 'AccessExclusiveLock'],
  RowExclusiveLock: ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareUpdateExclusiveLock: ['ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareRowExclusiveLock: [
    'RowExclusiveLock',
    'ShareUpdateExclusiveLock',
    'ShareLock',
    'ShareRowExclusiveLock',
    'ExclusiveLock',
    'AccessExclusiveLock',
  ],
  ExclusiveLock: [
    'RowShareLock',
    'RowExclusiveLock',
    'ShareUpdateExclusiveLock',
    'ShareLock',
    'ShareRowExclusiveLock',
    'ExclusiveLock',
    'AccessExclusiveLock',
  ],
  AccessExclusiveLock: [
    'AccessShareLock',
    'RowShareLock',
    'RowExclusiveLock',
    'ShareUpdateExclusiveLock',
    'ShareLock',
    'ShareRowExclusiveLock',
    'ExclusiveLock',
    'AccessExclusiveLock',
  ],
};

/** Whether a lock held in `held` mode keeps a request for `wanted` waiting (an unknown mode is assumed to). */
export function conflicts(held: string, wanted: string): boolean {
  const known = CONFLICTS[wanted];
  return known ? known.includes(held) : true;
}

/**
 * The blocking chains as trees: each session that blocks others but waits for nobody is a root, the sessions
 * waiting for a lock it holds are nested under it, and theirs under them. A waiter blocked by two holders appears
 * under both; a cycle (a deadlock the server has yet to break) is cut where it would repeat a session.
 */
export function blockingChains(locks: LockRow[], running: ReadonlyMap<number, string> = new Map()): BlockingNode[] {
  const blockedBy = new Map<number, { holder: LockRow; wait: LockRow }[]>();
  for (const wait of locks.filter((l) => !l.granted)) {
    for (const holder of locks) {
      if (holder.granted && holder.pid !== wait.pid && holder.relation === wait.relation && conflicts(holder.mode, wait.mode)) {
        const list = blockedBy.get(holder.pid) ?? [];
        if (!list.some((edge) => edge.wait.pid === wait.pid)) list.push({ holder, wait });
        blockedBy.set(holder.pid, list);
      }
    }
  }
  const waiting = new Set(locks.filter((l) => !l.granted).map((l) => l.pid));
  const node = (lock: LockRow, seen: Set<number>, waitingSince?: string): BlockingNode => {
    const inside = new Set(seen).add(lock.pid);
    const sql = running.get(lock.pid);
    return {
      pid: lock.pid,
      user: lock.user,
      relation: lock.relation,
      mode: lock.mode,
      ...(waitingSince ? { waitingSince } : {}),
      ...(sql ? { sql } : {}),
      waiters: (blockedBy.get(lock.pid) ?? [])
        .filter((edge) => !inside.has(edge.wait.pid))
        .map((edge) => node(edge.wait, inside, edge.wait.since)),
    };
  };
  const roots = [...blockedBy.values()].map((edges) => edges[0]!.holder).filter((holder) => !waiting.has(holder.pid));
  // Every session of a pure cycle waits: start from its lowest pid so the deadlock is still drawn.
  const drawn = new Set<number>();
  const visit = (n: BlockingNode) => {
    drawn.add(n.pid);
    n.waiters.forEach(visit);
  };
  const trees = roots.map((holder) => node(holder, new Set()));
  trees.forEach(visit);
  for (const [pid, edges] of [...blockedBy].sort(([a], [b]) => a - b)) {
    if (drawn.has(pid)) continue;
    const tree = node(edges[0]!.holder, new Set());
    visit(tree);
    trees.push(tree);
  }
  return trees;
}
