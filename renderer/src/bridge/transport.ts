import type { PreloadBridge } from '../../../shared/bridge';
import { findOperation } from '../../../shared/contract/index';
import type { ClientMessage, HostMessage, Transport } from '../../../shared/protocol';

declare global {
  interface Window {
    tributary?: PreloadBridge;
  }
}

const WS_PROTOCOL = 'tributary.v1';
const TOKEN_KEY = 'tributary.token';
const RECONNECT_DELAY_MS = 1000;

/** Host A: the preload's per-operation senders. */
class IpcTransport implements Transport {
  constructor(private readonly bridge: PreloadBridge) {}

  send(message: ClientMessage): void {
    if (message.t === 'call') {
      if (!findOperation(message.op)) throw new Error(`Unknown operation ${message.op}`);
      this.bridge.operations[message.op as keyof PreloadBridge['operations']](message.id, message.input);
    } else if (message.t === 'cancel') this.bridge.cancel(message.id);
    else this.bridge.ack(message.id, message.n);
  }

  onMessage(listener: (message: HostMessage) => void): void {
    this.bridge.onMessage(listener);
  }

  onClose(): void {
    // The window and its main process live and die together.
  }
}

/** Host B: one WebSocket to the page's own origin; messages wait until it opens. */
class WebSocketTransport implements Transport {
  private readonly socket: WebSocket;
  private readonly outbox: string[] = [];
  private closeListener: ((reason: string) => void) | undefined;

  constructor(token: string | null) {
    const protocols = token ? [WS_PROTOCOL, `tributary.token.${token}`] : [WS_PROTOCOL];
    this.socket = new WebSocket(`ws://${location.host}/rpc`, protocols);
    this.socket.addEventListener('open', () => {
      for (const text of this.outbox.splice(0)) this.socket.send(text);
    });
    this.socket.addEventListener('close', (event) => {
      // 1012: the host restarted its core (it had stopped); a reload meets the new one, with this tab's state kept.
      if (event.code === 1012) setTimeout(() => location.reload(), RECONNECT_DELAY_MS);
      this.closeListener?.(
        event.code === 1009
          ? 'A message was too large for the host.'
          : event.code === 1012
            ? 'The Tributary core stopped and is restarting; reconnecting…'
            : 'The connection to the Tributary host was lost.',
      );
    });
  }

  send(message: ClientMessage): void {
    const text = JSON.stringify(message);
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
    else this.outbox.push(text);
  }

  onMessage(listener: (message: HostMessage) => void): void {
    this.socket.addEventListener('message', (event: MessageEvent<string>) => listener(JSON.parse(event.data) as HostMessage));
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListener = listener;
  }
}

/** Takes the launch token out of the address bar (so it is not shared by copy-paste) and keeps it for this tab. */
function launchToken(): string | null {
  const match = /[#&]token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** One bundle for both hosts: the preload's bridge when Electron injected it, otherwise the page's own web host. */
export function createTransport(): Transport {
  return window.tributary ? new IpcTransport(window.tributary) : new WebSocketTransport(launchToken());
}
