import { join } from 'node:path';
import { CORE_ENTRY, CORE_OPTIONS_ENV, type CoreProcessOptions, type FromCore, type ToCore } from '../supervisor/messages.js';
import type { CoreChild } from '../supervisor/supervisor.js';

/** What this file uses of Electron's UtilityProcess, so a stand-in can take its place where Electron cannot run. */
export interface UtilityProcessLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export type UtilityFork = (
  modulePath: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; serviceName: string },
) => UtilityProcessLike;

/** Electron's core process: a utility process (Chromium's service model) on its parent port, running the built entry. */
export function utilityCoreLauncher(fork: UtilityFork, mainDir: string, options: CoreProcessOptions): () => CoreChild {
  return () => {
    const child = fork(join(mainDir, CORE_ENTRY), [], {
      env: { ...process.env, [CORE_OPTIONS_ENV]: JSON.stringify(options) },
      serviceName: 'Tributary core',
    });
    // A fatal error in the utility process (V8 out of memory) is emitted before its exit; unheard, it would throw
    // in the main process. The exit that follows is what the supervisor acts on.
    child.on('error', () => undefined);
    let alive = true;
    return {
      post: (message: ToCore) => {
        if (alive) child.postMessage(message);
      },
      onMessage: (listener) => child.on('message', (message) => listener(message as FromCore)),
      onExit: (listener) =>
        child.once('exit', (code) => {
          alive = false;
          // Electron reports a crash as a code only; a signal is not given.
          listener(code, null);
        }),
      kill: () => void child.kill(),
    };
  };
}
