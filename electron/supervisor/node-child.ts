import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_ENTRY, CORE_OPTIONS_ENV, type CoreProcessOptions, type FromCore, type ToCore } from './messages.js';
import type { CoreChild } from './supervisor.js';

/**
 * The web host's core process: a Node child on an IPC channel. Its built entry sits in out/main (the host
 * builds first); a checkout that is not built runs the source through tsx, as the sandbox daemon does.
 */
export function nodeCoreLauncher(mainDir: string, options: CoreProcessOptions): () => CoreChild {
  const built = join(mainDir, CORE_ENTRY);
  const [entry, execArgv] = existsSync(built) ? [built, []] : [join(import.meta.dirname, 'core-process.ts'), ['--import', 'tsx']];
  return () => {
    const child = fork(entry, [], {
      execArgv,
      env: { ...process.env, [CORE_OPTIONS_ENV]: JSON.stringify(options) },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // A write to a core that just died fails; its exit is what the supervisor acts on.
    child.on('error', () => undefined);
    return {
      post: (message: ToCore) => {
        if (child.connected) child.send(message, (error) => void error);
      },
      onMessage: (listener) => child.on('message', (message) => listener(message as FromCore)),
      onExit: (listener) => child.once('exit', (code, signal) => listener(code, signal)),
      kill: () => child.kill('SIGKILL'),
    };
  };
}
