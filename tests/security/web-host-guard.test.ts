import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/web-host-process.js';

/** A process that installs the web host's guard, then throws from a timer and leaves a rejection unhandled. */
const script = `
import { guardProcess } from ${JSON.stringify(join(projectRoot, 'electron/web/process-guard.ts'))};
import { Logger } from ${JSON.stringify(join(projectRoot, 'shared/node/log.ts'))};
guardProcess(new Logger(undefined, true));
setTimeout(() => { throw new Error('boom password=hunter2'); });
setTimeout(() => void Promise.reject(new Error('lost token=abc123')));
setTimeout(() => process.stdout.write('still serving'));
`;

describe('the web host process guard', () => {
  it('logs an uncaught exception and an unhandled rejection through the app log, redacted, and keeps running', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: projectRoot,
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('still serving');
    expect(run.stderr).toMatch(/ERROR \[web\] Uncaught exception; the web host keeps serving: Error: boom password=\[redacted\]/);
    expect(run.stderr).toMatch(/ERROR \[web\] Unhandled promise rejection; the web host keeps serving: Error: lost token=\[redacted\]/);
    expect(run.stderr).not.toMatch(/hunter2|abc123/);
  });
});
