import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { HistoryEntry } from '../../../shared/contract/index.js';
import type { NoticeBoard } from '../storage/notices.js';
import { JsonFile } from '../storage/json-file.js';
import { maskValues, secretValues } from '../../../shared/node/redact.js';

const MAX_ENTRIES = 5000;
/** A pasted dump is remembered by its start, not kept whole in every save of the file. */
const MAX_SQL_CHARS = 20_000;
/** The file is rewritten after every statement, so its size is what each run costs in writes. */
export const MAX_HISTORY_BYTES = 4 * 1024 * 1024;

const entrySchema = z.object({
  id: z.string(),
  connectionId: z.string(),
  connectionName: z.string(),
  sql: z.string(),
  startedAt: z.string(),
  durationMs: z.number(),
  rows: z.number().optional(),
  rowsAffected: z.number().optional(),
  error: z.string().optional(),
});
const fileSchema = z.object({ entries: z.array(entrySchema).default([]) });

/**
 * Every run, newest first, per connection, kept across restarts (atomically written, bounded by count and bytes).
 * Only redacted text is kept: a statement's secrets (`PASSWORD '…'`, `CREDENTIALS '…'`) are masked before the entry
 * exists, so neither the file, nor a search, nor the renderer ever sees them.
 */
export class QueryHistory {
  private readonly file: JsonFile<z.infer<typeof fileSchema>>;
  private entries: Promise<HistoryEntry[]>;
  /** Every change (add, clear) runs after the one before, so none works on a list another is replacing. */
  private changes: Promise<void> = Promise.resolve();
  private toldFull = false;

  constructor(
    dataDir: string,
    private readonly notices: NoticeBoard,
    private readonly redact: (text: string) => string,
    private readonly maxBytes = MAX_HISTORY_BYTES,
  ) {
    this.file = new JsonFile(
      join(dataDir, 'query-history.json'),
      fileSchema,
      () => ({ entries: [] }),
      (p) => notices.fileProblem(p),
    );
    const loaded = this.file.load().then((f) => f.entries);
    this.entries = loaded.then((entries) => this.bounded(entries.map((e) => this.redacted(e))));
    // A file written before redaction existed is rewritten masked at once, not at the next run.
    this.changes = Promise.all([loaded, this.entries])
      .then(async ([before, after]) => {
        if (JSON.stringify(before) !== JSON.stringify(after)) await this.file.save({ entries: after });
      })
      .catch(() => undefined);
  }

  add(entry: Omit<HistoryEntry, 'id'>): Promise<void> {
    const redacted = this.redacted(entry);
    const sql =
      redacted.sql.length > MAX_SQL_CHARS
        ? `${redacted.sql.slice(0, MAX_SQL_CHARS)}\n-- … (${redacted.sql.length} characters in all)`
        : redacted.sql;
    return this.change((entries) => [{ ...redacted, sql, id: randomBytes(6).toString('hex') }, ...entries]);
  }

  clear(): Promise<void> {
    return this.change(() => []);
  }

  async list(filter: { connectionId?: string; search?: string; limit: number }): Promise<HistoryEntry[]> {
    const needle = filter.search?.toLowerCase();
    return (await this.entries)
      .filter(
        (e) =>
          (!filter.connectionId || e.connectionId === filter.connectionId) &&
          (!needle || e.sql.toLowerCase().includes(needle) || e.connectionName.toLowerCase().includes(needle)),
      )
      .slice(0, filter.limit);
  }

  /**
   * The list in memory changes even when the save fails (a full disk), and the next change saves it whole, so one
   * failed write loses nothing and blocks nothing after it.
   */
  private change(edit: (entries: HistoryEntry[]) => HistoryEntry[]): Promise<void> {
    const run = this.changes.then(async () => {
      const next = this.bounded(edit(await this.entries));
      this.entries = Promise.resolve(next);
      await this.file.save({ entries: next });
    });
    this.changes = run.catch(() => undefined);
    return run;
  }

  private redacted<T extends { sql: string; error?: string }>(entry: T): T {
    // An error may quote a secret of the statement without its name (`syntax error at or near "'…'"`).
    const error = entry.error === undefined ? {} : { error: this.redact(maskValues(entry.error, secretValues(entry.sql))) };
    return { ...entry, sql: this.redact(entry.sql), ...error };
  }

  /** The newest entries that fit the count and the bytes; the first time older ones go, the operator is told. */
  private bounded(entries: HistoryEntry[]): HistoryEntry[] {
    let bytes = 0;
    let kept = 0;
    while (kept < entries.length && kept < MAX_ENTRIES) {
      bytes += savedBytes(entries[kept]!);
      if (bytes > this.maxBytes) break;
      kept++;
    }
    if (kept < entries.length && !this.toldFull) {
      this.toldFull = true;
      this.notices.add(
        'info',
        'Query history is full',
        `Query history keeps the newest ${MAX_ENTRIES} runs within ${Math.round(this.maxBytes / 1024)} KiB; older runs are dropped as new ones are added.`,
      );
    }
    return kept === entries.length ? entries : entries.slice(0, kept);
  }
}

const sizes = new WeakMap<HistoryEntry, number>();

/** An entry's share of the file as JsonFile writes it (indented by 2 at depth 2: 8 more bytes per field than compact). */
function savedBytes(entry: HistoryEntry): number {
  let size = sizes.get(entry);
  if (size === undefined) {
    size = Buffer.byteLength(JSON.stringify(entry)) + 8 * Object.keys(entry).length + 12;
    sizes.set(entry, size);
  }
  return size;
}
