import type { CallName, ChunkOf, InputOf, ResultOf, StreamName } from './contract/index.js';
import { AppError } from './errors.js';
import type { HostMessage, Transport } from './protocol.js';

interface PendingCall {
  kind: 'call';
  resolve: (value: unknown) => void;
  reject: (error: AppError) => void;
}

interface PendingStream {
  kind: 'stream';
  onChunk: (value: unknown) => void | Promise<void>;
  resolve: () => void;
  reject: (error: AppError) => void;
  /** Chunk handlers run one at a time, in order; the ack follows each. */
  queue: Promise<void>;
}

export interface StreamHandle {
  /** Settles when the stream ends, fails or is cancelled. */
  done: Promise<void>;
  cancel(): void;
}

/** The part of AbortSignal the client needs; DOM's and Node's both fit, and shared/ imports neither. */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
}

export interface StreamOptions<C> {
  /** Return a promise to hold the producer until this chunk is handled. */
  onChunk: (chunk: C) => void | Promise<void>;
}

/** The renderer's one typed client. The same class runs over IPC and over the WebSocket. */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall | PendingStream>();
  private closedReason: string | undefined;

  constructor(
    private readonly transport: Transport,
    /** Told when the host could not read one of our envelopes: a bug in this client, not the user's doing. */
    private readonly onProtocolError: (message: string) => void = () => undefined,
  ) {
    transport.onMessage((message) => this.receive(message));
    transport.onClose((reason) => this.close(reason));
  }

  call<K extends CallName>(op: K, input: InputOf<K>, signal?: CancelSignal): Promise<ResultOf<K>> {
    const id = this.nextId++;
    return new Promise<ResultOf<K>>((resolve, reject) => {
      if (this.closedReason) return reject(new AppError('UNAVAILABLE', this.closedReason));
      if (signal?.aborted) return reject(new AppError('CANCELLED', `${op} was cancelled`));
      this.pending.set(id, { kind: 'call', resolve: resolve as (v: unknown) => void, reject });
      signal?.addEventListener('abort', () => this.cancel(id), { once: true });
      this.transport.send({ t: 'call', id, op, input });
    });
  }

  stream<K extends StreamName>(op: K, input: InputOf<K>, options: StreamOptions<ChunkOf<K>>): StreamHandle {
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => {
      if (this.closedReason) return reject(new AppError('UNAVAILABLE', this.closedReason));
      this.pending.set(id, {
        kind: 'stream',
        onChunk: options.onChunk as (v: unknown) => void | Promise<void>,
        resolve,
        reject,
        queue: Promise.resolve(),
      });
      this.transport.send({ t: 'call', id, op, input });
    });
    return { done, cancel: () => this.cancel(id) };
  }

  private cancel(id: number): void {
    if (!this.pending.has(id)) return;
    this.transport.send({ t: 'cancel', id });
  }

  private receive(message: HostMessage): void {
    const id = message.id;
    if (id === null) {
      if (message.t === 'error') this.onProtocolError(message.error.message);
      return;
    }
    const entry = this.pending.get(id);
    if (!entry) return;
    switch (message.t) {
      case 'result':
        this.pending.delete(id);
        if (entry.kind === 'call') entry.resolve(message.value);
        break;
      case 'chunk':
        if (entry.kind === 'stream') {
          entry.queue = entry.queue
            .then(() => entry.onChunk(message.value))
            .catch((error: unknown) => this.onProtocolError(`Stream consumer failed: ${String(error)}`))
            .then(() => {
              if (this.pending.has(id)) this.transport.send({ t: 'ack', id, n: 1 });
            });
        }
        break;
      case 'end':
        this.pending.delete(id);
        if (entry.kind === 'stream') void entry.queue.then(entry.resolve);
        break;
      case 'error':
        this.pending.delete(id);
        entry.reject(AppError.fromPayload(message.error));
        break;
    }
  }

  private close(reason: string): void {
    this.closedReason = reason;
    for (const entry of this.pending.values()) entry.reject(new AppError('UNAVAILABLE', reason));
    this.pending.clear();
  }
}
