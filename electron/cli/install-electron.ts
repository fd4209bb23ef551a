import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * npm's postinstall for this repo. Electron's own install script is not allowed
 * to run (package.json `allowScripts`), because where its binary host cannot be
 * reached it fails the whole `npm install`. Here the same download is tried,
 * bounded in time, and a failure is one line: `npm start` then uses the web host.
 */
const require = createRequire(import.meta.url);
const script = require.resolve('electron/install.js');
const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 5 * 60_000 });
if (result.status === 0) {
  process.stdout.write('Electron binary: ready.\n');
} else {
  const reason =
    `${result.stderr ?? ''}${result.error?.message ?? ''}`
      .split('\n')
      .find((line) => /error/i.test(line))
      ?.trim() ?? 'download failed';
  process.stdout.write(
    `Electron binary not downloaded (${reason.slice(0, 160)}); \`npm start\` will serve the app to your browser instead.\n`,
  );
}
