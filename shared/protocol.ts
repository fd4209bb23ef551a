import { z } from 'zod';
import type { ErrorPayload } from './errors.js';

/**
 * One envelope for every transport (Electron IPC and the web host's WebSocket).
 * Streams are credit-based: the host sends at most `credit` chunks beyond what the
 * client has acknowledged, so a slow renderer slows the producer instead of
 * queueing without bound.
 */
export const PROTOCOL_VERSION = 1;
export const INITIAL_STREAM_CREDIT = 32;
/** Largest envelope a host accepts from a client, in bytes of JSON. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const clientMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('call'), id, op: z.string().min(1).max(200), input: z.unknown() }).strict(),
  z.object({ t: z.literal('cancel'), id }).strict(),
  z.object({ t: z.literal('ack'), id, n: z.number().int().min(1).max(10_000) }).strict(),
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;

export type HostMessage =
  | { t: 'result'; id: number; value: unknown }
  | { t: 'chunk'; id: number; value: unknown }
  | { t: 'end'; id: number }
  /** `id` is null when the client's envelope was unreadable. */
  | { t: 'error'; id: number | null; error: ErrorPayload };

export interface Transport {
  send(message: ClientMessage): void;
  /** Registers the single receiver of host messages. */
  onMessage(listener: (message: HostMessage) => void): void;
  /** Called when the transport is gone for good; pending calls fail. */
  onClose(listener: (reason: string) => void): void;
}
