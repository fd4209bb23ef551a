import type { SecretBackend } from '../../shared/contract/index.js';
import { createCore } from '../core/core.js';
import { RpcSession } from '../core/dispatch/session.js';
import type { SecretStore } from '../core/secrets/secret-store.js';
import type { FileDialog } from '../core/storage/chosen-files.js';
import { CORE_OPTIONS_ENV, type CoreProcessOptions, type FromCore, type ToCore } from './messages.js';

/**
 * The core process: every service of the app, started by a host's supervisor (supervisor.ts) so that a
 * crash in a service ends this process and not the host, which restarts it. It runs as a Node child
 * process (the web host) or as an Electron utility process; both hand it messages the same way.
 */
interface ParentPort {
  post(message: FromCore): void;
  onMessage(listener: (message: ToCore) => void): void;
}

function parentPort(): ParentPort {
  const electron = (
    process as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (e: { data: unknown }) => void): void } }
  ).parentPort;
  if (electron) {
    return { post: (m) => electron.postMessage(m), onMessage: (listener) => electron.on('message', (e) => listener(e.data as ToCore)) };
  }
  if (!process.send) throw new Error('The core process runs only under a host’s supervisor.');
  return {
    post: (m) => {
      if (process.connected) process.send!(m, (error: Error | null) => void error);
    },
    onMessage: (listener) => {
      process.on('message', (m) => listener(m as ToCore));
      // A host that is gone cannot supervise: end what the core started, as a dispose would.
      process.once('disconnect', () => listener({ k: 'dispose' }));
    },
  };
}

/** Questions to the host over the channel, each answered once by id. */
class HostQuestions {
  private next = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  constructor(private readonly port: ParentPort) {}

  ask(message: (id: number) => FromCore): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.port.post(message(id));
    });
  }

  answer(message: Extract<ToCore, { k: 'secret' | 'chosen' }>): void {
    const waiter = this.waiting.get(message.id);
    this.waiting.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.value);
  }
}

/** The host's secret store, asked over the channel: values live in the host, so a restarted core finds memory-only ones too. */
class HostSecretStore implements SecretStore {
  constructor(
    readonly backend: SecretBackend,
    readonly persistent: boolean,
    private readonly host: HostQuestions,
  ) {}

  names(): Promise<string[]> {
    return this.ask('names') as Promise<string[]>;
  }
  get(name: string): Promise<string | undefined> {
    return this.ask('get', name) as Promise<string | undefined>;
  }
  async set(name: string, value: string): Promise<void> {
    await this.ask('set', name, value);
  }
  async delete(name: string): Promise<void> {
    await this.ask('delete', name);
  }

  private ask(op: 'names' | 'get' | 'set' | 'delete', name?: string, value?: string): Promise<unknown> {
    return this.host.ask((id) => ({
      k: 'secret',
      id,
      op,
      ...(name !== undefined ? { name } : {}),
      ...(value !== undefined ? { value } : {}),
    }));
  }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env[CORE_OPTIONS_ENV] ?? 'null') as CoreProcessOptions | null;
  if (!options) throw new Error(`${CORE_OPTIONS_ENV} is not set`);
  delete process.env[CORE_OPTIONS_ENV];
  const port = parentPort();
  const host = new HostQuestions(port);
  const secrets = new HostSecretStore(options.secrets.backend, options.secrets.persistent, host);
  const fileDialog: FileDialog | undefined = options.fileDialog
    ? async (request) => (await host.ask((id) => ({ k: 'choose', id, request }))) as string | undefined
    : undefined;
  const sessions = new Map<number, RpcSession>();
  // Messages that arrive while the core is being created are handled once it is there, in order.
  const early: ToCore[] = [];
  let handle: (message: ToCore) => void = (message) =>
    message.k === 'secret' || message.k === 'chosen' ? host.answer(message) : early.push(message);
  port.onMessage((message) => handle(message));

  const core = await createCore({
    host: options.host,
    version: options.version,
    dataDir: options.dataDir,
    workspaceDir: options.workspaceDir,
    echoLog: options.echoLog,
    sandboxDaemon: options.sandboxDaemon,
    openSecretStore: () => Promise.resolve(secrets),
    hostProblems: options.hostProblems,
    ...(fileDialog ? { fileDialog } : {}),
  });
  let disposing = false;
  handle = (message) => {
    switch (message.k) {
      case 'open':
        sessions.set(message.conn, new RpcSession(core.handlers, (data) => port.post({ k: 'msg', conn: message.conn, data }), core.log));
        return;
      case 'msg':
        sessions.get(message.conn)?.receive(message.data);
        return;
      case 'close':
        sessions.get(message.conn)?.close();
        sessions.delete(message.conn);
        return;
      case 'secret':
      case 'chosen':
        return host.answer(message);
      case 'log':
        core.log[message.line.level](message.line.scope, message.line.message);
        return;
      case 'dispose':
        if (disposing) return;
        disposing = true;
        for (const session of sessions.values()) session.close();
        void core
          .dispose()
          .then(() => core.log.flush())
          .finally(() => {
            port.post({ k: 'disposed' });
            process.exit(0);
          });
    }
  };
  for (const message of early.splice(0)) handle(message);
  port.post({ k: 'ready' });
}

main().catch((error: unknown) => {
  process.stderr.write(`tributary core: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
