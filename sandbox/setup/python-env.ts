import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { SetupStep } from './step.js';

/**
 * What the sandbox runs in Python. Pinned: the AWS emulator's behaviour and the
 * Spark line (3.5, as EMR 7 ships) must not move under the tests.
 */
export const pythonRequirements = ['moto[server]==5.2.5', 'pyspark==3.5.9'];

export function venvPython(venv: string): string {
  return join(venv, 'bin', 'python');
}

/** A virtualenv with the pinned packages; a marker records which pins it holds, so a half-done install resumes. */
export function pythonEnvStep(venv: string, python: string, pipCache: string): SetupStep {
  const marker = join(venv, '.tributary-requirements');
  const wanted = pythonRequirements.join('\n');
  return {
    id: 'python',
    label: `Python environment (${pythonRequirements.join(', ')})`,
    done: () => Promise.resolve(existsSync(marker) && readFileSync(marker, 'utf8') === wanted),
    async run(progress, signal) {
      if (!existsSync(venvPython(venv))) {
        rmSync(venv, { recursive: true, force: true });
        progress({ message: 'Creating the virtual environment' });
        await runLogged(python, ['-m', 'venv', venv], signal, () => undefined, 'python -m venv');
      }
      progress({ message: 'Installing packages (pyspark is about 320 MB the first time)' });
      await runLogged(
        venvPython(venv),
        ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '--cache-dir', pipCache, ...pythonRequirements],
        signal,
        (line) => {
          const downloading = /^\s*(Downloading|Collecting|Installing collected packages|Successfully installed)\b.*/.exec(line);
          if (downloading) progress({ message: line.trim().slice(0, 160) });
        },
        'pip install',
      );
      writeFileSync(marker, wanted);
    },
  };
}

function runLogged(command: string, args: string[], signal: AbortSignal, onLine: (line: string) => void, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) onLine(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const onAbort = () => child.kill('SIGTERM');
    signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => reject(new AppError('UNAVAILABLE', `${what} could not start: ${error.message}`)));
    child.once('exit', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return reject(new AppError('CANCELLED', `${what} was cancelled; the next start resumes it`));
      if (code === 0) return resolve();
      const hint = /No matching distribution|Could not find a version|ConnectionError|Failed to establish/.test(tail)
        ? ' PyPI could not be reached or refused the download; check the network or a proxy (PIP_INDEX_URL), then start again.'
        : /No space left/.test(tail)
          ? ' The disk is full; free some space and start again.'
          : '';
      reject(new AppError('UNAVAILABLE', `${what} failed (exit ${code}).${hint}\n${tail.split('\n').slice(-8).join('\n')}`));
    });
  });
}
