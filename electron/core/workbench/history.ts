import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { HistoryEntry } from '../../../shared/contract/index.js';
import type { NoticeBoard } from '../storage/notices.js';
import { JsonFile } from '../storage/json-file.js';

const MAX_ENTRIES = 5000;
/** A pasted dump is remembered by its start, not kept whole in every save of the file. */
const MAX_SQL_CHARS = 20_000;

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

/** Every run, newest first, per connection, kept across restarts (atomically written, bounded). */
export class QueryHistory {
  private readonly file: JsonFile<z.infer<typeof fileSchema>>;
  private entries: Promise<HistoryEntry[]>;
  private writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string, notices: NoticeBoard) {
    this.file = new JsonFile(
      join(dataDir, 'query-history.json'),
      fileSchema,
      () => ({ entries: [] }),
      (p) => notices.fileProblem(p),
    );
    this.entries = this.file.load().then((f) => f.entries);
  }

  async add(entry: Omit<HistoryEntry, 'id'>): Promise<void> {
    const sql =
      entry.sql.length > MAX_SQL_CHARS ? `${entry.sql.slice(0, MAX_SQL_CHARS)}\n-- … (${entry.sql.length} characters in all)` : entry.sql;
    const next = [{ ...entry, sql, id: randomBytes(6).toString('hex') }, ...(await this.entries)].slice(0, MAX_ENTRIES);
    this.entries = Promise.resolve(next);
    // Saves are serialised so a burst of runs cannot write an older list last.
    this.writing = this.writing.then(() => this.file.save({ entries: next }));
    await this.writing;
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
}
