import { useCallback, useEffect, useRef, useState } from 'react';
import type { CallName, ChunkOf, InputOf, ResultOf, StreamName } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { StreamHandle } from '../../../shared/rpc-client';
import { useClient } from './client-context';

export interface CallState<K extends CallName> {
  data: ResultOf<K> | undefined;
  error: AppError | undefined;
  reload: () => void;
  /** Replace the data with a newer result (e.g. the answer of an update). */
  set: (value: ResultOf<K>) => void;
}

export function toAppError(error: unknown): AppError {
  return error instanceof AppError ? error : new AppError('INTERNAL', error instanceof Error ? error.message : String(error));
}

/** Loads an operation's result on mount and on `reload`; cancels when the component goes away. */
export function useCall<K extends CallName>(op: K, input: InputOf<K>): CallState<K> {
  const client = useClient();
  const [data, setData] = useState<ResultOf<K>>();
  const [error, setError] = useState<AppError>();
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(input);

  useEffect(() => {
    const controller = new AbortController();
    client
      .call(op, JSON.parse(key) as InputOf<K>, controller.signal)
      .then((value) => {
        setData(value);
        setError(undefined);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setError(toAppError(caught));
      });
    return () => controller.abort();
  }, [client, op, key, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, reload, set: setData };
}

/**
 * Watches a stream while `input` is given (undefined is "off": nothing runs, as
 * a watch that runs only while the window is shown), restarting it when the
 * input changes and cancelling it when the component goes away. Each chunk
 * goes to `onChunk`, the end to `onEnd`; the latest callbacks are used, so
 * they need not be stable. The error is the stream's failure (never a
 * cancel), cleared by a new answer, a restart or "off".
 */
export function useStream<K extends StreamName>(
  op: K,
  input: InputOf<K> | undefined,
  onChunk: (chunk: ChunkOf<K>) => void,
  onEnd?: () => void,
): AppError | undefined {
  const client = useClient();
  const [error, setError] = useState<AppError>();
  const callbacks = useRef({ onChunk, onEnd });
  useEffect(() => {
    callbacks.current = { onChunk, onEnd };
  });
  const key = input === undefined ? undefined : JSON.stringify(input);

  useEffect(() => {
    if (key === undefined) return;
    let active = true;
    const handle = client.stream(op, JSON.parse(key) as InputOf<K>, {
      onChunk: (chunk) => {
        if (!active) return;
        setError(undefined);
        callbacks.current.onChunk(chunk);
      },
    });
    handle.done.then(
      () => active && callbacks.current.onEnd?.(),
      (caught: unknown) => {
        const appError = toAppError(caught);
        if (active && appError.code !== 'CANCELLED') setError(appError);
      },
    );
    return () => {
      active = false;
      handle.cancel();
      setError(undefined);
    };
  }, [client, op, key]);

  return error;
}

export interface StreamActionOptions<K extends StreamName, S> {
  /** Folds each chunk into the action's state; called once per chunk, outside rendering, so it may also pass the chunk on. */
  reduce: (state: S, chunk: ChunkOf<K>) => S;
  /** The state once the stream has ended: `error` is its failure or cancel (code CANCELLED), undefined when it ended by itself. */
  settle?: (state: S, error: AppError | undefined) => S;
  /** Told once the stream has ended (not when a newer start replaced it), with its settled state. */
  onSettled?: (state: S, error: AppError | undefined) => void;
  /** Leaving the screen cancels the action, unless it is work that goes on by itself (a run the runs list can stop). */
  onUnmount?: 'cancel' | 'continue';
  /** A start while one is running replaces it, or is ignored (a second Run pressed before the first one's answer). */
  whileRunning?: 'replace' | 'ignore';
}

export interface StreamAction<K extends StreamName, S> {
  /** What the chunks folded into: the last action's, kept after it ended; undefined before the first start. */
  state: S | undefined;
  running: boolean;
  /** Why the last action failed (never a cancel); cleared by the next start. */
  error: AppError | undefined;
  /** Starts `op` (one of K) from `initial`; an action still running is cancelled, or the start ignored (`whileRunning`). */
  start: (op: K, input: InputOf<K>, initial: S) => void;
  cancel: () => void;
  /** Changes the action's state, running or ended, with an answer of another call or an operator's pick (e.g. a new rate, the result shown). */
  update: (change: (state: S) => S) => void;
}

/**
 * An operator-started stream (a run, an upload, a sign-in) with its state,
 * error and cancel; one action at a time, of the operations K (those whose
 * chunks `reduce` takes: a create, pipeline or cleanup run; an upload or download).
 */
export function useStreamAction<K extends StreamName, S>(options: StreamActionOptions<K, S>): StreamAction<K, S> {
  const client = useClient();
  const [state, setState] = useState<S>();
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<AppError>();
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });
  const current = useRef<{ handle: StreamHandle; state: S }>(undefined);

  const onUnmount = options.onUnmount ?? 'cancel';
  useEffect(() => {
    if (onUnmount === 'continue') return;
    return () => current.current?.handle.cancel();
  }, [onUnmount]);

  const start = useCallback(
    (op: K, input: InputOf<K>, initial: S) => {
      if (current.current && latest.current.whileRunning === 'ignore') return;
      current.current?.handle.cancel();
      const run = { state: initial } as { handle: StreamHandle; state: S };
      const update = (next: S) => {
        run.state = next;
        if (current.current === run) setState(next);
      };
      run.handle = client.stream(op, input, {
        // A replaced action's late chunks are dropped: its reducer may pass them on.
        onChunk: (chunk) => {
          if (current.current === run) update(latest.current.reduce(run.state, chunk));
        },
      });
      current.current = run;
      setState(initial);
      setError(undefined);
      setRunning(true);
      void run.handle.done
        .then(
          () => undefined,
          (caught: unknown) => toAppError(caught),
        )
        .then((failure) => {
          if (current.current !== run) return;
          const { settle, onSettled } = latest.current;
          if (settle) update(settle(run.state, failure));
          current.current = undefined;
          if (failure && failure.code !== 'CANCELLED') setError(failure);
          setRunning(false);
          onSettled?.(run.state, failure);
        });
    },
    [client],
  );

  const cancel = useCallback(() => current.current?.handle.cancel(), []);
  const update = useCallback((change: (state: S) => S) => {
    const run = current.current;
    if (!run) {
      setState((ended) => (ended === undefined ? ended : change(ended)));
      return;
    }
    run.state = change(run.state);
    setState(run.state);
  }, []);
  return { state, running, error, start, cancel, update };
}

/** Runs user actions, keeping the last one's error (cleared by the next success) for an ErrorMessage. */
export function useAction(): { error: AppError | undefined; act: (work: () => Promise<void>) => Promise<void> } {
  const [error, setError] = useState<AppError>();
  const act = useCallback(async (work: () => Promise<void>) => {
    try {
      await work();
      setError(undefined);
    } catch (caught) {
      setError(toAppError(caught));
    }
  }, []);
  return { error, act };
}
