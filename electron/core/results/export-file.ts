import { constants } from 'node:fs';
import { access, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { AppError, isAppError } from '../../../shared/errors.js';

export type ExportFormat = 'csv' | 'jsonl' | 'parquet';

/** Where an export's bytes go: each write waits for the file, which is the backpressure. */
export interface ExportSink {
  write(data: string | Uint8Array): Promise<void>;
  readonly bytes: number;
}

/**
 * Runs `body` against `<path>.partial` and renames it to `path` once it is
 * complete and synced, so a reader never sees half a file under the real name.
 * On cancel or failure the partial file is removed.
 */
export async function exportFile<T>(path: string, signal: AbortSignal, body: (sink: ExportSink) => Promise<T>): Promise<T> {
  await checkTarget(path);
  const partial = `${path}.partial`;
  let handle: FileHandle;
  try {
    handle = await open(partial, 'w', 0o644);
  } catch (error) {
    throw new AppError('STORAGE', `Cannot create ${partial}: ${(error as Error).message}`);
  }
  let bytes = 0;
  const sink: ExportSink = {
    get bytes() {
      return bytes;
    },
    async write(data) {
      if (signal.aborted) throw new AppError('CANCELLED', 'Export cancelled');
      const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let done = 0;
      while (done < buffer.byteLength) done += (await handle.write(buffer, done, buffer.byteLength - done)).bytesWritten;
      bytes += buffer.byteLength;
    },
  };
  try {
    const result = await body(sink);
    if (signal.aborted) throw new AppError('CANCELLED', 'Export cancelled');
    await handle.sync();
    await handle.close();
    await rename(partial, path);
    return result;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(partial, { force: true });
    if (signal.aborted) throw new AppError('CANCELLED', 'Export cancelled');
    if (isAppError(error)) throw error;
    throw new AppError('STORAGE', `Cannot write ${path}: ${(error as Error).message}`);
  }
}

/** Fails before any work with a message that says what is wrong with the path. */
async function checkTarget(path: string): Promise<void> {
  if (!isAbsolute(path)) throw new AppError('VALIDATION', `Export to an absolute path, not ${path}`);
  const folder = dirname(path);
  const folderStat = await stat(folder).catch(() => undefined);
  if (!folderStat) throw new AppError('VALIDATION', `The folder ${folder} does not exist`);
  if (!folderStat.isDirectory()) throw new AppError('VALIDATION', `${folder} is not a folder`);
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw new AppError('STORAGE', `Tributary may not write in ${folder}`);
  }
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory()) throw new AppError('VALIDATION', `${path} is a folder; give a file name`);
}
