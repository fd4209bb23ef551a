import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Core } from '../electron/core/core.js';
import { Logger } from '../shared/node/log.js';
import { SandboxManager } from '../sandbox/client/manager.js';
import { readRunFile, type RunFile } from '../sandbox/client/run-file.js';
import { checkoutDaemonCommand } from '../sandbox/client/daemon-command.js';
import { tempDir, testCore } from '../tests/helpers/core.js';
import { stringArg } from './args.js';

export interface BenchSandbox {
  dataDir: string;
  run: RunFile;
  /** The app's core, on a data directory of its own that shares the sandbox's. */
  core: Core;
  appDir: string;
  /** Closes the core, and stops the sandbox if the bench started it. */
  stop: () => Promise<void>;
}

/** The sandbox a bench runs against: the one already running in `--data-dir DIR`, or a fresh one in a temporary directory. */
export async function benchSandbox(args: string[], name: string): Promise<BenchSandbox> {
  const given = stringArg(args, '--data-dir');
  let manager: SandboxManager | undefined;
  let dataDir: string;
  if (given) {
    dataDir = given;
  } else {
    dataDir = tempDir(`tributary-bench-${name}-`);
    manager = new SandboxManager(dataDir, { ...checkoutDaemonCommand(), env: { TRIBUTARY_SANDBOX_PACE: '0.3' } }, new Logger(undefined));
    const started = Date.now();
    for await (const progress of manager.start(new AbortController().signal)) {
      if (progress.kind === 'service' && progress.state !== 'starting') console.log(`sandbox: ${progress.name}: ${progress.state}`);
    }
    console.log(`sandbox: up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const run = readRunFile(join(dataDir, 'sandbox', 'run.json'));
  if (!run) throw new Error(`No sandbox running in ${dataDir} (npm run sandbox -- up, or leave out --data-dir)`);
  const appDir = tempDir(`tributary-bench-${name}-app-`);
  symlinkSync(join(dataDir, 'sandbox'), join(appDir, 'sandbox'));
  const core = await testCore(appDir);
  const stop = async () => {
    await core.dispose();
    await manager?.stop();
  };
  return { dataDir, run, core, appDir, stop };
}
