/**
 * The one abortable wait of every poll loop and backoff. It never rejects: it
 * resolves after `ms`, at once when `signal` aborts (or already has), or when
 * the `wake` it is handed is called, and leaves no timer or listener behind.
 * So a loop checks `signal.aborted` after it and ends as a cancel does; a wait
 * that is cut short is never an error of its own.
 */
export function sleep(ms: number, signal: AbortSignal, wake?: (resolve: () => void) => void): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    wake?.(done);
  });
}
