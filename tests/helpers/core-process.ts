import { readdirSync, readFileSync } from 'node:fs';

/** The core processes a host process started (electron/supervisor/), as the kernel lists its children: to end one the hard way. */
export function corePids(hostPid: number): number[] {
  return readdirSync(`/proc/${hostPid}/task`)
    .flatMap((tid) => readFileSync(`/proc/${hostPid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('core-process');
      } catch {
        return false;
      }
    });
}
