import type { Core } from '../../electron/core/core.js';
import { RpcSession } from '../../electron/core/dispatch/session.js';
import type { ClientMessage, HostMessage, Transport } from '../../shared/protocol.js';

/**
 * The RPC client and a session joined in memory, with the same JSON round trip a
 * socket applies: the transport a unit test needs, no host around it.
 */
export class LoopbackTransport implements Transport {
  readonly received: HostMessage[] = [];
  readonly sent: ClientMessage[] = [];
  private listener: ((message: HostMessage) => void) | undefined;
  private closeListener: ((reason: string) => void) | undefined;
  readonly session: RpcSession;

  constructor(core: Core) {
    this.session = new RpcSession(
      core.handlers,
      (message) => {
        const copy = JSON.parse(JSON.stringify(message)) as HostMessage;
        this.received.push(copy);
        this.listener?.(copy);
      },
      core.log,
    );
  }

  send(message: ClientMessage): void {
    this.sent.push(message);
    this.session.receive(JSON.parse(JSON.stringify(message)));
  }

  onMessage(listener: (message: HostMessage) => void): void {
    this.listener = listener;
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListener = listener;
  }

  drop(reason: string): void {
    this.session.close();
    this.closeListener?.(reason);
  }
}
