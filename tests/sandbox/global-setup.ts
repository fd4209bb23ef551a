import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { Logger } from '../../shared/node/log.js';
import { SandboxManager } from '../../sandbox/client/manager.js';
import { readRunFile, type RunFile } from '../../sandbox/client/run-file.js';
import { checkoutDaemonCommand } from '../../sandbox/client/daemon-command.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sandbox: { dataDir: string; run: RunFile };
  }
}

/**
 * Brings the real sandbox up once for the whole run, in a fresh data directory
 * (downloads come from the shared cache), and stops it at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-sandbox-test-'));
  const manager = new SandboxManager(
    dataDir,
    { ...checkoutDaemonCommand(), env: { TRIBUTARY_SANDBOX_PACE: '0.3' } },
    new Logger(undefined),
  );
  const started = Date.now();
  for await (const progress of manager.start(new AbortController().signal)) {
    if (progress.kind !== 'step' || progress.state !== 'running' || !progress.bytesTotal) {
      process.stdout.write(`sandbox: ${JSON.stringify(progress).slice(0, 200)}\n`);
    }
  }
  process.stdout.write(`sandbox: up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const run = readRunFile(manager.paths.runFile);
  if (!run) throw new Error('sandbox started but wrote no run file');
  project.provide('sandbox', { dataDir, run });
  return async () => {
    // Stopped and deleted, PostgreSQL's directory outside the data directory included, so test runs leave nothing behind.
    await manager.reset();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
