import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { startProcess, type RunningProcess } from '../../shared/node/process.js';
import { venvPython } from '../setup/python-env.js';
import type { BuildHandlerOptions, BuildMiddleware, MetadataBearer } from '@smithy/types';

/** The header that carries the run's upstream token to the emulator, which answers nothing without it (moto_server.py). */
export const MOTO_TOKEN_HEADER = 'x-tributary-upstream';

/** Where the daemon keeps the upstream token, in the sandbox's state folder (mode 0600). */
export function motoTokenPath(stateDir: string): string {
  return join(stateDir, 'moto-token');
}

export interface MotoOptions {
  venv: string;
  /** The run's upstream token: the gateway and the sandbox's own clients send it; nothing else reaches the emulator. */
  token: string;
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
      env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', PYTHONUNBUFFERED: '1', TRIBUTARY_MOTO_TOKEN: options.token },
      logFile: join(options.logDir, 'moto.log'),
      ready: async () =>
        (await fetch(`${url}/moto-api/`, { headers: { [MOTO_TOKEN_HEADER]: options.token } }).catch(() => undefined))?.ok === true,
      readyTimeoutMs: 90_000,
      detached: options.detached,
    },
    signal,
  );
}

/** An SDK client that talks to the emulator directly (the sandbox's own S3 and CloudWatch calls), with the run's upstream token. */
export function withMotoToken<
  C extends { middlewareStack: { add(middleware: BuildMiddleware<object, MetadataBearer>, options: BuildHandlerOptions): void } },
>(client: C, token: string): C {
  client.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers[MOTO_TOKEN_HEADER] = token;
      return next(args);
    },
    { step: 'build', name: 'motoToken' },
  );
  return client;
}
