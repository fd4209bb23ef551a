import { EMRClient, ListClustersCommand } from '@aws-sdk/client-emr';
import { SANDBOX_ENVIRONMENT_ID, type ConnectionSpec } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/node/log.js';
import type { AwsAccess } from '../aws/clients.js';
import type { Engine } from '../engines/engine.js';
import { redshiftDataEngine } from '../engines/redshift-data.js';
import { RedshiftEngine, redshiftEngine } from '../engines/redshift.js';
import { sparkEngine } from '../engines/spark.js';
import type { RunFile } from '../../../sandbox/client/run-file.js';

/** A connection an environment offers by itself: not stored, not editable; `open` replaces its engine's own when given. */
export interface BuiltInConnection {
  id: string;
  name: string;
  spec: ConnectionSpec;
  open?: () => Engine;
}

/** The connections an environment contributes (the sandbox's; none elsewhere). */
export type BuiltInConnections = (environment: { id: string; kind: string }, signal: AbortSignal) => Promise<BuiltInConnection[]>;

/** The sandbox's own connections have ids of their own; the operator's start with `c-`, so the two never meet. */
export const isBuiltIn = (id: string): boolean => id.startsWith('sandbox-');

export interface SandboxConnectionsDeps {
  /** What the running sandbox published, its warehouse's admin login included (main process only). */
  run: () => RunFile | undefined;
  aws: AwsAccess;
  log: Logger;
}

/** The sandbox's warehouse over the wire protocol and its Data API, and Spark SQL on each of its running EMR clusters. */
export function sandboxConnections(deps: SandboxConnectionsDeps): BuiltInConnections {
  return async (environment, signal) => {
    const run = deps.run();
    if (environment.kind !== 'sandbox' || !run) return [];
    const warehouse = { clusterIdentifier: 'sandbox', database: 'dev', user: run.redshift.adminUser };
    const clusters = await (
      await deps.aws.aws(SANDBOX_ENVIRONMENT_ID)
    ).use(EMRClient, (emr) => emr.send(new ListClustersCommand({ ClusterStates: ['RUNNING', 'WAITING'] }), { abortSignal: signal }));
    return [
      {
        id: 'sandbox-warehouse',
        name: 'Sandbox warehouse (Redshift)',
        spec: { engine: redshiftEngine.kind, ...warehouse, auth: 'password', route: { kind: 'direct' } },
        // The emulator's wire endpoint and admin login are in the run file, not behind DescribeClusters.
        open: () =>
          new RedshiftEngine(async () => {
            const now = deps.run();
            if (!now) throw new AppError('UNAVAILABLE', 'The local sandbox is not running. Start it under Environments → Local sandbox.');
            const { host, port, adminUser, adminPassword } = now.redshift;
            deps.log.addSecret(adminPassword);
            return { host, port, database: 'dev', user: adminUser, password: adminPassword };
          }),
      },
      { id: 'sandbox-data-api', name: 'Sandbox warehouse (Data API)', spec: { engine: redshiftDataEngine.kind, ...warehouse } },
      ...(clusters.Clusters ?? []).flatMap((cluster) =>
        cluster.Id
          ? [
              {
                id: `sandbox-spark-${cluster.Id.toLowerCase()}`,
                name: `Spark SQL on ${cluster.Name ?? cluster.Id}`,
                spec: { engine: sparkEngine.kind, clusterId: cluster.Id },
              },
            ]
          : [],
      ),
    ];
  };
}
