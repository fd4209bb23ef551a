import { DescribeKeyPairsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EMRClient, ListReleaseLabelsCommand } from '@aws-sdk/client-emr';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import {
  EMR_APPLICATIONS,
  EMR_DEFAULT_RELEASE,
  EMR_INSTANCE_TYPES,
  REDSHIFT_NODE_TYPES,
  REDSHIFT_NODE_TYPE_NAMES,
  type ProvisionOptions,
} from '../../../shared/contract/index.js';
import type { AwsScope } from '../aws/clients.js';
import { explainAwsError } from '../aws/errors.js';
import * as emr from './emr.js';
import { instancePrice, nodePrice, priceTable } from './pricing.js';
import type { Provisioning } from './provisioning.js';

/**
 * What the wizards offer, discovered in the active environment: release labels,
 * key pairs, subnets, roles, buckets, with prices. A call AWS refuses leaves its
 * list empty and says why under `problems`; the rest still answers.
 */
export async function discoverOptions(base: Provisioning, signal: AbortSignal): Promise<ProvisionOptions> {
  const scope = await base.aws();
  const ctx = base.context(scope, signal);
  const { region, environment } = scope;
  const problems: string[] = [];
  const attempt = async <T>(what: string, run: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      problems.push(explainAwsError(error, what, `listing ${what}`).message);
      return fallback;
    }
  };
  const [accountId, releases, keyPairs, subnets, roles, buckets] = await Promise.all([
    base.accountId(scope, signal),
    attempt('elasticmapreduce:ListReleaseLabels', () => newestRelease(scope, signal), {
      labels: [EMR_DEFAULT_RELEASE],
      newest: EMR_DEFAULT_RELEASE,
    }),
    attempt(
      'ec2:DescribeKeyPairs',
      async () => (await scope.use(EC2Client, (ec2) => ec2.send(new DescribeKeyPairsCommand({}), { abortSignal: signal }))).KeyPairs ?? [],
      [],
    ),
    attempt(
      'ec2:DescribeSubnets',
      async () => (await scope.use(EC2Client, (ec2) => ec2.send(new DescribeSubnetsCommand({}), { abortSignal: signal }))).Subnets ?? [],
      [],
    ),
    attempt(
      'iam:ListRoles',
      async () =>
        (await scope.use(IAMClient, (iam) => iam.send(new ListRolesCommand({ MaxItems: 1000 }), { abortSignal: signal }))).Roles ?? [],
      [],
    ),
    attempt(
      's3:ListAllMyBuckets',
      async () => (await scope.use(S3Client, (s3) => s3.send(new ListBucketsCommand({}), { abortSignal: signal }))).Buckets ?? [],
      [],
    ),
  ]);
  const defaults = await attempt('iam:GetRole', () => emr.defaultRolesPresent(ctx), { service: false, instanceProfile: false });
  const keyFiles = new Set(await base.deps.keys.rememberedKeyNames());
  return {
    environment: { id: environment.id, kind: environment.kind, region },
    ...(accountId ? { accountId } : {}),
    releaseLabels: releases.labels,
    defaultReleaseLabel: releases.newest,
    keyPairs: keyPairs
      .filter((k) => k.KeyName)
      .map((k) => ({
        name: k.KeyName!,
        hasKeyFile: keyFiles.has(k.KeyName!) || (scope.sandbox && k.KeyName === 'tributary-sandbox'),
      })),
    subnets: subnets
      .map((s) => ({
        id: s.SubnetId ?? '',
        vpcId: s.VpcId ?? '',
        availabilityZone: s.AvailabilityZone ?? '',
        cidr: s.CidrBlock ?? '',
        defaultForAz: s.DefaultForAz ?? false,
      }))
      .filter((s) => s.id),
    roles: {
      emrServiceRole: defaults.service,
      emrInstanceProfile: defaults.instanceProfile,
      redshiftCandidates: roles
        .filter(
          (r) =>
            r.RoleName &&
            r.Arn &&
            (r.AssumeRolePolicyDocument ? decodeURIComponent(r.AssumeRolePolicyDocument).includes('redshift.amazonaws.com') : false),
        )
        .map((r) => ({ name: r.RoleName!, arn: r.Arn! })),
    },
    buckets: buckets.map((b) => b.Name ?? '').filter(Boolean),
    applications: EMR_APPLICATIONS,
    instanceTypes: EMR_INSTANCE_TYPES.map((type) => {
      const p = instancePrice(region, type);
      return { type, ...(p.ec2 !== undefined ? { usdPerHour: p.ec2 } : {}), ...(p.emr !== undefined ? { emrUsdPerHour: p.emr } : {}) };
    }),
    nodeTypes: REDSHIFT_NODE_TYPE_NAMES.map((type) => {
      const t = REDSHIFT_NODE_TYPES[type];
      const price = nodePrice(region, type);
      return {
        type,
        vcpu: t.vcpu,
        memoryGiB: t.memoryGiB,
        storage: t.storage,
        minNodes: t.singleNode ? 1 : 2,
        maxNodes: t.maxNodes,
        ...(price !== undefined ? { usdPerHour: price } : {}),
      };
    }),
    priceTableDate: priceTable.date,
    problems,
  };
}

/** Every EMR release label (newest first) and the newest 7.x, which the wizards default to. */
export function newestRelease(scope: AwsScope, signal: AbortSignal): Promise<{ labels: string[]; newest: string }> {
  return scope.use(EMRClient, async (client) => {
    const labels: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const answer = await client.send(
        new ListReleaseLabelsCommand({ ...(token ? { NextToken: token } : {}), Filters: { Prefix: 'emr-' } }),
        { abortSignal: signal },
      );
      labels.push(...(answer.ReleaseLabels ?? []));
      token = answer.NextToken;
      if (!token) break;
    }
    const sorted = [...new Set(labels)].sort(compareRelease).reverse();
    return { labels: sorted, newest: sorted.find((l) => l.startsWith('emr-7.')) ?? EMR_DEFAULT_RELEASE };
  });
}

function compareRelease(a: string, b: string): number {
  const pa = a.replace(/^emr-/, '').split('.').map(Number);
  const pb = b.replace(/^emr-/, '').split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}
