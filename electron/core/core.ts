import { join } from 'node:path';
import type { AppInfo, HostKind } from '../../shared/contract/index.js';
import { assembleHandlers, type Handlers } from './dispatch/handlers.js';
import { EventHub, follow } from './events.js';
import { IngestService } from './ingest/service.js';
import { Logger } from '../../shared/node/log.js';
import { PipelineService } from './pipeline/service.js';
import { ProvisionService } from './provision/service.js';
import { SandboxManager, type DaemonCommand } from './sandbox/manager.js';
import type { SecretStore } from './secrets/secret-store.js';
import { EnvironmentsService } from './services/environments.js';
import { NoticeBoard } from './services/notices.js';
import { SecretsService } from './services/secrets.js';
import { SessionsService } from './services/sessions.js';
import { SettingsService } from './services/settings.js';
import type { LoadProblem } from './storage/json-file.js';
import { ResultRegistry } from './results/registry.js';
import { builtInEngines, EngineRegistry, type AnyEngine } from './engines/registry.js';
import { Connections } from './workbench/connections.js';
import { QueryHistory } from './workbench/history.js';
import { SavedWork } from './workbench/saved.js';
import { sandboxConnections } from './workbench/sandbox-connections.js';
import { WorkbenchService } from './workbench/service.js';

export interface CoreOptions {
  host: HostKind;
  version: string;
  dataDir: string;
  /** Chosen by the host: each has its own way to keep secrets. */
  openSecretStore: (onProblem: (problem: LoadProblem) => void) => Promise<SecretStore>;
  /** Also print log lines to stderr (the web host's terminal). */
  echoLog?: boolean;
  /** How this host runs the sandbox's supervising process. */
  sandboxDaemon: DaemonCommand;
  /** Engines besides the app's own: only tests register one, to prove an engine is one file and one registration. */
  engines?: readonly AnyEngine[];
}

export interface Core {
  handlers: Handlers;
  log: Logger;
  info: AppInfo;
  /** Stops what this process started (the sandbox, when the app started it). */
  dispose(): Promise<void>;
}

/** The host-agnostic app: every service, wired once, behind one handler table. */
export async function createCore(options: CoreOptions): Promise<Core> {
  const log = new Logger(join(options.dataDir, 'logs'), options.echoLog);
  const events = new EventHub();
  const notices = new NoticeBoard(events);
  const onProblem = (problem: LoadProblem) => notices.fileProblem(problem);
  const secretStore = await options.openSecretStore(onProblem);
  if (!secretStore.persistent) {
    notices.add(
      'info',
      'Secrets are kept in memory only',
      'No OS keyring answered, so passwords and keys you enter last until the app quits.',
    );
  }
  const settings = new SettingsService(options.dataDir, notices);
  const secrets = new SecretsService(secretStore, log);
  const sandbox = new SandboxManager(options.dataDir, options.sandboxDaemon, log);
  const environments = new EnvironmentsService({
    dataDir: options.dataDir,
    version: options.version,
    notices,
    events,
    secrets: secretStore,
    log,
    sandboxEndpoint: () => sandbox.running()?.endpoint,
  });

  const sessions = new SessionsService({
    dataDir: options.dataDir,
    version: options.version,
    environments,
    sandboxRun: () => sandbox.running(),
    settings: () => settings.get(),
    notices,
    events,
    log,
  });

  const results = new ResultRegistry({ dir: join(options.dataDir, 'results') });
  const connections = new Connections({
    dataDir: options.dataDir,
    engines: new EngineRegistry([...builtInEngines, ...(options.engines ?? [])]),
    environments,
    builtIn: sandboxConnections({ run: () => sandbox.running(), adminPasswordFile: sandbox.paths.adminPassword, aws: environments, log }),
    secrets: secretStore,
    notices,
    log,
    tunnels: sessions.ports,
  });
  const workbench = new WorkbenchService({
    connections,
    results,
    history: new QueryHistory(options.dataDir, notices),
    saved: new SavedWork(options.dataDir, notices),
    log,
  });

  const info: AppInfo = {
    name: 'Tributary',
    version: options.version,
    host: options.host,
    platform: process.platform,
    dataDir: options.dataDir,
    secretBackend: secretStore.backend,
    secretsPersist: secretStore.persistent,
  };

  const handlers = assembleHandlers([
    notices.handlers(),
    settings.handlers(),
    environments.handlers(),
    secrets.handlers(),
    sandbox.handlers(),
    sessions.handlers(),
    workbench.handlers(),
    results.handlers(),
    new PipelineService({
      version: options.version,
      environments,
      sessions,
      workbench,
      engines: connections,
      sandboxLogs: sandbox.paths.logs,
      log,
    }).handlers(),
    new IngestService({ dataDir: options.dataDir, version: options.version, environments, log }).handlers(),
    new ProvisionService({
      dataDir: options.dataDir,
      version: options.version,
      environments,
      notices,
      log,
      keys: sessions,
      connections: workbench.handlers(),
    }).handlers(),
    {
      'app.info': () => info,
      'app.events': async function* (_input, { signal }) {
        const active = await environments.active();
        yield* follow((push) => events.subscribe(push), signal, [
          { type: 'environment', activeId: active.id, activeName: active.name },
          { type: 'tunnels', open: sessions.tunnelCount() },
          { type: 'notices', count: notices.list().length },
        ]);
      },
      'logs.follow': ({ backlog }, { signal }) => follow((push) => log.subscribe(push), signal, log.recent(backlog)),
    },
  ]);
  log.info('core', `Tributary ${options.version} on the ${options.host} host; data in ${options.dataDir}`);
  return {
    handlers,
    log,
    info,
    dispose: () =>
      workbench
        .dispose()
        .then(() => results.dispose())
        .then(() => sessions.dispose())
        .then(() => sandbox.dispose()),
  };
}
