import { DescribeClusterCommand, EMRClient, ListClustersCommand, ListInstancesCommand } from '@aws-sdk/client-emr';
import { DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import type { ClusterSummary } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { AwsScope } from '../aws/clients.js';

/** The EMR clusters whose master can take SSH now or soon, through the same EMR API on the sandbox and on AWS. */
export function listClusters(aws: AwsScope, signal: AbortSignal): Promise<ClusterSummary[]> {
  return aws.use(EMRClient, async (emr) => {
    const answer = await emr.send(new ListClustersCommand({ ClusterStates: ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'] }), {
      abortSignal: signal,
    });
    return (answer.Clusters ?? []).map((c) => ({ id: c.Id ?? '', name: c.Name ?? '', state: c.Status?.State ?? '' }));
  });
}

export interface MasterAddress {
  host: string;
  clusterName: string;
  /** The EC2 key pair the cluster was started with, whose private key logs in. */
  keyName: string | undefined;
}

/** Where a cluster's master takes SSH: its public DNS name, else (a private subnet) the address of its instance. */
export function findMaster(aws: AwsScope, clusterId: string, signal: AbortSignal): Promise<MasterAddress> {
  return aws.use(EMRClient, async (emr) => {
    const cluster = (await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }), { abortSignal: signal })).Cluster;
    if (!cluster) throw new AppError('NOT_FOUND', `No EMR cluster ${clusterId}`);
    const state = cluster.Status?.State ?? '';
    if (!['RUNNING', 'WAITING'].includes(state))
      throw new AppError('CONFLICT', `Cluster ${cluster.Name} is ${state}; its master accepts SSH once it is WAITING or RUNNING.`);
    const clusterName = cluster.Name ?? clusterId;
    const instances = cluster.MasterPublicDnsName
      ? undefined
      : await emr.send(new ListInstancesCommand({ ClusterId: clusterId, InstanceGroupTypes: ['MASTER'] }), { abortSignal: signal });
    const host = cluster.MasterPublicDnsName ?? instances?.Instances?.[0]?.PrivateIpAddress ?? '';
    if (!host) throw new AppError('UNAVAILABLE', `EMR gives no address for the master of ${clusterName} yet.`);
    return { host, clusterName, keyName: cluster.Ec2InstanceAttributes?.Ec2KeyName };
  });
}

/** A Redshift cluster's endpoint, for a tunnel to it from a host in its VPC. */
export function redshiftEndpoint(
  aws: AwsScope,
  clusterIdentifier: string,
  signal: AbortSignal,
): Promise<{ address: string; port: number }> {
  return aws.use(RedshiftClient, async (redshift) => {
    const cluster = (await redshift.send(new DescribeClustersCommand({ ClusterIdentifier: clusterIdentifier }), { abortSignal: signal }))
      .Clusters?.[0];
    const endpoint = cluster?.Endpoint;
    if (!cluster || !endpoint?.Address || !endpoint.Port)
      throw new AppError(
        'UNAVAILABLE',
        `Redshift cluster ${clusterIdentifier} has no endpoint yet (${cluster?.ClusterStatus ?? 'not found'}).`,
      );
    return { address: endpoint.Address, port: endpoint.Port };
  });
}
