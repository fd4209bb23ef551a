import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { HostKind } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';

/** Who holds a data directory: written beside the lock so a second host can say who. */
interface Holder {
  pid: number;
  host: HostKind;
  since: string;
}

/** How long a lock whose holder stopped refreshing it (a crash) blocks the next start. */
const STALE_MS = 10_000;

/**
 * One host per data directory: two (Electron and the web host default to the same folder) would each rewrite the
 * other's files from a stale copy. The lock is proper-lockfile's (an atomic mkdir, refreshed every few seconds, so a
 * crashed holder's lock goes stale by itself); `tributary.lock.json` says which process holds it, for the refusal.
 * A live holder is refused at once; a dead one's lock is taken over at once.
 */
export async function lockDataDir(dataDir: string, host: HostKind): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lockPath = join(dataDir, 'tributary.lock');
  const holderPath = `${lockPath}.json`;
  const options = {
    lockfilePath: lockPath,
    realpath: false,
    stale: STALE_MS,
    // Losing the lock (the machine slept past STALE_MS and another host took it) is not worth ending this one for.
    onCompromised: () => undefined,
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dataDir, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    const holder = await readHolder(holderPath);
    if (!holder || alive(holder.pid)) throw inUse(dataDir, holder);
    // The holder is gone (a crash a moment ago): its lock is taken over now, not once it has gone stale, so the
    // operator who starts the app again at once is not refused. Two hosts doing this at once: one wins the mkdir.
    await rm(lockPath, { recursive: true, force: true });
    release = await lockfile.lock(dataDir, options).catch(async () => Promise.reject(inUse(dataDir, await readHolder(holderPath))));
  }
  const holder: Holder = { pid: process.pid, host, since: new Date().toISOString() };
  await writeFile(holderPath, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
  return release;
}

function inUse(dataDir: string, holder: Holder | undefined): AppError {
  const who = holder ? `Tributary's ${holder.host} host (pid ${holder.pid}, since ${holder.since})` : 'another Tributary';
  return new AppError('CONFLICT', `${dataDir} is in use by ${who}. Close it, or start with another data directory.`);
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/** Signal 0 checks that a process exists; EPERM means it exists under another user. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
