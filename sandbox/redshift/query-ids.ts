/** Ids one proxy run takes at a time; a restart takes a fresh block, so ids never repeat across the stand-in. */
export const QUERY_ID_BLOCK = 100_000;

/**
 * Query ids for every statement the proxy forwards, unique across restarts:
 * blocks come from a sequence in the `postgres` database, the next one fetched
 * in the background when half the current one is used, so handing out an id
 * never waits on the server.
 */
export class QueryIds {
  private next = 0;
  private end = 0;
  private upcoming: Promise<void> | undefined;

  constructor(private readonly take: () => Promise<number>) {}

  /** `take` returns the first id of a fresh block of QUERY_ID_BLOCK ids. */
  static async start(take: () => Promise<number>): Promise<QueryIds> {
    const ids = new QueryIds(take);
    await ids.refill();
    return ids;
  }

  allocate(): number {
    if (this.end - this.next < QUERY_ID_BLOCK / 2 && !this.upcoming) {
      this.upcoming = this.refill().finally(() => (this.upcoming = undefined));
      this.upcoming.catch(() => undefined);
    }
    return this.next++;
  }

  private async refill(): Promise<void> {
    const start = await this.take();
    // A burst that outran the fetch kept counting past the old block; the new one starts after it.
    this.next = Math.max(this.next, start);
    this.end = start + QUERY_ID_BLOCK;
  }
}
