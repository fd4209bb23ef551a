import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { startProcess, type RunningProcess } from '../../shared/node/process.js';
import { venvPython } from '../setup/python-env.js';

export interface MotoOptions {
  venv: string;
  port: number;
  stateDir: string;
  logDir: string;
  detached: boolean;
}

/**
 * Our launcher: in sandbox/python/ beside the sources, or in python/ beside the daemon's built entry
 * (out/main/, where electron.config.ts copies it), whether this module is in the entry or one of its chunks.
 */
function launcher(): string {
  const candidates = [join(import.meta.dirname, '..', 'python'), join(import.meta.dirname, 'python')].map((dir) =>
    join(dir, 'moto_server.py'),
  );
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new AppError('UNAVAILABLE', `The sandbox's moto launcher is missing (looked for ${candidates.join(', ')}).`);
  return found;
}

/**
 * The AWS API emulator (moto): STS, IAM, EC2, KMS, Kinesis, S3, EMR and
 * Redshift control planes on one port, its state kept on disk by our launcher.
 */
export function startMoto(options: MotoOptions, signal: AbortSignal): Promise<RunningProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  return startProcess(
    {
      name: 'AWS emulator (moto)',
      command: venvPython(options.venv),
      args: [launcher(), '--port', String(options.port), '--state', join(options.stateDir, 'moto-state.pickle')],
      // Managed policies let the EMR and Redshift roles attach AWS's own policies, as in a real account.
      env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', PYTHONUNBUFFERED: '1' },
      logFile: join(options.logDir, 'moto.log'),
      ready: async () => (await fetch(`${url}/moto-api/`).catch(() => undefined))?.ok === true,
      readyTimeoutMs: 90_000,
      detached: options.detached,
    },
    signal,
  );
}
