import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore, type Core } from '../../electron/core/core.js';
import type { Cell } from '../../shared/contract/index.js';
import { MemorySecretStore } from '../../electron/core/secrets/secret-store.js';
import { checkoutDaemonCommand } from '../../sandbox/client/daemon-command.js';

export function tempDir(prefix = 'tributary-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A real core on a fresh data directory and workspace, with the memory secret store (no OS keyring in CI). */
export function testCore(dataDir = tempDir(), workspaceDir = tempDir('tributary-workspace-')): Promise<Core> {
  return createCore({
    host: 'web',
    version: '0.0.0-test',
    dataDir,
    workspaceDir,
    sandboxDaemon: checkoutDaemonCommand(),
    openSecretStore: () => Promise.resolve(new MemorySecretStore()),
  });
}

/** The workspace folder of a web-host core, where tests put the files they name. */
export function workspaceOf(core: Core): string {
  if (core.info.files.kind !== 'workspace') throw new Error('This core takes files from dialogs, not a workspace');
  return core.info.files.root;
}

/** Every row of a result, read the way the grid reads them (windows of 10,000). */
export async function allRows(core: Core, resultId: string): Promise<Cell[][]> {
  const signal = new AbortController().signal;
  const rows: Cell[][] = [];
  for (;;) {
    const window = await core.handlers['results.rows']({ resultId, offset: rows.length, limit: 10_000 }, { signal });
    rows.push(...window.rows);
    if (rows.length >= window.total) return rows;
  }
}
