import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import type { TerminalChunk } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { follow } from '../events.js';

/** Interactive shells on session hosts: each a PTY channel the renderer writes to and resizes by its id while it reads the output. */
export class Terminals {
  private readonly channels = new Map<string, ClientChannel>();

  async *open(client: Client, cols: number, rows: number, signal: AbortSignal): AsyncGenerator<TerminalChunk> {
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      client.shell({ term: 'xterm-256color', cols, rows }, (error, opened) =>
        error ? reject(new AppError('UNAVAILABLE', `The master refused a terminal: ${error.message}`)) : resolve(opened),
      ),
    );
    const terminalId = randomBytes(6).toString('hex');
    this.channels.set(terminalId, channel);
    const decoder = new StringDecoder('utf8');
    let code: number | null = null;
    try {
      yield* follow<TerminalChunk>(
        (push, end) => {
          channel.on('data', (data: Buffer) => push({ kind: 'output', data: decoder.write(data) }));
          channel.stderr.on('data', (data: Buffer) => push({ kind: 'output', data: data.toString('utf8') }));
          channel.on('exit', (exitCode: number | null) => (code = exitCode));
          channel.on('close', () => {
            push({ kind: 'exit', code });
            end();
          });
          return () => channel.close();
        },
        signal,
        [{ kind: 'opened', terminalId }],
      );
    } finally {
      this.channels.delete(terminalId);
    }
  }

  write(terminalId: string, data: string): void {
    this.channel(terminalId).write(data);
  }

  resize(terminalId: string, cols: number, rows: number): void {
    this.channel(terminalId).setWindow(rows, cols, 0, 0);
  }

  private channel(id: string): ClientChannel {
    const channel = this.channels.get(id);
    if (!channel) throw new AppError('NOT_FOUND', `No terminal ${id}`);
    return channel;
  }
}
