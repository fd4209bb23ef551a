import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** How a host runs the sandbox daemon. */
export interface DaemonCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** The daemon's built entry: electron-vite builds sandbox/daemon.ts next to the app's main bundle (electron.config.ts). */
export const DAEMON_ENTRY = 'sandbox-daemon.js';

/**
 * The daemon as a host runs it, from the built entry in `mainDir` (out/main): Electron runs it with
 * its own binary as plain Node (ELECTRON_RUN_AS_NODE), the web host and the CLI with their Node.
 */
export function daemonCommand(mainDir: string, runtime: 'electron' | 'node' = 'node'): DaemonCommand {
  const args = [join(mainDir, DAEMON_ENTRY)];
  return runtime === 'electron'
    ? { command: process.execPath, args, env: { ELECTRON_RUN_AS_NODE: '1' } }
    : { command: process.execPath, args };
}

/**
 * For what runs from a checkout's source (tests, benchmarks, `npm run sandbox`): the built entry in
 * out/main, and ONLY when it has not been built, the daemon's source through tsx, so a fresh
 * checkout works without a build (`npm test` builds first, so tests run the built entry).
 */
export function checkoutDaemonCommand(): DaemonCommand {
  const root = join(import.meta.dirname, '..', '..');
  const mainDir = join(root, 'out', 'main');
  if (existsSync(join(mainDir, DAEMON_ENTRY))) return daemonCommand(mainDir);
  return { command: process.execPath, args: ['--import', 'tsx', join(root, 'sandbox', 'daemon.ts')] };
}
