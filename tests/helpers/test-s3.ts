import { spawn } from 'node:child_process';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { freePort, portOpen } from '../../electron/core/sandbox/ports.js';
import { stopPid } from '../../electron/core/sandbox/process.js';

export interface TestS3 {
  endpoint: string;
  client: S3Client;
  stop(): Promise<void>;
}

/** A real S3 API (moto's server) on a free loopback port, for tests. */
export async function startTestS3(): Promise<TestS3> {
  const python = process.env.TRIBUTARY_MOTO_PYTHON || '/work/scratch/redshift/venv/bin/python';
  const port = await freePort();
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  let exited: string | undefined;
  child.once('exit', (code) => (exited = `exited with code ${code}`));
  child.once('error', (error) => (exited = error.message));
  const deadline = Date.now() + 30_000;
  while (!(await portOpen(port, 500))) {
    if (exited || Date.now() > deadline) {
      await stopPid(child.pid, 2000);
      throw new Error(`moto server ${exited ?? 'did not answer within 30 s'} (python: ${python}; set TRIBUTARY_MOTO_PYTHON)\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler(),
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    async stop() {
      client.destroy();
      await stopPid(child.pid, 3000);
    },
  };
}
