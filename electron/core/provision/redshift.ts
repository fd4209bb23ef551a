import { randomInt } from 'node:crypto';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  DetachRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  RedshiftClient,
  type Cluster,
} from '@aws-sdk/client-redshift';
import {
  redshiftPasswordProblem,
  type ProvisionChunk,
  type RedshiftSpec,
  type ResourceRef,
  type SavedConnectionRef,
} from '../../../shared/contract/index.js';
import { step, waitGone, waitUntil, type Created, type RunContext } from './context.js';
import { aws, exists, ProvisionError, unlessNotFound } from '../aws/errors.js';
import { copyUnloadPolicy, managedTags, REDSHIFT_TRUST, tagList, tagRecord } from './plan.js';

const READY_TIMEOUT_MS = 60 * 60_000;

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
/** Printable ASCII without ' " \ / @ or space (Redshift's rule), and without shell or URL troublemakers. */
const SYMBOLS = '!#%^*()-_=+[]{}<>?.,:;~';

/** A Redshift master password from the OS's CSPRNG: 32 characters, meeting Redshift's rules. */
export function generatePassword(length = 32): string {
  const all = UPPER + LOWER + DIGITS + SYMBOLS;
  for (;;) {
    const chars = [UPPER, LOWER, DIGITS, SYMBOLS].map((set) => set[randomInt(set.length)]!);
    while (chars.length < length) chars.push(all[randomInt(all.length)]!);
    // Fisher–Yates, so the guaranteed classes are not always first.
    for (let i = chars.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j]!, chars[i]!];
    }
    const password = chars.join('');
    if (!redshiftPasswordProblem(password)) return password;
  }
}

async function describe(redshift: RedshiftClient, id: string, signal: AbortSignal): Promise<Cluster | undefined> {
  return (await unlessNotFound(() => redshift.send(new DescribeClustersCommand({ ClusterIdentifier: id }), { abortSignal: signal })))
    ?.Clusters?.[0];
}

export function clusterExists(ctx: RunContext, id: string): Promise<boolean> {
  return ctx.scope.use(RedshiftClient, async (redshift) => {
    return (await aws('redshift:DescribeClusters', `checking cluster ${id}`, () => describe(redshift, id, ctx.signal))) !== undefined;
  });
}

export function roleExists(ctx: RunContext, name: string): Promise<boolean> {
  return ctx.scope.use(IAMClient, async (iam) => {
    return await aws('iam:GetRole', `checking role ${name}`, () =>
      exists(() => iam.send(new GetRoleCommand({ RoleName: name }), { abortSignal: ctx.signal })),
    );
  });
}

/** The COPY/UNLOAD role: trusted by Redshift, with an inline policy on the one bucket. */
async function createCopyRole(
  ctx: RunContext,
  spec: { iamRole: { name: string; bucket: string }; pipeline?: string | undefined; kmsKeyId?: string | undefined },
): Promise<string> {
  const { name, bucket } = spec.iamRole;
  const what = `creating role ${name}`;
  return ctx.scope.use(IAMClient, async (iam) => {
    const created = await aws('iam:CreateRole', what, () =>
      iam.send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: JSON.stringify(REDSHIFT_TRUST),
          Description: `Redshift COPY and UNLOAD on s3://${bucket} (Tributary)`,
          Tags: tagList(managedTags(spec.pipeline)),
        }),
        { abortSignal: ctx.signal },
      ),
    );
    await ctx.created({ type: 'iam-role', id: name, name });
    await aws('iam:PutRolePolicy', what, () =>
      iam.send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: 'tributary-s3-copy-unload',
          PolicyDocument: JSON.stringify(copyUnloadPolicy(bucket, spec.kmsKeyId)),
        }),
        { abortSignal: ctx.signal },
      ),
    );
    const arn = created.Role?.Arn;
    if (!arn) throw new ProvisionError({ reason: 'failed', action: 'iam:CreateRole', message: `AWS gave no ARN for role ${name}.` });
    return arn;
  });
}

export async function deleteRole(ctx: RunContext, name: string): Promise<void> {
  const what = `deleting role ${name}`;
  return ctx.scope.use(IAMClient, async (iam) => {
    const inline = await aws('iam:ListRolePolicies', what, () =>
      iam.send(new ListRolePoliciesCommand({ RoleName: name }), { abortSignal: ctx.signal }),
    );
    for (const policy of inline.PolicyNames ?? [])
      await aws('iam:DeleteRolePolicy', what, () =>
        iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy }), { abortSignal: ctx.signal }),
      );
    const attached = await aws('iam:ListAttachedRolePolicies', what, () =>
      iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }), { abortSignal: ctx.signal }),
    );
    for (const policy of attached.AttachedPolicies ?? []) {
      if (policy.PolicyArn)
        await aws('iam:DetachRolePolicy', what, () =>
          iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: policy.PolicyArn }), { abortSignal: ctx.signal }),
        );
    }
    await aws('iam:DeleteRole', what, () => iam.send(new DeleteRoleCommand({ RoleName: name }), { abortSignal: ctx.signal }));
  });
}

const FAILED = new Set([
  'incompatible-hsm',
  'incompatible-network',
  'incompatible-parameters',
  'incompatible-restore',
  'hardware-failure',
  'storage-full',
  'deleting',
  'final-snapshot',
]);

/** The warehouse's COPY/UNLOAD role, as the spec asks: created (with its steps), an existing one's ARN, or none. */
export async function* copyRole(
  ctx: RunContext,
  spec: Pick<RedshiftSpec, 'iamRole' | 'pipeline'> & { kmsKeyId?: string | undefined },
): AsyncGenerator<ProvisionChunk, string | undefined> {
  if (spec.iamRole.mode === 'existing') return spec.iamRole.arn;
  if (spec.iamRole.mode === 'none') return undefined;
  yield step(ctx, 'iam-role', 'running', `Creating role ${spec.iamRole.name} for COPY and UNLOAD on s3://${spec.iamRole.bucket}`);
  const roleArn = await createCopyRole(ctx, { ...spec, iamRole: spec.iamRole });
  yield step(ctx, 'iam-role', 'done', `Role ${spec.iamRole.name} may read, write and list s3://${spec.iamRole.bucket} only`, {
    resource: { type: 'iam-role', id: spec.iamRole.name, name: spec.iamRole.name },
  });
  return roleArn;
}

export async function* createWarehouse(spec: RedshiftSpec, ctx: RunContext): AsyncGenerator<ProvisionChunk, Created> {
  const notes: string[] = [];
  const roleArn = yield* copyRole(ctx, spec);

  const password = spec.password === 'generate' ? generatePassword() : undefined;
  if (password) ctx.log.addSecret(password);
  const redshift = ctx.scope.client(RedshiftClient);
  const id = spec.identifier;
  const resource: ResourceRef = { type: 'redshift-cluster', id, name: id };
  const what = `creating Redshift cluster ${id}`;
  try {
    yield step(
      ctx,
      'create-cluster',
      'running',
      `Creating ${id}: ${spec.nodeCount} × ${spec.nodeType}, ${spec.publiclyAccessible ? 'publicly accessible' : 'not publicly accessible'}, ${spec.encrypted ? 'encrypted' : 'not encrypted'}`,
      { resource },
    );
    await aws('redshift:CreateCluster', what, () =>
      redshift.send(
        new CreateClusterCommand({
          ClusterIdentifier: id,
          DBName: spec.database,
          NodeType: spec.nodeType,
          ClusterType: spec.nodeCount === 1 ? 'single-node' : 'multi-node',
          ...(spec.nodeCount > 1 ? { NumberOfNodes: spec.nodeCount } : {}),
          MasterUsername: spec.masterUsername,
          ...(password ? { MasterUserPassword: password } : { ManageMasterPassword: true }),
          Port: spec.port,
          PubliclyAccessible: spec.publiclyAccessible,
          Encrypted: spec.encrypted,
          ...(spec.encrypted && spec.kmsKeyId ? { KmsKeyId: spec.kmsKeyId } : {}),
          ...(roleArn ? { IamRoles: [roleArn], DefaultIamRoleArn: roleArn } : {}),
          Tags: tagList(managedTags(spec.pipeline)),
        }),
        { abortSignal: ctx.signal },
      ),
    );
    await ctx.created(resource);

    // The connection is saved at once: a generated password is kept nowhere else.
    const connections: SavedConnectionRef[] = [
      await ctx.saveConnection({
        name: spec.connectionName ?? `Redshift ${id}`,
        spec: {
          engine: 'redshift',
          clusterIdentifier: id,
          database: spec.database,
          user: spec.masterUsername,
          auth: password ? 'password' : 'iam',
          ...(password ? { password } : {}),
          route: { kind: 'direct' },
        },
      }),
    ];
    if (!password)
      notes.push(
        'The master password is managed by AWS Secrets Manager; the connection signs in with temporary IAM credentials (GetClusterCredentials).',
      );
    if (!spec.publiclyAccessible && !ctx.scope.sandbox) {
      notes.push(
        `${id} is not publicly accessible: open an SSH session to the EMR master (or a bastion) and set the connection's route to it, which tunnels to port ${spec.port}.`,
      );
    }

    let described: Cluster | undefined;
    yield* waitUntil(
      ctx,
      'create-cluster',
      resource,
      async () => {
        described = await aws('redshift:DescribeClusters', what, () => describe(redshift, id, ctx.signal));
        const state = described?.ClusterStatus ?? 'creating';
        return {
          state,
          ready: state === 'available',
          ...(FAILED.has(state)
            ? { failed: `Redshift cluster ${id} is ${state}: ${described?.ClusterAvailabilityStatus ?? ''}`.trim() }
            : {}),
        };
      },
      READY_TIMEOUT_MS,
    );
    yield step(
      ctx,
      'create-cluster',
      'done',
      `${id} is available at ${described?.Endpoint?.Address ?? '?'}:${described?.Endpoint?.Port ?? spec.port}`,
      { resource, awsState: 'available' },
    );
    return { resource, notes, connections };
  } finally {
    redshift.destroy();
  }
}

export function finalSnapshotName(id: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 12);
  return `${id.slice(0, 63 - 7 - stamp.length)}-final-${stamp}`.replace(/--+/g, '-');
}

export async function* deleteWarehouse(
  ctx: RunContext,
  id: string,
  snapshot: string | undefined,
): AsyncGenerator<{ state: string; elapsedMs: number; message: string }, void> {
  const redshift = ctx.scope.client(RedshiftClient);
  const what = `deleting Redshift cluster ${id}`;
  try {
    // A cluster still being created, modified or rebooted cannot be deleted yet.
    yield* waitGone(
      ctx,
      'delete-cluster',
      `Cluster ${id}`,
      async () => {
        const state = (await aws('redshift:DescribeClusters', what, () => describe(redshift, id, ctx.signal)))?.ClusterStatus;
        return state === 'creating' || state === 'modifying' || state === 'rebooting' || state === 'resizing' ? state : undefined;
      },
      READY_TIMEOUT_MS,
    );
    await aws('redshift:DeleteCluster', what, () =>
      redshift.send(
        new DeleteClusterCommand({
          ClusterIdentifier: id,
          ...(snapshot
            ? { SkipFinalClusterSnapshot: false, FinalClusterSnapshotIdentifier: snapshot }
            : { SkipFinalClusterSnapshot: true }),
        }),
        { abortSignal: ctx.signal },
      ),
    );
    yield* waitGone(
      ctx,
      'delete-cluster',
      `Cluster ${id}`,
      async () => (await aws('redshift:DescribeClusters', what, () => describe(redshift, id, ctx.signal)))?.ClusterStatus ?? undefined,
      READY_TIMEOUT_MS,
    );
  } finally {
    redshift.destroy();
  }
}

export interface WarehouseSeen {
  id: string;
  state: string;
  nodeType: string;
  nodes: number;
  createdAt?: Date;
  tags: Record<string, string>;
}

export function listWarehouses(ctx: RunContext): Promise<WarehouseSeen[]> {
  return ctx.scope.use(RedshiftClient, async (redshift) => {
    const out: WarehouseSeen[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const answer = await aws('redshift:DescribeClusters', 'listing Redshift clusters', () =>
        redshift.send(new DescribeClustersCommand({ ...(marker ? { Marker: marker } : {}) }), { abortSignal: ctx.signal }),
      );
      for (const c of answer.Clusters ?? []) {
        if (!c.ClusterIdentifier) continue;
        out.push({
          id: c.ClusterIdentifier,
          state: c.ClusterStatus ?? 'unknown',
          nodeType: c.NodeType ?? '?',
          nodes: c.NumberOfNodes ?? 1,
          ...(c.ClusterCreateTime ? { createdAt: c.ClusterCreateTime } : {}),
          tags: tagRecord(c.Tags),
        });
      }
      marker = answer.Marker;
      if (!marker) break;
    }
    return out;
  });
}
