import type { z } from 'zod';
import { findOperation } from '../../../shared/contract/index.js';
import { AppError, type ErrorPayload } from '../../../shared/errors.js';
import { INITIAL_STREAM_CREDIT, clientMessageSchema, type HostMessage } from '../../../shared/protocol.js';
import type { Logger } from '../../../shared/node/log.js';
import type { Handlers, OperationContext } from './handlers.js';
import { invalidInput } from './invalid-input.js';

interface Inflight {
  controller: AbortController;
  /** Stream credit: chunks the host may still send before the client acknowledges more. */
  credit: number;
  wakeProducer?: () => void;
}

type AnyHandler = (input: unknown, context: OperationContext) => unknown;

/**
 * Operations one connection may have running at once. The UI stays far below it (a few streams and calls per
 * section); beyond it a client gets UNAVAILABLE for the new call instead of the host taking on unbounded work.
 */
export const MAX_INFLIGHT = 256;

/**
 * One client connection (a renderer over IPC, a browser tab over WebSocket).
 * Every message is checked here, before any service sees it; a malformed,
 * oversized or unknown request gets an error reply and nothing else happens.
 */
export class RpcSession {
  private readonly inflight = new Map<number, Inflight>();
  private closed = false;

  constructor(
    private readonly handlers: Handlers,
    private readonly send: (message: HostMessage) => void,
    private readonly log: Logger,
  ) {}

  receive(raw: unknown): void {
    if (this.closed) return;
    const parsed = clientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const id = readId(raw);
      this.reply({ t: 'error', id, error: { code: 'BAD_MESSAGE', message: `Unreadable message: ${summarize(parsed.error)}` } });
      return;
    }
    const message = parsed.data;
    switch (message.t) {
      case 'call':
        this.start(message.id, message.op, message.input);
        return;
      case 'cancel':
        this.inflight.get(message.id)?.controller.abort();
        return;
      case 'ack': {
        const entry = this.inflight.get(message.id);
        if (!entry) return;
        entry.credit = Math.min(entry.credit + message.n, INITIAL_STREAM_CREDIT);
        entry.wakeProducer?.();
        return;
      }
    }
  }

  /** The connection is gone: stop everything it started. */
  close(): void {
    this.closed = true;
    for (const entry of this.inflight.values()) entry.controller.abort();
    this.inflight.clear();
  }

  private start(id: number, name: string, rawInput: unknown): void {
    if (this.inflight.has(id)) {
      this.reply({ t: 'error', id, error: { code: 'BAD_MESSAGE', message: `Request id ${id} is already in use` } });
      return;
    }
    if (this.inflight.size >= MAX_INFLIGHT) {
      const message = `${MAX_INFLIGHT} operations are already running on this connection; wait for one to finish.`;
      this.reply({ t: 'error', id, error: { code: 'UNAVAILABLE', message } });
      return;
    }
    const operation = findOperation(name);
    if (!operation) {
      this.reply({ t: 'error', id, error: { code: 'UNKNOWN_OPERATION', message: `Unknown operation: ${name.slice(0, 80)}` } });
      return;
    }
    const input = checkInput(name, operation.input, operation.maxInputBytes, rawInput);
    if (input instanceof AppError) {
      this.reply({ t: 'error', id, error: input.toPayload() });
      return;
    }
    const entry: Inflight = { controller: new AbortController(), credit: INITIAL_STREAM_CREDIT };
    this.inflight.set(id, entry);
    const handler = this.handlers[name as keyof Handlers] as AnyHandler;
    const context: OperationContext = { signal: entry.controller.signal };
    const work = operation.kind === 'call' ? this.runCall(id, handler, input, context) : this.runStream(id, entry, handler, input, context);
    void work
      .catch((error: unknown) => this.reply({ t: 'error', id, error: this.toPayload(name, error, context.signal) }))
      .finally(() => this.inflight.delete(id));
  }

  private async runCall(id: number, handler: AnyHandler, input: unknown, context: OperationContext): Promise<void> {
    const value = await raceAbort(Promise.resolve(handler(input, context)), context.signal);
    this.reply({ t: 'result', id, value });
  }

  private async runStream(id: number, entry: Inflight, handler: AnyHandler, input: unknown, context: OperationContext): Promise<void> {
    const iterator = (handler(input, context) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    try {
      for (;;) {
        while (entry.credit === 0) {
          await raceAbort(new Promise<void>((resolve) => (entry.wakeProducer = resolve)), context.signal);
        }
        const next = await raceAbort(iterator.next(), context.signal);
        if (next.done) break;
        entry.credit -= 1;
        this.reply({ t: 'chunk', id, value: next.value });
      }
      this.reply({ t: 'end', id });
    } finally {
      // Let the producer release what it holds; it sees the aborted signal too.
      void Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
  }

  private toPayload(name: string, error: unknown, signal: AbortSignal): ErrorPayload {
    if (signal.aborted) return { code: 'CANCELLED', message: `${name} was cancelled` };
    if (error instanceof AppError) return error.toPayload();
    this.log.error('rpc', `${name} failed`, error);
    const detail = error instanceof Error ? error.message : String(error);
    return { code: 'INTERNAL', message: this.log.redact(`${name} failed: ${detail}`) };
  }

  private reply(message: HostMessage): void {
    if (!this.closed) this.send(message);
  }
}

function checkInput(name: string, schema: z.ZodType, maxBytes: number, rawInput: unknown): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(rawInput === undefined ? {} : rawInput);
  } catch {
    return new AppError('VALIDATION', `Invalid input for ${name}: not plain JSON data`);
  }
  if (json === undefined) return new AppError('VALIDATION', `Invalid input for ${name}: not plain JSON data`);
  if (json.length > maxBytes) {
    return new AppError('PAYLOAD_TOO_LARGE', `Input for ${name} is ${json.length} bytes; the limit is ${maxBytes}`);
  }
  // The JSON round trip gives every host the same plain data, whatever its transport can clone.
  const result = schema.safeParse(JSON.parse(json));
  if (result.success) return result.data;
  return invalidInput(name, result.error);
}

function summarize(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'rejected';
  return issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
}

function readId(raw: unknown): number | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AppError('CANCELLED', 'Cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AppError('CANCELLED', 'Cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
