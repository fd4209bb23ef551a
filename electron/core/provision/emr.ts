import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateKeyPairCommand, DeleteKeyPairCommand, DescribeKeyPairsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  DescribeClusterCommand,
  EMRClient,
  ListClustersCommand,
  ListInstanceGroupsCommand,
  RunJobFlowCommand,
  TerminateJobFlowsCommand,
  type Cluster,
  type InstanceGroupConfig,
} from '@aws-sdk/client-emr';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import type { EmrSpec, ProvisionChunk, ResourceRef } from '../../../shared/contract/index.js';
import { step, waitGone, waitUntil, type Created, type RunContext } from './context.js';
import { aws, exists, ProvisionError } from '../aws/errors.js';
import { EMR_DEFAULT_ROLES, managedTags, tagList, tagRecord, THRIFT_STEP_ARGS } from './plan.js';
import { sparkEngine } from '../engines/spark.js';

const READY_TIMEOUT_MS = 45 * 60_000;

export function defaultRolesPresent(ctx: RunContext): Promise<{ service: boolean; instanceProfile: boolean }> {
  return ctx.scope.use(IAMClient, async (iam) => {
    const service = await aws('iam:GetRole', 'checking EMR_DefaultRole', () =>
      exists(() => iam.send(new GetRoleCommand({ RoleName: EMR_DEFAULT_ROLES.service.name }), { abortSignal: ctx.signal })),
    );
    const instanceProfile = await aws('iam:GetInstanceProfile', 'checking the EMR_EC2_DefaultRole instance profile', () =>
      exists(() =>
        iam.send(new GetInstanceProfileCommand({ InstanceProfileName: EMR_DEFAULT_ROLES.instance.name }), { abortSignal: ctx.signal }),
      ),
    );
    return { service, instanceProfile };
  });
}

/** As `aws emr create-default-roles`: EMR_DefaultRole and EMR_EC2_DefaultRole with AWS's managed policies, and the instance profile. Only what is missing. */
async function* ensureDefaultRoles(ctx: RunContext): AsyncGenerator<ProvisionChunk, void> {
  const what = 'creating the EMR default roles';
  const made = await ctx.scope.use(IAMClient, async (iam) => {
    const names: string[] = [];
    for (const role of [EMR_DEFAULT_ROLES.service, EMR_DEFAULT_ROLES.instance]) {
      const present = await aws('iam:GetRole', what, () =>
        exists(() => iam.send(new GetRoleCommand({ RoleName: role.name }), { abortSignal: ctx.signal })),
      );
      if (present) continue;
      await aws('iam:CreateRole', what, () =>
        iam.send(new CreateRoleCommand({ RoleName: role.name, AssumeRolePolicyDocument: JSON.stringify(role.trust) }), {
          abortSignal: ctx.signal,
        }),
      );
      // Account-wide defaults other clusters use: kept when a run is cleaned up.
      await ctx.created({ type: 'iam-role', id: role.name, name: role.name }, { keep: true });
      await aws('iam:AttachRolePolicy', what, () =>
        iam.send(new AttachRolePolicyCommand({ RoleName: role.name, PolicyArn: role.policyArn }), { abortSignal: ctx.signal }),
      );
      names.push(role.name);
    }
    const profile = EMR_DEFAULT_ROLES.instance.name;
    const hasProfile = await aws('iam:GetInstanceProfile', what, () =>
      exists(() => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profile }), { abortSignal: ctx.signal })),
    );
    if (!hasProfile) {
      await aws('iam:CreateInstanceProfile', what, () =>
        iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: profile }), { abortSignal: ctx.signal }),
      );
      await aws('iam:AddRoleToInstanceProfile', what, () =>
        iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: profile, RoleName: profile }), { abortSignal: ctx.signal }),
      );
      names.push(`instance profile ${profile}`);
    }
    return names;
  });
  yield step(
    ctx,
    'roles',
    made.length ? 'done' : 'skipped',
    made.length
      ? `Created ${made.join(', ')}, as aws emr create-default-roles does`
      : 'EMR_DefaultRole and EMR_EC2_DefaultRole are already there',
  );
}

export function keyPairExists(ctx: RunContext, name: string): Promise<boolean> {
  return ctx.scope.use(EC2Client, async (ec2) => {
    return await aws('ec2:DescribeKeyPairs', `checking key pair ${name}`, () =>
      exists(() => ec2.send(new DescribeKeyPairsCommand({ KeyNames: [name] }), { abortSignal: ctx.signal })),
    );
  });
}

export function keyFilePath(dataDir: string, keyName: string): string {
  return join(dataDir, 'ssh-keys', `${keyName.replace(/[^A-Za-z0-9._-]/g, '_')}.pem`);
}

/** CreateKeyPair, its private key written once to <data>/ssh-keys/<name>.pem with mode 0600 and remembered for SSH sessions. */
function createKeyPair(ctx: RunContext, name: string, pipeline: string | undefined): Promise<string> {
  return ctx.scope.use(EC2Client, async (ec2) => {
    const answer = await aws('ec2:CreateKeyPair', `creating key pair ${name}`, () =>
      ec2.send(
        new CreateKeyPairCommand({
          KeyName: name,
          KeyType: 'rsa',
          KeyFormat: 'pem',
          TagSpecifications: [{ ResourceType: 'key-pair', Tags: tagList(managedTags(pipeline)) }],
        }),
        { abortSignal: ctx.signal },
      ),
    );
    const file = keyFilePath(ctx.dataDir, name);
    await ctx.created({ type: 'ec2-key-pair', id: name, name }, { keyFile: file });
    if (!answer.KeyMaterial)
      throw new ProvisionError({ reason: 'failed', action: 'ec2:CreateKeyPair', message: `AWS gave no private key for key pair ${name}.` });
    mkdirSync(join(ctx.dataDir, 'ssh-keys'), { recursive: true, mode: 0o700 });
    // AWS just made this name, so a file by that name is a leftover of a key pair since deleted.
    rmSync(file, { force: true });
    writeFileSync(file, answer.KeyMaterial.endsWith('\n') ? answer.KeyMaterial : `${answer.KeyMaterial}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    await ctx.rememberKeyFile(name, file);
    return file;
  });
}

export function deleteKeyPair(ctx: RunContext, name: string, keyFile?: string): Promise<void> {
  return ctx.scope.use(EC2Client, async (ec2) => {
    await aws('ec2:DeleteKeyPair', `deleting key pair ${name}`, () =>
      ec2.send(new DeleteKeyPairCommand({ KeyName: name }), { abortSignal: ctx.signal }),
    );
    if (keyFile) rmSync(keyFile, { force: true });
  });
}

/** The instance groups `aws emr create-cluster --instance-type T --instance-count N` sends: one master, N-1 core. */
export function instanceGroups(spec: EmrSpec): InstanceGroupConfig[] {
  const i = spec.instances;
  if (i.mode === 'uniform') {
    return [
      { Name: 'Master', InstanceRole: 'MASTER', InstanceType: i.instanceType, InstanceCount: 1, Market: 'ON_DEMAND' },
      ...(i.count > 1
        ? [
            {
              Name: 'Core',
              InstanceRole: 'CORE' as const,
              InstanceType: i.instanceType,
              InstanceCount: i.count - 1,
              Market: 'ON_DEMAND' as const,
            },
          ]
        : []),
    ];
  }
  return [
    { Name: 'Master', InstanceRole: 'MASTER', InstanceType: i.master.instanceType, InstanceCount: 1, Market: 'ON_DEMAND' },
    ...(i.core
      ? [
          {
            Name: 'Core',
            InstanceRole: 'CORE' as const,
            InstanceType: i.core.instanceType,
            InstanceCount: i.core.count,
            Market: i.core.market,
          },
        ]
      : []),
    ...(i.task
      ? [
          {
            Name: 'Task',
            InstanceRole: 'TASK' as const,
            InstanceType: i.task.instanceType,
            InstanceCount: i.task.count,
            Market: i.task.market,
          },
        ]
      : []),
  ];
}

const FAILED_STATES = new Set(['TERMINATED', 'TERMINATED_WITH_ERRORS', 'TERMINATING']);

export async function* createCluster(spec: EmrSpec, ctx: RunContext): AsyncGenerator<ProvisionChunk, Created> {
  const notes: string[] = [];
  if (spec.createDefaultRoles) {
    yield step(ctx, 'roles', 'running', 'Checking EMR_DefaultRole and EMR_EC2_DefaultRole');
    yield* ensureDefaultRoles(ctx);
  } else {
    const present = await defaultRolesPresent(ctx);
    if (!present.service || !present.instanceProfile) {
      throw new ProvisionError({
        reason: 'invalid',
        message: `${!present.service ? 'EMR_DefaultRole' : 'The EMR_EC2_DefaultRole instance profile'} does not exist; let the wizard create the default roles (as aws emr create-default-roles does).`,
      });
    }
  }

  let keyFile: string | undefined;
  if (spec.keyPair.mode === 'create') {
    yield step(ctx, 'key-pair', 'running', `Creating key pair ${spec.keyPair.name}`);
    keyFile = await createKeyPair(ctx, spec.keyPair.name, spec.pipeline);
    yield step(ctx, 'key-pair', 'done', `Key pair ${spec.keyPair.name} created; its private key is in ${keyFile} (mode 0600)`);
  } else if (!(await keyPairExists(ctx, spec.keyPair.name))) {
    throw new ProvisionError({
      reason: 'invalid',
      awsCode: 'InvalidKeyPair.NotFound',
      action: 'ec2:DescribeKeyPairs',
      message: `Key pair ${spec.keyPair.name} does not exist in ${ctx.scope.region}; pick another or let the wizard create one.`,
    });
  }

  const emr = ctx.scope.client(EMRClient);
  const what = `creating EMR cluster ${spec.name}`;
  try {
    const thrift = spec.startThriftServer && !ctx.scope.sandbox;
    if (spec.startThriftServer && ctx.scope.sandbox)
      notes.push('The sandbox master runs the Spark Thrift Server already; no step was added.');
    yield step(ctx, 'create-cluster', 'running', `Creating ${spec.name} (${spec.releaseLabel}, ${spec.applications.join(', ')})`);
    const answer = await aws('elasticmapreduce:RunJobFlow', what, () =>
      emr.send(
        new RunJobFlowCommand({
          Name: spec.name,
          ReleaseLabel: spec.releaseLabel,
          Applications: spec.applications.map((Name) => ({ Name })),
          Instances: {
            InstanceGroups: instanceGroups(spec),
            KeepJobFlowAliveWhenNoSteps: true,
            TerminationProtected: false,
            Ec2KeyName: spec.keyPair.name,
            ...(spec.subnetId ? { Ec2SubnetId: spec.subnetId } : {}),
          },
          JobFlowRole: EMR_DEFAULT_ROLES.instance.name,
          ServiceRole: EMR_DEFAULT_ROLES.service.name,
          VisibleToAllUsers: true,
          ...(spec.logUri ? { LogUri: spec.logUri } : {}),
          ...(spec.autoTermination.enabled ? { AutoTerminationPolicy: { IdleTimeout: spec.autoTermination.idleMinutes * 60 } } : {}),
          ...(thrift
            ? {
                Steps: [
                  {
                    Name: 'Start Spark Thrift Server',
                    ActionOnFailure: 'CONTINUE',
                    HadoopJarStep: { Jar: 'command-runner.jar', Args: THRIFT_STEP_ARGS },
                  },
                ],
              }
            : {}),
          Tags: tagList(managedTags(spec.pipeline)),
        }),
        { abortSignal: ctx.signal },
      ),
    );
    const id = answer.JobFlowId;
    if (!id)
      throw new ProvisionError({
        reason: 'failed',
        action: 'elasticmapreduce:RunJobFlow',
        message: `AWS gave no cluster id for ${spec.name}.`,
      });
    const resource: ResourceRef = { type: 'emr-cluster', id, name: spec.name };
    await ctx.created(resource);
    yield step(ctx, 'create-cluster', 'running', `Cluster ${id} accepted`, { resource });

    let described: Cluster | undefined;
    yield* waitUntil(
      ctx,
      'create-cluster',
      resource,
      async () => {
        described = (
          await aws('elasticmapreduce:DescribeCluster', what, () =>
            emr.send(new DescribeClusterCommand({ ClusterId: id }), { abortSignal: ctx.signal }),
          )
        ).Cluster;
        const state = described?.Status?.State ?? 'STARTING';
        const reason = described?.Status?.StateChangeReason;
        return {
          state,
          ready: state === 'WAITING' || state === 'RUNNING',
          ...(FAILED_STATES.has(state)
            ? {
                failed: `EMR cluster ${spec.name} ended ${state}${reason?.Code ? ` (${reason.Code})` : ''}: ${reason?.Message ?? 'no reason given'}`,
              }
            : {}),
        };
      },
      READY_TIMEOUT_MS,
    );
    // Tags are part of RunJobFlow; an endpoint that dropped them gets them again.
    const tags = managedTags(spec.pipeline);
    const missing = Object.entries(tags).filter(([k, v]) => !(described?.Tags ?? []).some((t) => t.Key === k && t.Value === v));
    if (missing.length)
      await aws('elasticmapreduce:AddTags', what, () =>
        emr.send(new AddTagsCommand({ ResourceId: id, Tags: missing.map(([Key, Value]) => ({ Key, Value })) }), {
          abortSignal: ctx.signal,
        }),
      );
    yield step(
      ctx,
      'create-cluster',
      'done',
      `${spec.name} is ${described?.Status?.State ?? 'WAITING'}${described?.MasterPublicDnsName ? ` (master ${described.MasterPublicDnsName})` : ''}`,
      { resource, awsState: described?.Status?.State ?? 'WAITING' },
    );
    if (spec.autoTermination.enabled) notes.push(`${spec.name} terminates itself after ${spec.autoTermination.idleMinutes} minutes idle.`);

    const connections = [];
    if (spec.applications.includes('Spark')) {
      connections.push(await ctx.saveConnection({ name: `Spark SQL on ${spec.name}`, spec: { engine: sparkEngine.kind, clusterId: id } }));
      notes.push('Spark SQL runs through an SSH session to the master: open one under Sessions (it tunnels port 10001).');
    }
    return { resource, notes, connections, ...(keyFile ? { keyFile } : {}) };
  } finally {
    emr.destroy();
  }
}

export async function* terminateCluster(
  ctx: RunContext,
  id: string,
): AsyncGenerator<{ state: string; elapsedMs: number; message: string }, void> {
  const emr = ctx.scope.client(EMRClient);
  const what = `terminating EMR cluster ${id}`;
  try {
    await aws('elasticmapreduce:TerminateJobFlows', what, () =>
      emr.send(new TerminateJobFlowsCommand({ JobFlowIds: [id] }), { abortSignal: ctx.signal }),
    );
    yield* waitGone(
      ctx,
      'terminate-cluster',
      `Cluster ${id}`,
      async () => {
        const state = (
          await aws('elasticmapreduce:DescribeCluster', what, () =>
            emr.send(new DescribeClusterCommand({ ClusterId: id }), { abortSignal: ctx.signal }),
          )
        ).Cluster?.Status?.State;
        return state === 'TERMINATED' || state === 'TERMINATED_WITH_ERRORS' || state === undefined ? undefined : state;
      },
      READY_TIMEOUT_MS,
    );
  } finally {
    emr.destroy();
  }
}

export interface ClusterSeen {
  id: string;
  name: string;
  state: string;
  createdAt?: Date;
  tags: Record<string, string>;
  groups: { instanceType: string; count: number }[];
}

export function listClusters(ctx: RunContext): Promise<ClusterSeen[]> {
  return ctx.scope.use(EMRClient, async (emr) => {
    const answer = await aws('elasticmapreduce:ListClusters', 'listing EMR clusters', () =>
      emr.send(new ListClustersCommand({ ClusterStates: ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING', 'TERMINATING'] }), {
        abortSignal: ctx.signal,
      }),
    );
    const seen = await Promise.all(
      (answer.Clusters ?? []).slice(0, 100).map(async (summary): Promise<ClusterSeen | undefined> => {
        if (!summary.Id) return undefined;
        const cluster = (
          await aws('elasticmapreduce:DescribeCluster', 'listing EMR clusters', () =>
            emr.send(new DescribeClusterCommand({ ClusterId: summary.Id }), { abortSignal: ctx.signal }),
          )
        ).Cluster;
        const groups = await aws('elasticmapreduce:ListInstanceGroups', 'listing EMR clusters', () =>
          emr.send(new ListInstanceGroupsCommand({ ClusterId: summary.Id }), { abortSignal: ctx.signal }),
        ).catch(() => ({ InstanceGroups: [] }));
        const created = summary.Status?.Timeline?.CreationDateTime;
        return {
          id: summary.Id,
          name: summary.Name ?? summary.Id,
          state: summary.Status?.State ?? 'UNKNOWN',
          ...(created ? { createdAt: created } : {}),
          tags: tagRecord(cluster?.Tags),
          groups: (groups.InstanceGroups ?? []).map((g) => ({
            instanceType: g.InstanceType ?? '?',
            count: g.RequestedInstanceCount ?? g.RunningInstanceCount ?? 0,
          })),
        };
      }),
    );
    return seen.filter((c): c is ClusterSeen => c !== undefined);
  });
}
