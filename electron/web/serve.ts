import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { lockDataDir } from '../core/storage/data-dir-lock.js';
import { guardProcess } from './process-guard.js';
import { startWebHost } from './server.js';
import { projectRoot, startWebCore, webDataDir, workspaceDir } from './web-core.js';

/** `npm run serve`: the web host in plain Node. Prints one line with the URL to open. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'data-dir': { type: 'string' },
      workspace: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, not ${values.port}`);
  const dataDir = webDataDir(values['data-dir']);
  // Electron may use the same folder: the second to start says who holds it and exits.
  const release = await lockDataDir(dataDir, 'web');
  const rendererDir = join(projectRoot, 'out', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('The renderer is not built; run `npm run build` first.');
  const core = await startWebCore(dataDir, workspaceDir(values.workspace), !values.quiet);
  // From here on the host holds the operator's state; before, failing to start is the right answer.
  guardProcess(core.log);
  const host = await startWebHost({ core, rendererDir, port });
  process.stdout.write(`Tributary web host: ${host.url}\n`);
  const stop = () => {
    void host
      .close()
      .then(() => core.dispose())
      .then(() => core.log.flush())
      .then(release)
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`tributary: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
