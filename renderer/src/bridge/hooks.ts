import { useCallback, useEffect, useState } from 'react';
import type { CallName, ChunkOf, InputOf, ResultOf, StreamName } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
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

/** Follows a stream while mounted; each chunk goes to `onChunk`. */
export function useStream<K extends StreamName>(op: K, input: InputOf<K>, onChunk: (chunk: ChunkOf<K>) => void): AppError | undefined {
  const client = useClient();
  const [error, setError] = useState<AppError>();
  const key = JSON.stringify(input);

  useEffect(() => {
    const handle = client.stream(op, JSON.parse(key) as InputOf<K>, { onChunk });
    let active = true;
    handle.done.catch((caught: unknown) => {
      const appError = toAppError(caught);
      if (active && appError.code !== 'CANCELLED') setError(appError);
    });
    return () => {
      active = false;
      handle.cancel();
    };
  }, [client, op, key, onChunk]);

  return error;
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
