import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Ack } from './producer.js';

const MIB = 1024 * 1024;

/** How much disk the ledgers may take: each run's, and all runs' together in the ingest folder. */
export interface LedgerLimits {
  perRunBytes: number;
  totalBytes: number;
}

export const LEDGER_LIMITS: LedgerLimits = { perRunBytes: 64 * MIB, totalBytes: 512 * MIB };

/** The older segment of a run's ledger: its newest ids are in `path` itself. */
export const olderSegment = (path: string): string => `${path}.1`;

/**
 * The acknowledged-id ledger of one run: append-only text, one line per
 * record Kinesis acknowledged, `<id>\t<shardId>\t<sequenceNumber>\t<putAtMs>`.
 * Checking a stage downstream for loss and duplication is comparing its ids
 * with these; putAtMs gives end-to-end latency.
 *
 * A generator run can go on for days, so the ledger keeps at most `maxBytes`:
 * two segments of half that each, `path` (newest) and `path.1`. When `path`
 * is full it becomes `path.1` and the previous `path.1` (the oldest ids) is
 * deleted; `dropped` counts the ids lost that way. Renaming waits until the
 * segment's stream has closed, since Windows cannot rename an open file.
 * A segment holds at least one line, so a cap under two lines' size is exceeded.
 */
export class Ledger {
  private out: WriteStream;
  private failure: Error | undefined;
  private readonly segmentBytes: number;
  /** Counted as lines are appended, ahead of the disk while a rotation is under way. */
  private bytes = 0;
  private lines = 0;
  private olderLines = 0;
  private droppedIds = 0;
  /** The rotation under way and the writes queued behind it, which must land in the segment opened after it. */
  private pending: Promise<void> | undefined;

  constructor(
    readonly path: string,
    maxBytes = LEDGER_LIMITS.perRunBytes,
  ) {
    this.segmentBytes = Math.floor(maxBytes / 2);
    this.out = this.open();
  }

  /** Ids acknowledged and then dropped to keep the ledger within its cap (the oldest ones). */
  get dropped(): number {
    return this.droppedIds;
  }

  append(acks: Ack[]): void {
    if (this.failure) throw this.failure;
    let text = '';
    for (const ack of acks) {
      const line = `${ack.id}\t${ack.shardId}\t${ack.sequenceNumber}\t${ack.putAtMs}\n`;
      const size = Buffer.byteLength(line);
      if (this.lines > 0 && this.bytes + size > this.segmentBytes) {
        this.write(text);
        text = '';
        this.rotate();
      }
      text += line;
      this.bytes += size;
      this.lines++;
    }
    this.write(text);
  }

  async close(): Promise<void> {
    while (this.pending) await this.pending;
    await closed(this.out);
    if (this.failure) throw this.failure;
  }

  private open(): WriteStream {
    const out = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
    out.on('error', (error) => (this.failure ??= error));
    return out;
  }

  private write(text: string): void {
    if (!text) return;
    if (this.pending) this.after(() => void this.out.write(text));
    else this.out.write(text);
  }

  private rotate(): void {
    this.droppedIds += this.olderLines;
    this.olderLines = this.lines;
    this.lines = 0;
    this.bytes = 0;
    this.after(async () => {
      await closed(this.out);
      const older = olderSegment(this.path);
      await rm(older, { force: true });
      await rename(this.path, older);
      this.out = this.open();
    });
  }

  /** Runs `step` once everything queued before it is done; after a failure nothing more is written. */
  private after(step: () => void | Promise<void>): void {
    const next = (this.pending ?? Promise.resolve())
      .then(() => (this.failure ? undefined : step()))
      .catch((error: unknown) => {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
      });
    this.pending = next;
    void next.then(() => {
      if (this.pending === next) this.pending = undefined;
    });
  }
}

/** Ends the stream and waits until its file is closed. */
function closed(out: WriteStream): Promise<void> {
  if (out.closed) return Promise.resolve();
  return new Promise((resolve) => {
    out.once('close', () => resolve());
    out.end();
  });
}

export interface LedgerEntry {
  id: string;
  shardId: string;
  sequenceNumber: string;
  putAtMs: number;
}

/** A run's ledger, oldest first: the older segment (when there is one), then the newest. Read it once the run has ended. */
export async function* readLedger(path: string): AsyncGenerator<LedgerEntry> {
  const older = olderSegment(path);
  const hasOlder = await stat(older).then(
    () => true,
    () => false,
  );
  for (const segment of hasOlder ? [older, path] : [path]) {
    const lines = createInterface({ input: createReadStream(segment), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      const [id, shardId, sequenceNumber, putAt] = line.split('\t');
      yield { id: id!, shardId: shardId ?? '', sequenceNumber: sequenceNumber ?? '', putAtMs: Number(putAt) };
    }
  }
}

/**
 * Deletes the ledgers of the oldest runs in `dir` (run ids sort by start time), leaving those in `keep` alone,
 * until the rest take at most `budget` bytes. Returns the runs whose ledgers went and the bytes freed.
 */
export async function pruneLedgers(dir: string, budget: number, keep: ReadonlySet<string>): Promise<{ runIds: string[]; bytes: number }> {
  const sizes = new Map<string, number>();
  for (const name of await readdir(dir)) {
    const runId = /^(r[a-z0-9]+)\.ids(?:\.1)?$/.exec(name)?.[1];
    if (!runId || keep.has(runId)) continue;
    const size = (await stat(join(dir, name)).catch(() => undefined))?.size ?? 0;
    sizes.set(runId, (sizes.get(runId) ?? 0) + size);
  }
  let left = [...sizes.values()].reduce((a, b) => a + b, 0);
  const runIds: string[] = [];
  let bytes = 0;
  for (const runId of [...sizes.keys()].sort()) {
    if (left <= budget) break;
    const path = join(dir, `${runId}.ids`);
    await rm(olderSegment(path), { force: true });
    await rm(path, { force: true });
    left -= sizes.get(runId)!;
    bytes += sizes.get(runId)!;
    runIds.push(runId);
  }
  return { runIds, bytes };
}
