import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { daemonCommand } from '../../sandbox/client/daemon-command.js';
import { createCore, type Core } from '../core/core.js';
import { KeyringStore } from '../core/secrets/keyring-store.js';
import { MemorySecretStore } from '../core/secrets/secret-store.js';

/** The project root, two levels above this file in the source tree. */
export const projectRoot = join(import.meta.dirname, '..', '..');

/** The web host's data directory: --data-dir, else the XDG config directory. */
export function webDataDir(flag: string | undefined): string {
  if (flag) return flag;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'tributary');
}

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** The operator's files folder: --workspace, else ~/Tributary. */
export function workspaceDir(flag: string | undefined): string {
  return flag ?? join(homedir(), 'Tributary');
}

/** The core as the web host runs it: OS keyring when one answers, else memory only. */
export function createWebCore(dataDir: string, workspace: string, echoLog: boolean): Promise<Core> {
  return createCore({
    host: 'web',
    version: appVersion(),
    dataDir,
    workspaceDir: workspace,
    echoLog,
    // `npm run serve` builds first: the daemon runs from its built entry.
    sandboxDaemon: daemonCommand(join(projectRoot, 'out', 'main')),
    openSecretStore: async (onProblem) => (await KeyringStore.open(dataDir, onProblem)) ?? new MemorySecretStore(),
  });
}
