import type { Client } from 'ssh2';
import { AppError } from '../../../shared/errors.js';

/** How a remote command ended: its exit status (null when the channel closed before one came) and the end of its stderr. */
export interface ExecOutcome {
  code: number | null;
  stderr: string;
}

/** A command, what its stdin gets, its cancel, and where its stdout goes. */
export type ExecRequest = [command: string, stdin: string, signal: AbortSignal, onStdout: (chunk: Buffer) => Promise<void>];

const STDERR_KEEP = 8192;

/**
 * Runs `command` over a logged-in client, `stdin` fed to it, as `ssh host
 * command` does. Stdout goes to `onStdout` with backpressure: the channel
 * pauses until each chunk is taken, so a slow consumer slows the command
 * instead of filling memory. Aborting closes the channel, which ends the
 * remote command (SIGTERM on the sandbox, SIGHUP through sshd).
 */
export function exec(client: Client, ...[command, stdin, signal, onStdout]: ExecRequest): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(new AppError('UNAVAILABLE', `The master refused to run a command: ${error.message}`));
      let stderr = '';
      let code: number | null = null;
      const stop = () => channel.close();
      signal.addEventListener('abort', stop, { once: true });
      // Aborted while the server was opening the channel: the listener above came too late to hear it.
      if (signal.aborted) stop();
      channel.on('data', (chunk: Buffer) => {
        channel.pause();
        onStdout(chunk).then(
          () => channel.resume(),
          (failure: unknown) => {
            channel.close();
            reject(failure);
          },
        );
      });
      channel.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP)));
      channel.on('exit', (exitCode: number | null) => (code = exitCode));
      channel.on('close', () => {
        signal.removeEventListener('abort', stop);
        resolve({ code, stderr });
      });
      channel.end(stdin);
    });
  });
}
