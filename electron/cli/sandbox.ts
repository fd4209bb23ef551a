import { parseArgs } from 'node:util';
import type { SandboxProgress } from '../../shared/contract/index.js';
import { Logger } from '../../shared/node/log.js';
import { checkoutDaemonCommand } from '../../sandbox/client/daemon-command.js';
import { SandboxManager } from '../../sandbox/client/manager.js';
import { webDataDir } from '../web/web-core.js';

/**
 * `npm run sandbox -- up | down | status [--json] | reset [--yes]`: the local
 * sandbox from a shell, sharing the web host's data directory (or --data-dir).
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, yes: { type: 'boolean', default: false }, 'data-dir': { type: 'string' } },
  });
  const dataDir = webDataDir(values['data-dir']);
  const manager = new SandboxManager(dataDir, checkoutDaemonCommand(), new Logger(undefined));
  switch (positionals[0]) {
    case 'up': {
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      for await (const progress of manager.start(controller.signal, true)) print(progress);
      const status = await manager.status();
      process.stdout.write(`Sandbox running. AWS endpoint: ${status.endpoint}\n`);
      return 0;
    }
    case 'down':
      await manager.stop();
      process.stdout.write('Sandbox stopped.\n');
      return 0;
    case 'status': {
      const status = await manager.status();
      if (values.json) {
        const services = Object.fromEntries(
          status.services.map((s) => [s.id, { ok: s.state === 'running', name: s.name, port: s.port, version: s.version }]),
        );
        process.stdout.write(
          `${JSON.stringify({ ok: status.state === 'running', state: status.state, endpoint: status.endpoint ?? null, setUp: status.setUp, services })}\n`,
        );
      } else {
        process.stdout.write(`Sandbox: ${status.state}${status.endpoint ? ` at ${status.endpoint}` : ''}\n`);
        for (const s of status.services)
          process.stdout.write(`  ${s.state === 'running' ? 'ok  ' : 'DOWN'} ${s.name} (127.0.0.1:${s.port}, ${s.version})\n`);
      }
      return status.state === 'running' || status.state === 'stopped' ? 0 : 1;
    }
    case 'reset':
      if (!values.yes) {
        process.stderr.write('This deletes the sandbox’s buckets, streams, databases and clusters. Run again with --yes to confirm.\n');
        return 2;
      }
      await manager.reset();
      process.stdout.write('Sandbox data deleted; downloads were kept.\n');
      return 0;
    default:
      process.stderr.write('Usage: npm run sandbox -- up | down | status [--json] | reset --yes   [--data-dir DIR]\n');
      return 2;
  }
}

function print(progress: SandboxProgress): void {
  if (progress.kind === 'step') {
    const bytes = progress.bytesTotal
      ? ` ${((progress.bytesDone ?? 0) / 2 ** 20).toFixed(0)}/${(progress.bytesTotal / 2 ** 20).toFixed(0)} MiB`
      : '';
    if (progress.state !== 'running' || !progress.bytesTotal || (progress.bytesDone ?? 0) === progress.bytesTotal) {
      process.stdout.write(`[${progress.state}] ${progress.label}${progress.message ? `: ${progress.message}` : ''}${bytes}\n`);
    }
  } else if (progress.kind === 'service') {
    process.stdout.write(`[${progress.state}] ${progress.name}${progress.port ? ` on 127.0.0.1:${progress.port}` : ''}\n`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
