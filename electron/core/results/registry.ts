import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { ColumnMeta, ExportProgress } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import { follow } from '../events.js';
import type { FileAccess } from '../storage/file-access.js';
import type { ExportFormat } from './export-file.js';
import { ResultSet } from './result-set.js';

/** Progress chunks at most this often: enough for a smooth bar, few enough not to crowd the stream. */
const PROGRESS_EVERY_MS = 200;

/**
 * Empties the spill directory at start: a crash skips `dispose`, and no result outlives the process that made it,
 * so whatever is there is a leftover (possibly query results on disk). Safe because the host holds the data directory's lock.
 */
export async function sweepSpills(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface ResultRegistryOptions {
  /** Spill directory shared by the results, each under its own file names; removed on dispose. */
  dir: string;
  /** Newest results kept; creating one more disposes the oldest. */
  keep?: number;
  /** Per-result memory bound before spilling (see ResultSet). */
  memoryBytes?: number;
  /** Where exports may be written. */
  files: FileAccess;
}

/** The results of this process's queries, newest last, found by id from the UI. */
export class ResultRegistry {
  private readonly results = new Map<string, ResultSet>();
  private readonly keep: number;

  constructor(private readonly options: ResultRegistryOptions) {
    this.keep = options.keep ?? 20;
  }

  create(columns: ColumnMeta[]): ResultSet {
    const id = `r${randomBytes(8).toString('hex')}`;
    const set = new ResultSet({
      id,
      columns,
      dir: this.options.dir,
      ...(this.options.memoryBytes ? { memoryBytes: this.options.memoryBytes } : {}),
    });
    this.results.set(id, set);
    for (const [oldId, old] of this.results) {
      if (this.results.size <= this.keep) break;
      this.results.delete(oldId);
      // Nobody awaits an eviction; a spill file that will not delete is harmless and goes with the directory on quit.
      void old.dispose().catch(() => undefined);
    }
    return set;
  }

  get(id: string): ResultSet {
    const set = this.results.get(id);
    if (!set) throw new AppError('NOT_FOUND', `That result is gone (${id} was released or replaced by newer results); run the query again`);
    return set;
  }

  async release(id: string): Promise<void> {
    const set = this.results.get(id);
    this.results.delete(id);
    await set?.dispose();
  }

  async dispose(): Promise<void> {
    const all = [...this.results.values()];
    this.results.clear();
    await Promise.allSettled(all.map((set) => set.dispose()));
    await rm(this.options.dir, { recursive: true, force: true });
  }

  handlers(): HandlerGroup {
    return {
      'results.rows': async ({ resultId, offset, limit, view }) => {
        const set = this.get(resultId);
        const rows = await set.rows(offset, limit, view);
        const total = view === undefined ? set.total : set.viewTotal(view);
        return { offset, rows, total, complete: set.complete };
      },
      'results.view': ({ resultId, sort, filter }) => this.get(resultId).view(sort, filter),
      'results.export': ({ resultId, format, path, overwrite }, { signal }) => this.export(resultId, format, path, overwrite, signal),
      'results.release': async ({ resultId }) => {
        await this.release(resultId);
        return null;
      },
    };
  }

  /** Streams throttled progress, then one `done`; cancelling the stream cancels the export and removes its partial file. */
  private async *export(
    resultId: string,
    format: ExportFormat,
    path: string | undefined,
    overwrite: boolean,
    signal: AbortSignal,
  ): AsyncGenerator<ExportProgress> {
    const set = this.get(resultId);
    const target = await this.options.files.forWrite(path ?? `tributary-${set.id}.${format}`, overwrite);
    let failure: unknown;
    yield* follow<ExportProgress>((push, end) => {
      let last = 0;
      set
        .exportTo(format, target, signal, (rows, bytes) => {
          const now = Date.now();
          if (now - last < PROGRESS_EVERY_MS) return;
          last = now;
          push({ kind: 'progress', path: target, rows, total: set.total, bytes });
        })
        .then(
          (done) => push({ kind: 'done', path: target, rows: done.rows, total: done.rows, bytes: done.bytes }),
          (error: unknown) => (failure = error),
        )
        .finally(end);
      return () => undefined;
    }, signal);
    if (failure) throw failure;
  }
}
