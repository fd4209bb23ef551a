import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { electronBinary } from './electron-binary.js';

/** `npm start`: build, then Electron where it can run; otherwise the web host, in one line's notice. */
const root = join(import.meta.dirname, '..', '..');

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => child.kill(sig));
  });
}

async function main(): Promise<number> {
  const built = await run(process.execPath, [
    join(root, 'node_modules/electron-vite/bin/electron-vite.js'),
    'build',
    '--config',
    'electron.config.ts',
    '--logLevel',
    'warn',
  ]);
  if (built !== 0) return built;
  const electron = electronBinary();
  if ('path' in electron) return run(electron.path, [root]);
  process.stdout.write(`Electron cannot start: ${electron.missing}. Starting the web host; open the URL below in Chromium.\n`);
  return run(process.execPath, ['--import', 'tsx', join(root, 'electron/web/serve.ts'), ...process.argv.slice(2)]);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`tributary: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
