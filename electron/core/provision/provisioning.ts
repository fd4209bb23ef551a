import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Logger } from '../../../shared/node/log.js';
import type { AwsAccess, AwsScope } from '../aws/clients.js';
import type { RunContext } from './context.js';
import { ProvisionLedger } from './ledger.js';
import type { ConnectionStore, FileProblems, KeyFiles, RedshiftLogins } from './ports.js';

export interface ProvisionDeps {
  dataDir: string;
  environments: AwsAccess;
  notices: FileProblems;
  log: Logger;
  keys: KeyFiles;
  connections: ConnectionStore & RedshiftLogins;
}

/**
 * What the options, the validation, the runs and the inventory share: the
 * environment's AWS, the ledger, the run context the resource modules work in,
 * and the account ids already asked (the preview uses one without asking).
 */
export class Provisioning {
  readonly ledger: ProvisionLedger;
  private readonly accounts = new Map<string, string>();

  constructor(readonly deps: ProvisionDeps) {
    this.ledger = new ProvisionLedger(deps.dataDir, deps.notices);
  }

  get log(): Logger {
    return this.deps.log;
  }

  /** The active environment's AWS, or the named one's. */
  aws(environmentId?: string): Promise<AwsScope> {
    return this.deps.environments.aws(environmentId);
  }

  /** The context the resource modules work in; with a run id, what they create goes into that run's ledger entry. */
  context(scope: AwsScope, signal: AbortSignal, runId?: string): RunContext {
    const started = Date.now();
    const { environment } = scope;
    const { log, keys, connections, dataDir } = this.deps;
    return {
      scope,
      signal,
      log,
      dataDir,
      elapsed: () => Date.now() - started,
      created: async (ref, extra) => {
        log.info('provision', `Created ${ref.type} ${ref.id}${runId ? ` (run ${runId})` : ''} in ${environment.name}`);
        if (runId) await this.ledger.created(runId, ref, extra);
      },
      rememberKeyFile: (keyName, file) => keys.rememberKeyFile(keyName, file),
      saveConnection: async ({ name, spec }) => {
        const { id, route } = await connections.save({ name, environmentId: environment.id, spec });
        return { id, name, engine: spec.engine, route };
      },
      redshiftLogin: (connectionId) => connections.redshiftLogin(connectionId),
      accountId: () => this.accountId(scope, signal),
      pace: scope.sandbox ? { firstMs: 400, maxMs: 2_000 } : { firstMs: 5_000, maxMs: 30_000 },
    };
  }

  /** The account id (STS), asked once per environment; undefined when STS does not answer. */
  async accountId(scope: AwsScope, signal: AbortSignal): Promise<string | undefined> {
    const known = this.knownAccountId(scope.environment.id);
    if (known) return known;
    try {
      const account = (await scope.use(STSClient, (sts) => sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal }))).Account;
      if (account) this.accounts.set(scope.environment.id, account);
      return account;
    } catch {
      return undefined;
    }
  }

  knownAccountId(environmentId: string): string | undefined {
    return this.accounts.get(environmentId);
  }
}
