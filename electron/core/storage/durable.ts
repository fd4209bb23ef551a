import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Mutex } from 'async-mutex';
import writeFileAtomic from 'write-file-atomic';

const mutexes = new Map<string, Mutex>();

/**
 * Runs `work` alone among the read-modify-writes of one file, whichever object holds that file: two concurrent saves
 * otherwise read the same old content and the later write drops the earlier change. Another process cannot interfere:
 * the data directory is locked to one host (data-dir-lock.ts). A throw releases the file for the next change.
 */
export function exclusive<T>(path: string, work: () => Promise<T>): Promise<T> {
  const key = resolve(path);
  let mutex = mutexes.get(key);
  if (!mutex) mutexes.set(key, (mutex = new Mutex()));
  return mutex.runExclusive(work);
}

/**
 * Writes a file atomically (temp file, fsync, rename), then fsyncs its directory: the rename is an entry in the
 * directory, and until the directory is on disk a power cut can bring back the old file, or none.
 */
export async function writeDurably(path: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, text, { mode, fsync: true });
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
