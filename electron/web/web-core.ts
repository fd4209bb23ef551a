import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { daemonCommand } from '../../sandbox/client/daemon-command.js';
import { KeyringStore } from '../core/secrets/keyring-store.js';
import { MemorySecretStore } from '../core/secrets/secret-store.js';
import type { LoadProblem } from '../core/storage/json-file.js';
import { nodeCoreLauncher } from '../supervisor/node-child.js';
import { CoreSupervisor } from '../supervisor/supervisor.js';

/** The project root, two levels above this file in the source tree. */
export const projectRoot = join(import.meta.dirname, '..', '..');

/** The web host's data directory: --data-dir, else the XDG config directory. */
export function webDataDir(flag: string | undefined): string {
  if (flag) return flag;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'tributary');
}

/** The operator's files folder: --workspace, else ~/Tributary. */
export function workspaceDir(flag: string | undefined): string {
  return flag ?? join(homedir(), 'Tributary');
}

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The core as the web host runs it: in a supervised child process, restarted when it dies. The secret
 * store (the OS keyring when one answers, else memory) stays in the host, so memory-only secrets outlive
 * a core that crashed.
 */
export async function startWebCore(dataDir: string, workspace: string, echoLog: boolean): Promise<CoreSupervisor> {
  const problems: LoadProblem[] = [];
  const secrets = (await KeyringStore.open(dataDir, (problem) => problems.push(problem))) ?? new MemorySecretStore();
  const mainDir = join(projectRoot, 'out', 'main');
  const supervisor = new CoreSupervisor({
    secrets,
    launch: nodeCoreLauncher(mainDir, {
      host: 'web',
      version: appVersion(),
      dataDir,
      workspaceDir: workspace,
      echoLog,
      // `npm run serve` builds first: the daemon runs from its built entry.
      sandboxDaemon: daemonCommand(mainDir),
      secrets: { backend: secrets.backend, persistent: secrets.persistent },
      // A browser tab cannot show the host's dialogs: paths are typed, and confined to the workspace.
      fileDialog: false,
      hostProblems: problems,
    }),
  });
  await supervisor.start();
  return supervisor;
}
