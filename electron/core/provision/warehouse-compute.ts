import { DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { GetWorkgroupCommand, RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import type { ConnectionSpec } from '../../../shared/contract/index.js';
import { unlessNotFound } from '../aws/errors.js';
import type { AwsScope } from '../aws/clients.js';

/** The sandbox's warehouse is no cluster AWS describes; its queries are priced as this smallest RA3 cluster would be. */
export const SANDBOX_WAREHOUSE = { nodeType: 'ra3.xlplus', count: 1 } as const;

export type WarehouseShape =
  | { kind: 'cluster'; nodeType: string; count: number; region: string; assumed?: string }
  | { kind: 'workgroup'; baseRpu: number; region: string };

const named = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

/**
 * What a Redshift connection's queries run on, for pricing: a workgroup's base RPUs from GetWorkgroup, or a
 * cluster's node type and count from DescribeClusters. Undefined when the connection names nothing AWS knows.
 */
export async function warehouseShape(scope: AwsScope, spec: ConnectionSpec, signal: AbortSignal): Promise<WarehouseShape | undefined> {
  const workgroupName = spec.warehouse === 'workgroup' ? named(spec.workgroupName) : undefined;
  if (workgroupName) {
    const workgroup = await scope.use(
      RedshiftServerlessClient,
      async (serverless) =>
        (await unlessNotFound(() => serverless.send(new GetWorkgroupCommand({ workgroupName }), { abortSignal: signal })))?.workgroup,
    );
    return workgroup?.baseCapacity ? { kind: 'workgroup', baseRpu: workgroup.baseCapacity, region: scope.region } : undefined;
  }
  const clusterIdentifier = named(spec.clusterIdentifier);
  if (!clusterIdentifier) return undefined;
  const cluster = await scope.use(
    RedshiftClient,
    async (redshift) =>
      (
        await unlessNotFound(() =>
          redshift.send(new DescribeClustersCommand({ ClusterIdentifier: clusterIdentifier }), { abortSignal: signal }),
        )
      )?.Clusters?.[0],
  );
  if (cluster?.NodeType) return { kind: 'cluster', nodeType: cluster.NodeType, count: cluster.NumberOfNodes ?? 1, region: scope.region };
  if (scope.sandbox)
    return { kind: 'cluster', ...SANDBOX_WAREHOUSE, region: scope.region, assumed: 'the sandbox, priced as the smallest RA3 cluster' };
  return undefined;
}
