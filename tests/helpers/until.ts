/**
 * The one wait of the tests: polls `probe` until it gives a value (anything
 * but undefined or false) and returns it, failing with `what` after the
 * timeout. It looks again after 5 ms, then ever less often up to every half
 * second, so a loopback condition is seen at once and a slow AWS one is not
 * hammered.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let every = 5; ; every = Math.min(500, every * 2)) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
