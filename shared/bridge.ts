import type { OpName } from './contract/index.js';
import type { HostMessage } from './protocol.js';

/**
 * What the Electron preload exposes on `window.tributary`: one sender per
 * declared operation (nothing else can be called), and the stream controls
 * of the envelope. The renderer wraps it into a Transport.
 */
export interface PreloadBridge {
  operations: Record<OpName, (id: number, input: unknown) => void>;
  cancel(id: number): void;
  ack(id: number, n: number): void;
  onMessage(listener: (message: HostMessage) => void): void;
}

/** The single IPC channel that carries the envelope in both directions. */
export const IPC_CHANNEL = 'tributary:rpc';
