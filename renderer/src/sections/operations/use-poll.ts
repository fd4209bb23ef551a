import { useEffect, useRef, useState } from 'react';
import type { CallName, InputOf, ResultOf } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError } from '../../bridge/hooks';

export interface Polled<K extends CallName> {
  data: ResultOf<K> | undefined;
  error: AppError | undefined;
  /** Asks now, and then again on the poll's rhythm. */
  refresh: () => void;
}

/**
 * Asks `op` again after each answer while `active` (the tab shown, the window visible), and not at all otherwise;
 * one request at a time, so a slow warehouse is never asked twice at once. `everyMs` is read at each wait (a watch
 * asks more often); `onAnswer` is told each answer with when it was asked.
 */
export function usePoll<K extends CallName>(
  op: K,
  input: InputOf<K>,
  active: boolean,
  everyMs: () => number,
  onAnswer?: (data: ResultOf<K>, askedAt: number) => void,
): Polled<K> {
  const client = useClient();
  const [data, setData] = useState<ResultOf<K>>();
  const [error, setError] = useState<AppError>();
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(input);
  const latest = useRef({ everyMs, onAnswer });
  useEffect(() => {
    latest.current = { everyMs, onAnswer };
  });

  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      const askedAt = Date.now();
      try {
        const answer = await client.call(op, JSON.parse(key) as InputOf<K>, controller.signal);
        if (controller.signal.aborted) return;
        setData(answer);
        setError(undefined);
        latest.current.onAnswer?.(answer, askedAt);
      } catch (caught) {
        if (controller.signal.aborted) return;
        setError(toAppError(caught));
      }
      timer = setTimeout(() => void tick(), latest.current.everyMs());
    };
    void tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [client, op, key, active, generation]);

  return { data, error, refresh: () => setGeneration((g) => g + 1) };
}
