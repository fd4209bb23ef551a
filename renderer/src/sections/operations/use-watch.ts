import { useCallback, useRef, useState } from 'react';

/** How long an action's effect is watched for before the operator is told it has not shown. */
export const WATCH_MS = 10_000;

export interface Watch {
  /** What the operator did, as the outcome names it ("Cancelled", "Terminated"). */
  verb: string;
  what: string;
  /** The action's target (a query id, a pid), as the caller looks it up in an answer. */
  target: string;
  since: number;
}

/**
 * Confirms an action by watching its target leave a live list: the first answer asked after the action that no
 * longer shows it says how long that took; none within ten seconds says it is still there. `seen` is told each
 * answer (from the poll's callback, never from rendering).
 */
export function useWatch(): {
  watching: Watch | undefined;
  outcome: string | undefined;
  /** Whether a watch is on: the poll asks more often meanwhile. */
  active: () => boolean;
  start: (watch: Omit<Watch, 'since'>) => void;
  seen: (askedAt: number, present: (watch: Watch) => boolean) => void;
} {
  const current = useRef<Watch>(undefined);
  const [watching, setWatching] = useState<Watch>();
  const [outcome, setOutcome] = useState<string>();

  const end = useCallback((text: string) => {
    current.current = undefined;
    setWatching(undefined);
    setOutcome(text);
  }, []);

  const seen = useCallback(
    (askedAt: number, present: (watch: Watch) => boolean) => {
      const watch = current.current;
      if (!watch || askedAt < watch.since) return;
      if (!present(watch)) end(`${watch.verb}: ${watch.what} left the list after ${Math.max(0, askedAt - watch.since)} ms`);
      else if (askedAt - watch.since > WATCH_MS) end(`${watch.what} still running after ${WATCH_MS / 1000} s`);
    },
    [end],
  );

  const start = useCallback((watch: Omit<Watch, 'since'>) => {
    current.current = { ...watch, since: Date.now() };
    setWatching(current.current);
    setOutcome(undefined);
  }, []);

  const active = useCallback(() => current.current !== undefined, []);
  return { watching, outcome, active, start, seen };
}
