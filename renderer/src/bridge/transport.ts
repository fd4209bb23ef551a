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

/**
 * Host B: one WebSocket to the page's own origin, the launch token offered as a second subprotocol (the only
 * place it travels: no cookie, no URL); messages wait until it opens.
 */
class WebSocketTransport implements Transport {
  private readonly socket: WebSocket;
  private readonly outbox: string[] = [];
  private closeListener: ((reason: string) => void) | undefined;

  constructor(token: string) {
    this.socket = new WebSocket(`ws://${location.host}/rpc`, [WS_PROTOCOL, `tributary.token.${token}`]);
    let opened = false;
    this.socket.addEventListener('open', () => {
      opened = true;
      for (const text of this.outbox.splice(0)) this.socket.send(text);
    });
    this.socket.addEventListener('close', (event) => {
      // 1012: the host restarted its core (it had stopped); a reload meets the new one, with this tab's state kept.
      if (event.code === 1012) setTimeout(() => location.reload(), RECONNECT_DELAY_MS);
      // A browser hides the status of a refused handshake; the page itself came from this host a moment ago,
      // so a socket that never opened most likely carried a token of an earlier launch.
      const reason = !opened
        ? 'The host refused this tab: its launch token is not valid for this launch (or the host stopped). Open the address printed by the latest launch.'
        : event.code === 1009
          ? 'A message was too large for the host.'
          : event.code === 1012
            ? 'The Tributary core stopped and is restarting; reconnecting…'
            : 'The connection to the Tributary host was lost.';
      this.closeListener?.(reason);
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

/**
 * Takes the launch token out of the address bar (so it is not shared by copy-paste) and keeps it for this tab,
 * so a reload still connects. sessionStorage belongs to this origin, port included: pages on other loopback
 * ports (EMR web UIs through tunnels) cannot read it.
 */
function launchToken(): string | null {
  const match = /[#&]token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * One bundle for both hosts: the preload's bridge when Electron injected it, otherwise the page's own web host;
 * undefined when this tab has no launch token to offer it.
 */
export function createTransport(): Transport | undefined {
  if (window.tributary) return new IpcTransport(window.tributary);
  const token = launchToken();
  return token ? new WebSocketTransport(token) : undefined;
}
