import type { AppEvent } from '../../shared/contract/index.js';

type Listener = (event: AppEvent) => void;

/** Status changes that services announce and the status bar follows. */
export class EventHub {
  private readonly listeners = new Set<Listener>();

  emit(event: AppEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Turns a push source into an async iterable for a stream handler. Items queue
 * while the consumer is slow (the RPC layer bounds that with stream credit);
 * the iterable ends when `signal` aborts, or after the items queued before the
 * source calls `end`.
 */
export async function* follow<T>(
  subscribe: (push: (item: T) => void, end: () => void) => () => void,
  signal: AbortSignal,
  initial: T[] = [],
): AsyncGenerator<T> {
  const queue: T[] = [...initial];
  let ended = false;
  let wake: (() => void) | undefined;
  const unsubscribe = subscribe(
    (item) => {
      queue.push(item);
      wake?.();
    },
    () => {
      ended = true;
      wake?.();
    },
  );
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      const item = queue.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
