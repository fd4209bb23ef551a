import { describe, expect, it } from 'vitest';
import { blockingChains, conflicts, type LockRow } from '../../electron/core/warehouse/chains.js';

const lock = (pid: number, relation: string, mode: string, granted: boolean): LockRow => ({
  pid,
  user: `u${pid}`,
  relation,
  mode,
  granted,
  since: '2026-01-01T00:00:00.000Z',
});

describe('blocking chains', () => {
  it('puts the holder at the root and its waiter under it, with what each runs', () => {
    const chains = blockingChains(
      [lock(10, 'public.t', 'AccessExclusiveLock', true), lock(20, 'public.t', 'AccessShareLock', false)],
      new Map([[20, 'SELECT * FROM t']]),
    );
    expect(chains).toHaveLength(1);
    expect(chains[0]).toMatchObject({ pid: 10, mode: 'AccessExclusiveLock', waiters: [{ pid: 20, sql: 'SELECT * FROM t', waiters: [] }] });
  });

  it('nests a chain: the waiter that holds what a third session wants is under the root, the third under it', () => {
    const chains = blockingChains([
      lock(1, 'public.a', 'AccessExclusiveLock', true),
      lock(2, 'public.a', 'AccessExclusiveLock', false),
      lock(2, 'public.b', 'AccessExclusiveLock', true),
      lock(3, 'public.b', 'AccessShareLock', false),
    ]);
    expect(chains.map((c) => c.pid)).toEqual([1]);
    expect(chains[0]!.waiters[0]!.pid).toBe(2);
    expect(chains[0]!.waiters[0]!.waiters.map((w) => w.pid)).toEqual([3]);
  });

  it('leaves out locks that do not conflict, and sessions that wait for nobody', () => {
    const chains = blockingChains([lock(1, 'public.a', 'AccessShareLock', true), lock(2, 'public.a', 'RowExclusiveLock', false)]);
    expect(chains).toEqual([]);
    expect(blockingChains([lock(1, 'public.a', 'AccessShareLock', true), lock(2, 'public.a', 'AccessShareLock', true)])).toEqual([]);
  });

  it('draws a deadlock once, cut where it would repeat a session', () => {
    const chains = blockingChains([
      lock(5, 'public.a', 'AccessExclusiveLock', true),
      lock(5, 'public.b', 'AccessExclusiveLock', false),
      lock(6, 'public.b', 'AccessExclusiveLock', true),
      lock(6, 'public.a', 'AccessExclusiveLock', false),
    ]);
    expect(chains).toHaveLength(1);
    expect(chains[0]!.pid).toBe(5);
    expect(chains[0]!.waiters[0]!.pid).toBe(6);
    expect(chains[0]!.waiters[0]!.waiters).toEqual([]);
  });

  it('knows Redshift’s lock modes conflict as PostgreSQL’s do', () => {
    expect(conflicts('AccessShareLock', 'AccessExclusiveLock')).toBe(true);
    expect(conflicts('AccessShareLock', 'ShareRowExclusiveLock')).toBe(false);
    expect(conflicts('ShareRowExclusiveLock', 'ShareRowExclusiveLock')).toBe(true);
  });
});
