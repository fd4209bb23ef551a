import { copyFile, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { exclusive, writeDurably } from './durable.js';

export interface LoadProblem {
  file: string;
  backup: string;
  reason: string;
}

/**
 * One JSON document in the data directory, validated by a schema.
 * Writes are atomic (temp file, fsync, rename, directory fsync) and serialized; a failed
 * write fails only itself, the next one is tried afresh. A file that
 * cannot be read is copied aside before anything replaces it, and the caller
 * is told, so a hand edit gone wrong is never silently lost.
 */
export class JsonFile<T> {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T, unknown>,
    private readonly fallback: () => T,
    private readonly onProblem: (problem: LoadProblem) => void,
  ) {}

  async load(): Promise<T> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.fallback();
      throw new AppError('STORAGE', `Cannot read ${basename(this.path)}: ${(error as Error).message}`);
    }
    const reason = this.check(text);
    if (reason.ok) return reason.value;
    const backup = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(this.path, backup);
    this.onProblem({ file: this.path, backup, reason: reason.message });
    return this.fallback();
  }

  save(value: T): Promise<void> {
    const text = `${JSON.stringify(value, null, 2)}\n`;
    const run = this.queue.then(() => writeDurably(this.path, text, 0o600));
    this.queue = run.catch(() => undefined);
    return run.catch((error: unknown) => {
      throw new AppError('STORAGE', `Cannot save ${basename(this.path)}: ${(error as Error).message}`);
    });
  }

  private check(text: string): { ok: true; value: T } | { ok: false; message: string } {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      return { ok: false, message: `not valid JSON (${(error as Error).message})` };
    }
    const result = this.schema.safeParse(data);
    if (result.success) return { ok: true, value: result.data };
    const issue = result.error.issues[0];
    const where = issue && issue.path.length ? `${issue.path.map(String).join('.')}: ` : '';
    return { ok: false, message: `${where}${issue?.message ?? 'does not match the expected shape'}` };
  }
}

/**
 * A JsonFile read once and then kept in memory, as every settings-like
 * document is used: `current()` is what was last loaded or saved, and every
 * change is an `update`, a read-modify-write under the file's mutex, so
 * concurrent changes all land. A value becomes current only once it is saved,
 * so a failed save leaves the old value in force.
 */
export class JsonDocument<T> {
  private readonly file: JsonFile<T>;
  private value: Promise<T>;

  constructor(...args: ConstructorParameters<typeof JsonFile<T>>) {
    this.file = new JsonFile(...args);
    this.value = this.file.load();
  }

  current(): Promise<T> {
    return this.value;
  }

  /** Saves `change(current)` and makes it current; `change` may throw to refuse, and nothing is written. */
  update(change: (current: T) => T | Promise<T>): Promise<T> {
    return exclusive(this.file.path, async () => {
      // A load that failed (the file unreadable for a moment) is tried again, not kept as the answer for good.
      const current = await this.value.catch(() => (this.value = this.file.load()));
      const next = await change(current);
      await this.file.save(next);
      this.value = Promise.resolve(next);
      return next;
    });
  }
}
