import { join } from 'node:path';
import type { AppInfo, HostKind } from '../../shared/contract/index.js';
import { assembleHandlers, type Handlers } from './dispatch/handlers.js';
import { EventHub, follow } from './events.js';
import { IngestService } from './ingest/service.js';
import { Logger } from '../../shared/node/log.js';
import { PipelineService } from './pipeline/service.js';
import { ProvisionService } from './provision/service.js';
import type { DaemonCommand } from '../../sandbox/client/daemon-command.js';
import { SANDBOX_KEY_PAIR } from '../../sandbox/client/constants.js';
import { SandboxManager } from '../../sandbox/client/manager.js';
import { sandboxHandlers } from './environments/sandbox-handlers.js';
import { moveRendererSecrets } from './secrets/names.js';
import type { SecretStore } from './secrets/secret-store.js';
import { EnvironmentsService } from './environments/service.js';
import { NoticeBoard } from './storage/notices.js';
import { SecretsService } from './secrets/service.js';
import { KeyFileStore } from './sessions/key-files.js';
import { SessionsService } from './sessions/service.js';
import { SettingsService } from './storage/settings.js';
import type { LoadProblem } from './storage/json-file.js';
import { ChosenFiles, type FileDialog } from './storage/chosen-files.js';
import { WorkspaceFiles, type FileAccess } from './storage/file-access.js';
import { ResultRegistry, sweepSpills } from './results/registry.js';
import { builtInEngines, EngineRegistry, type AnyEngine } from './engines/registry.js';
import { Connections } from './workbench/connections.js';
import { QueryHistory } from './workbench/history.js';
import { SavedWork } from './workbench/saved.js';
import { sandboxConnections } from './workbench/sandbox-connections.js';
import { WorkbenchService } from './workbench/service.js';
import { WarehouseService } from './warehouse/service.js';
import { nodePrice, priceTable, serverlessRpuPrice, regionPrices } from './provision/pricing.js';
import { warehouseShape } from './provision/warehouse-compute.js';

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
  /**
   * The web host's one folder whose files the operator can upload, replay, download, export to and log in with
   * (created when missing); with `fileDialog`, where the dialogs open first.
   */
  workspaceDir: string;
  /** A host with its own file dialogs (Electron) takes files only from them, never a path from the renderer. */
  fileDialog?: FileDialog;
  /** Files the host could not read before the core started (its secret store's), reported as notices like the core's own. */
  hostProblems?: readonly LoadProblem[];
  /** Engines besides the app's own: only tests register one, to prove an engine is one file and one registration. */
  engines?: readonly AnyEngine[];
}

export interface Core {
  handlers: Handlers;
  log: Logger;
  info: AppInfo;
  /** Ends every run, tunnel and session the core started, and the sandbox when the app started it. */
  dispose(): Promise<void>;
}

/** A service that owns work (runs, connections, processes) which must end when the core closes. */
interface Disposable {
  dispose(): void | Promise<void>;
}

/** The host-agnostic app: every service, wired once, behind one handler table. */
export async function createCore(options: CoreOptions): Promise<Core> {
  const log = new Logger(join(options.dataDir, 'logs'), options.echoLog);
  // Every service that owns work joins this list as it is created; closing the core
  // disposes them newest first, so a service ends before the ones it builds on.
  const disposables: Disposable[] = [];
  const owned = <T extends Disposable>(service: T): T => {
    disposables.push(service);
    return service;
  };
  const events = new EventHub();
  const notices = new NoticeBoard(events);
  const onProblem = (problem: LoadProblem) => notices.fileProblem(problem);
  const secretStore = await options.openSecretStore(onProblem);
  for (const problem of options.hostProblems ?? []) onProblem(problem);
  await moveRendererSecrets(secretStore, log);
  if (!secretStore.persistent) {
    notices.add(
      'info',
      'Secrets are kept in memory only',
      'No OS keyring answered, so passwords and keys you enter last until the app quits.',
    );
  }
  const settings = new SettingsService(options.dataDir, notices);
  const secrets = new SecretsService(secretStore, log);
  const sandbox = owned(new SandboxManager(options.dataDir, options.sandboxDaemon, log));
  const environments = new EnvironmentsService({
    dataDir: options.dataDir,
    version: options.version,
    notices,
    events,
    secrets: secretStore,
    log,
    sandboxAccess: () => {
      const run = sandbox.running();
      // The run's secret key is masked in the app's log like every other secret it holds.
      if (run) log.addSecret(run.credentials.secretAccessKey);
      return run;
    },
  });

  const files: FileAccess = options.fileDialog
    ? await ChosenFiles.open(options.fileDialog, options.dataDir, options.workspaceDir)
    : await WorkspaceFiles.open(options.workspaceDir, options.dataDir);
  const keyFiles = new KeyFileStore(options.dataDir, onProblem);
  const sessions = owned(
    new SessionsService({
      dataDir: options.dataDir,
      environments,
      keyFiles,
      files,
      sandboxMaster: () => {
        const master = sandbox.running()?.master;
        if (master) log.addSecret(master.thriftPassword);
        return (
          master && {
            keyName: SANDBOX_KEY_PAIR,
            keyFile: master.keyFile,
            sshPort: master.sshPort,
            thriftPort: master.thriftPort,
            thriftPassword: master.thriftPassword,
          }
        );
      },
      tunnelIdleMinutes: async () => (await settings.get()).tunnelIdleMinutes,
      events,
      notices,
      log,
    }),
  );

  const spillDir = join(options.dataDir, 'results');
  await sweepSpills(spillDir);
  const results = owned(new ResultRegistry({ dir: spillDir, files }));
  const connections = new Connections({
    dataDir: options.dataDir,
    engines: new EngineRegistry([...builtInEngines, ...(options.engines ?? [])]),
    environments,
    builtIn: sandboxConnections({ run: () => sandbox.running(), aws: environments, log }),
    secrets: secretStore,
    notices,
    log,
    tunnels: sessions.ports,
  });
  const workbench = owned(
    new WorkbenchService({
      connections,
      results,
      history: new QueryHistory(options.dataDir, notices, (text) => log.redact(text)),
      saved: new SavedWork(options.dataDir, notices, (text) => log.redact(text)),
      log,
    }),
  );
  const pipeline = owned(
    new PipelineService({
      aws: environments,
      sessions,
      workbench,
      engines: connections,
      files,
      log,
    }),
  );
  const warehouse = owned(
    new WarehouseService({
      connections: { info: (id, signal) => connections.describe(id, signal), open: (id, signal) => connections.fresh(id, signal) },
      pricing: {
        compute: async (connection, signal) => warehouseShape(await environments.aws(connection.environmentId), connection.spec, signal),
        nodePrice: (region, nodeType) => {
          const usd = nodePrice(region, nodeType);
          return usd === undefined ? undefined : { usd, pricedRegion: regionPrices(region).pricedRegion };
        },
        rpuPrice: serverlessRpuPrice,
        priceDate: priceTable.date,
      },
      log,
    }),
  );
  const ingest = owned(new IngestService({ dataDir: options.dataDir, aws: environments, log, files }));

  const info: AppInfo = {
    name: 'Tributary',
    version: options.version,
    host: options.host,
    platform: process.platform,
    dataDir: options.dataDir,
    files: files.naming,
    secretBackend: secretStore.backend,
    secretsPersist: secretStore.persistent,
  };

  const handlers = assembleHandlers([
    notices.handlers(),
    settings.handlers(),
    environments.handlers(),
    secrets.handlers(),
    sandboxHandlers(sandbox),
    sessions.handlers(),
    workbench.handlers(),
    warehouse.handlers(),
    results.handlers(),
    pipeline.handlers(),
    ingest.handlers(),
    new ProvisionService({ dataDir: options.dataDir, environments, notices, log, keys: keyFiles, connections }).handlers(),
    {
      'app.info': () => info,
      'files.choose': (request) => files.choose(request),
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
  // In the background: the host must not wait for SSH logins to serve the renderer; the engines' ports wait instead.
  void sessions.restore().catch((error: unknown) => log.warn('sessions', 'Could not reopen the SSH sessions of the last run', error));
  return {
    handlers,
    log,
    info,
    dispose: async () => {
      // Emptied first: a second close has nothing left to end.
      for (const service of disposables.splice(0).reverse()) {
        try {
          await service.dispose();
        } catch (error) {
          // One that fails to end its work must not keep the others running.
          log.warn('core', `${service.constructor.name} did not close cleanly`, error);
        }
      }
    },
  };
}
