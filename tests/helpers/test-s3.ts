import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { sandboxClientConfig, type SandboxAccess } from '../../sandbox/client/constants.js';
import { newAccessKeys, newPassword } from '../../sandbox/credentials.js';
import { defaultCacheDir, sandboxPaths } from '../../sandbox/client/paths.js';
import { freePort } from '../../shared/node/ports.js';
import { startMoto, withMotoToken } from '../../sandbox/services/moto.js';
import { pythonEnvStep } from '../../sandbox/setup/python-env.js';

export interface TestS3 {
  endpoint: string;
  /** The emulator's upstream token: a gateway in front of it sends it (and so does `client`). */
  token: string;
  /** Keys of its own (the emulator reads only the key id): a gateway in front of it takes them too. */
  credentials: SandboxAccess['credentials'];
  client: S3Client;
  stop(): Promise<void>;
}

/**
 * A real S3 API for tests of one sandbox part: the sandbox's own emulator
 * process, on a free port with a throwaway state, set up from the shared
 * download cache the first time.
 */
export async function startTestS3(): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-s3-'));
  const paths = sandboxPaths(dir, defaultCacheDir());
  const step = pythonEnvStep(paths.venv, process.env.TRIBUTARY_PYTHON ?? 'python3', paths.pipCache);
  const signal = new AbortController().signal;
  if (!(await step.done())) await step.run(() => undefined, signal);
  const port = await freePort();
  const token = newPassword();
  const moto = await startMoto({ venv: paths.venv, port, token, stateDir: dir, logDir: dir, detached: false }, signal);
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = newAccessKeys();
  const client = withMotoToken(new S3Client(sandboxClientConfig({ endpoint, credentials })), token);
  return {
    endpoint,
    token,
    credentials,
    client,
    async stop() {
      client.destroy();
      await moto.stop();
    },
  };
}
