import type { Socket } from 'node:net';
import { parseDataRow, parseErrorFields, query, type ErrorFields, type Message } from './wire.js';

/** Server messages held before the server socket is paused. */
const HIGH_WATER = 256;

/**
 * The client's own PostgreSQL backend, borrowed by the proxy while it carries
 * out a statement itself (COPY from S3, UNLOAD). Server messages arrive here
 * instead of at the client; writes in both directions wait for drain.
 */
export class Backend {
  private readonly queue: Message[] = [];
  private waiter: { resolve: (message: Message) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  /** Transaction status from the last ReadyForQuery: I, T or E. */
  txStatus = 'I';
  /** The first error the client was sent since the last reset: the outcome of a statement the proxy carried out. */
  clientError: { code: string; message: string } | undefined;

  constructor(
    private readonly server: Socket,
    private readonly client: Socket,
  ) {}

  deliver(message: Message): void {
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve(message);
      return;
    }
    this.queue.push(message);
    if (this.queue.length >= HIGH_WATER) this.server.pause();
  }

  fail(error: Error): void {
    this.failure = error;
    this.waiter?.reject(error);
    this.waiter = undefined;
  }

  next(): Promise<Message> {
    const message = this.queue.shift();
    if (message) {
      if (this.queue.length < HIGH_WATER / 2 && this.server.isPaused()) this.server.resume();
      if (message.type === 'Z') this.txStatus = String.fromCharCode(message.body[0]!);
      return Promise.resolve(message);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.server.isPaused()) this.server.resume();
    return new Promise((resolve, reject) => {
      this.waiter = {
        resolve: (m) => {
          if (m.type === 'Z') this.txStatus = String.fromCharCode(m.body[0]!);
          resolve(m);
        },
        reject,
      };
    });
  }

  send(data: Buffer): Promise<void> {
    return write(this.server, data, () => this.failure);
  }

  toClient(data: Buffer): Promise<void> {
    if (!this.clientError && data[0] === 0x45) {
      const fields = parseErrorFields(data.subarray(5));
      this.clientError = { code: fields.code ?? 'XX000', message: fields.message ?? '' };
    }
    return write(this.client, data, () => (this.client.destroyed ? new Error('client went away') : undefined));
  }

  /** Runs a query the proxy needs for itself; nothing reaches the client. */
  async ask(sql: string): Promise<{ rows: (string | null)[][]; error?: ErrorFields }> {
    await this.send(query(sql));
    const rows: (string | null)[][] = [];
    let error: ErrorFields | undefined;
    for (;;) {
      const message = await this.next();
      if (message.type === 'D') rows.push(parseDataRow(message.body));
      else if (message.type === 'E') error = parseErrorFields(message.body);
      else if (message.type === 'Z') return error ? { rows, error } : { rows };
    }
  }
}

function write(socket: Socket, data: Buffer, failed: () => Error | undefined): Promise<void> {
  const error = failed();
  if (error) return Promise.reject(error);
  if (socket.write(data)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      const failure = failed() ?? (socket.destroyed ? new Error('connection closed') : undefined);
      if (failure) reject(failure);
      else resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
