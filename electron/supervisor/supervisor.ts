import { Logger } from '../../shared/node/log.js';
import { sleep } from '../../shared/node/sleep.js';
import type { HostMessage } from '../../shared/protocol.js';
import type { SecretStore } from '../core/secrets/secret-store.js';
import type { FileDialog } from '../core/storage/chosen-files.js';
import type { FromCore, ToCore } from './messages.js';

/** A started core process, as the host's process API gives it (Node's child_process, Electron's utilityProcess). */
export interface CoreChild {
  post(message: ToCore): void;
  onMessage(listener: (message: FromCore) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

/** One renderer connection (a WebSocket, a window) as the host sees it. */
export interface CoreConnection {
  receive(raw: unknown): void;
  close(): void;
}

/** What a host needs of the core: connections for its renderers, the app log, and an end. */
export interface CoreEndpoint {
  readonly log: Logger;
  /** `onLost` is called when the core behind this connection is gone; the renderer reconnects to the next one. */
  connect(send: (message: HostMessage) => void, onLost: (reason: string) => void): CoreConnection;
  dispose(): Promise<void>;
}

export interface SupervisorOptions {
  launch: () => CoreChild;
  /** The host's secret store; the core process asks it over the channel. */
  secrets: SecretStore;
  /** The host's file dialog, when it has one (Electron); the core process asks for it over the channel. */
  fileDialog?: FileDialog;
}

/** Waits before restarting a core that died: longer after each quick death, reset once one has lived a minute. */
const RESTART_DELAYS_MS = [250, 1000, 5000, 15_000];
const STABLE_MS = 60_000;
const DISPOSE_GRACE_MS = 30_000;

interface Running {
  child: CoreChild;
  ready: boolean;
  /** Messages for the core until it says it is ready. */
  queue: ToCore[];
  startedAt: number;
  exited: Promise<void>;
}

/**
 * Keeps the core in a process of its own and restarts it when it dies, so that no service's crash takes
 * the host (Electron's main process, the web host) and what it holds with it. Connections of a core that
 * died are told so (`onLost`) and forgotten; their renderers reconnect and meet the new core.
 */
export class CoreSupervisor implements CoreEndpoint {
  /** The host's lines: kept here and handed to the core process for the app log. */
  readonly log: Logger;
  private running: Running | undefined;
  private readonly connections = new Map<number, { send: (message: HostMessage) => void; onLost: (reason: string) => void }>();
  private nextConn = 1;
  private failures = 0;
  private disposed = false;
  /** Aborted by dispose: a restart that waits is not made. */
  private readonly stopping = new AbortController();
  private firstStart: { resolve(): void; reject(error: Error): void } | undefined;
  /** What connections made while no core runs have sent, for the next core. */
  private between: ToCore[] = [];

  constructor(private readonly options: SupervisorOptions) {
    // Not echoed here: the core process echoes (and files) the lines it is handed.
    this.log = new Logger(undefined);
    this.log.subscribe((line) => this.post({ k: 'log', line: { level: line.level, scope: line.scope, message: line.message } }));
  }

  /**
   * Starts the first core and resolves once it answers. A first core that ends before it answers (a data
   * directory it cannot use, a workspace it cannot make) is not restarted: the host reports it and stops.
   */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstStart = { resolve, reject };
      this.spawn();
    });
  }

  /** The pid-like handle of the current core, for tests that end it the hard way. */
  get current(): CoreChild | undefined {
    return this.running?.child;
  }

  connect(send: (message: HostMessage) => void, onLost: (reason: string) => void): CoreConnection {
    const conn = this.nextConn++;
    this.connections.set(conn, { send, onLost });
    this.post({ k: 'open', conn });
    return {
      receive: (data) => {
        if (this.connections.has(conn)) this.post({ k: 'msg', conn, data });
      },
      close: () => {
        if (this.connections.delete(conn)) this.post({ k: 'close', conn });
      },
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.stopping.abort();
    const running = this.running;
    if (!running) return;
    running.child.post({ k: 'dispose' });
    // The core ends its runs, tunnels and the sandbox it started; one that does not finish in time is ended.
    const ended = new AbortController();
    void running.exited.then(() => ended.abort());
    await sleep(DISPOSE_GRACE_MS, ended.signal);
    if (!ended.signal.aborted) {
      running.child.kill();
      await running.exited;
    }
  }

  private post(message: ToCore): void {
    const running = this.running;
    if (running?.ready) running.child.post(message);
    // Between a core's death and the next one's start, messages wait for the next one.
    else if (running) running.queue.push(message);
    else if (!this.disposed) this.between.push(message);
  }

  private spawn(): void {
    const child = this.options.launch();
    let exited!: () => void;
    const running: Running = { child, ready: false, queue: [], startedAt: Date.now(), exited: new Promise((r) => (exited = r)) };
    this.running = running;
    running.queue.push(...this.between.splice(0));
    child.onMessage((message) => this.receive(running, message));
    child.onExit((code, signal) => {
      exited();
      this.onExit(running, code, signal);
    });
  }

  private receive(running: Running, message: FromCore): void {
    switch (message.k) {
      case 'ready':
        running.ready = true;
        this.firstStart?.resolve();
        this.firstStart = undefined;
        for (const queued of running.queue.splice(0)) running.child.post(queued);
        return;
      case 'msg':
        this.connections.get(message.conn)?.send(message.data);
        return;
      case 'secret':
        void this.answerSecret(running, message);
        return;
      case 'choose':
        void this.answerChoose(running, message);
        return;
      case 'disposed':
        return;
    }
  }

  private async answerSecret(running: Running, message: Extract<FromCore, { k: 'secret' }>): Promise<void> {
    const { secrets } = this.options;
    try {
      const value =
        message.op === 'names'
          ? await secrets.names()
          : message.op === 'get'
            ? await secrets.get(message.name ?? '')
            : message.op === 'set'
              ? await secrets.set(message.name ?? '', message.value ?? '')
              : await secrets.delete(message.name ?? '');
      running.child.post({ k: 'secret', id: message.id, value: value ?? undefined });
    } catch (error) {
      // The store's own words, never a value.
      running.child.post({ k: 'secret', id: message.id, error: error instanceof Error ? error.message : 'The secret store failed' });
    }
  }

  private async answerChoose(running: Running, message: Extract<FromCore, { k: 'choose' }>): Promise<void> {
    try {
      if (!this.options.fileDialog) throw new Error('This host has no file dialog');
      running.child.post({ k: 'chosen', id: message.id, value: await this.options.fileDialog(message.request) });
    } catch (error) {
      running.child.post({ k: 'chosen', id: message.id, error: error instanceof Error ? error.message : 'The file dialog failed' });
    }
  }

  private onExit(running: Running, code: number | null, signal: string | null): void {
    if (this.running !== running || this.disposed) return;
    if (this.firstStart) {
      this.disposed = true;
      this.firstStart.reject(
        new Error(`The core process could not start (${signal ?? `exit code ${code}`}); its reason is printed above.`),
      );
      this.firstStart = undefined;
      return;
    }
    this.running = undefined;
    const lived = Date.now() - running.startedAt;
    this.failures = lived > STABLE_MS ? 1 : this.failures + 1;
    const delay = RESTART_DELAYS_MS[Math.min(this.failures, RESTART_DELAYS_MS.length) - 1]!;
    // Every renderer connection lived in the dead core: each is told, and reconnects to the next.
    const lost = [...this.connections.values()];
    this.connections.clear();
    for (const connection of lost) connection.onLost('The Tributary core stopped and is restarting.');
    void sleep(delay, this.stopping.signal).then(() => {
      if (this.disposed) return;
      try {
        this.spawn();
      } catch (error) {
        this.log.error('supervisor', 'The core process could not be started again', error);
        return;
      }
      // Queued for the new core, so the app log says what happened.
      this.log.error('supervisor', `The core process ended (${signal ?? `exit code ${code}`}); restarted it after ${delay} ms.`);
    });
  }
}
