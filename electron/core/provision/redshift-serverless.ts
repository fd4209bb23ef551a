import {
  CreateNamespaceCommand,
  CreateWorkgroupCommand,
  DeleteNamespaceCommand,
  DeleteWorkgroupCommand,
  GetNamespaceCommand,
  GetWorkgroupCommand,
  ListNamespacesCommand,
  ListTagsForResourceCommand,
  ListWorkgroupsCommand,
  RedshiftServerlessClient,
  type Namespace,
  type Workgroup,
} from '@aws-sdk/client-redshift-serverless';
import type { ProvisionChunk, RedshiftServerlessSpec, ResourceRef, SavedConnectionRef } from '../../../shared/contract/index.js';
import { aws, unlessNotFound } from '../aws/errors.js';
import { step, waitGone, waitUntil, type Created, type RunContext } from './context.js';
import { managedTags } from './plan.js';
import { copyRole, generatePassword } from './redshift.js';

const READY_TIMEOUT_MS = 30 * 60_000;

/** Redshift Serverless' tags are `{ key, value }`, lowercase. */
const serverlessTags = (pipeline: string | undefined) => Object.entries(managedTags(pipeline)).map(([key, value]) => ({ key, value }));

function getWorkgroup(serverless: RedshiftServerlessClient, name: string, signal: AbortSignal): Promise<Workgroup | undefined> {
  return unlessNotFound(
    async () => (await serverless.send(new GetWorkgroupCommand({ workgroupName: name }), { abortSignal: signal })).workgroup,
  );
}

function getNamespace(serverless: RedshiftServerlessClient, name: string, signal: AbortSignal): Promise<Namespace | undefined> {
  return unlessNotFound(
    async () => (await serverless.send(new GetNamespaceCommand({ namespaceName: name }), { abortSignal: signal })).namespace,
  );
}

export function namespaceExists(ctx: RunContext, name: string): Promise<boolean> {
  return ctx.scope.use(
    RedshiftServerlessClient,
    async (serverless) =>
      (await aws('redshift-serverless:GetNamespace', `checking namespace ${name}`, () => getNamespace(serverless, name, ctx.signal))) !==
      undefined,
  );
}

export function workgroupExists(ctx: RunContext, name: string): Promise<boolean> {
  return ctx.scope.use(
    RedshiftServerlessClient,
    async (serverless) =>
      (await aws('redshift-serverless:GetWorkgroup', `checking workgroup ${name}`, () => getWorkgroup(serverless, name, ctx.signal))) !==
      undefined,
  );
}

/**
 * The namespace (database, admin user, COPY role) and then its workgroup, waited for until AVAILABLE; the
 * connection to the workgroup is saved as soon as the namespace exists, since a generated password is kept nowhere else.
 */
export async function* createServerless(spec: RedshiftServerlessSpec, ctx: RunContext): AsyncGenerator<ProvisionChunk, Created> {
  const notes: string[] = [];
  const roleArn = yield* copyRole(ctx, spec);
  const password = spec.password === 'generate' ? generatePassword() : undefined;
  if (password) ctx.log.addSecret(password);
  const serverless = ctx.scope.client(RedshiftServerlessClient);
  const namespace: ResourceRef = { type: 'redshift-namespace', id: spec.namespaceName, name: spec.namespaceName };
  const workgroup: ResourceRef = { type: 'redshift-workgroup', id: spec.workgroupName, name: spec.workgroupName };
  try {
    yield step(
      ctx,
      'create-namespace',
      'running',
      `Creating namespace ${spec.namespaceName}: database ${spec.database}, admin ${spec.adminUsername}`,
      {
        resource: namespace,
      },
    );
    await aws('redshift-serverless:CreateNamespace', `creating namespace ${spec.namespaceName}`, () =>
      serverless.send(
        new CreateNamespaceCommand({
          namespaceName: spec.namespaceName,
          dbName: spec.database,
          adminUsername: spec.adminUsername,
          ...(password ? { adminUserPassword: password } : { manageAdminPassword: true }),
          ...(roleArn ? { iamRoles: [roleArn], defaultIamRoleArn: roleArn } : {}),
          tags: serverlessTags(spec.pipeline),
        }),
        { abortSignal: ctx.signal },
      ),
    );
    await ctx.created(namespace);
    yield step(ctx, 'create-namespace', 'done', `Namespace ${spec.namespaceName} is available`, {
      resource: namespace,
      awsState: 'AVAILABLE',
    });

    yield step(
      ctx,
      'create-workgroup',
      'running',
      `Creating workgroup ${spec.workgroupName}: base ${spec.baseCapacity} RPUs${spec.maxCapacity ? `, at most ${spec.maxCapacity}` : ''}, ${spec.publiclyAccessible ? 'publicly accessible' : 'not publicly accessible'}`,
      { resource: workgroup },
    );
    await aws('redshift-serverless:CreateWorkgroup', `creating workgroup ${spec.workgroupName}`, () =>
      serverless.send(
        new CreateWorkgroupCommand({
          workgroupName: spec.workgroupName,
          namespaceName: spec.namespaceName,
          baseCapacity: spec.baseCapacity,
          ...(spec.maxCapacity !== undefined ? { maxCapacity: spec.maxCapacity } : {}),
          publiclyAccessible: spec.publiclyAccessible,
          tags: serverlessTags(spec.pipeline),
        }),
        { abortSignal: ctx.signal },
      ),
    );
    await ctx.created(workgroup);

    const connections: SavedConnectionRef[] = [
      await ctx.saveConnection({
        name: spec.connectionName ?? `Redshift Serverless ${spec.workgroupName}`,
        spec: {
          engine: 'redshift',
          warehouse: 'workgroup',
          workgroupName: spec.workgroupName,
          database: spec.database,
          user: spec.adminUsername,
          auth: password ? 'password' : 'iam',
          ...(password ? { password } : {}),
          route: { kind: 'direct' },
        },
      }),
    ];
    if (!password)
      notes.push(
        'The admin password is managed by AWS Secrets Manager; the connection signs in with temporary IAM credentials (GetCredentials).',
      );
    notes.push('A workgroup is billed per RPU-second while it runs queries (60 s minimum each time it wakes), and nothing while idle.');

    let seen: Workgroup | undefined;
    yield* waitUntil(
      ctx,
      'create-workgroup',
      workgroup,
      async () => {
        seen = await aws('redshift-serverless:GetWorkgroup', `creating workgroup ${spec.workgroupName}`, () =>
          getWorkgroup(serverless, spec.workgroupName, ctx.signal),
        );
        const state = seen?.status ?? 'CREATING';
        return { state, ready: state === 'AVAILABLE' };
      },
      READY_TIMEOUT_MS,
    );
    yield step(
      ctx,
      'create-workgroup',
      'done',
      `${spec.workgroupName} is available at ${seen?.endpoint?.address ?? '?'}:${seen?.endpoint?.port ?? '?'}`,
      { resource: workgroup, awsState: 'AVAILABLE' },
    );
    return { resource: workgroup, notes, connections };
  } finally {
    serverless.destroy();
  }
}

/** Deletes a workgroup once it may be (not while CREATING or MODIFYING), and waits until it is gone. */
export async function* deleteWorkgroup(
  ctx: RunContext,
  name: string,
): AsyncGenerator<{ state: string; elapsedMs: number; message: string }> {
  const serverless = ctx.scope.client(RedshiftServerlessClient);
  const what = `deleting workgroup ${name}`;
  const status = async () =>
    (await aws('redshift-serverless:GetWorkgroup', what, () => getWorkgroup(serverless, name, ctx.signal)))?.status ?? undefined;
  try {
    yield* waitGone(
      ctx,
      'delete-workgroup',
      `Workgroup ${name}`,
      async () => {
        const state = await status();
        return state === 'CREATING' || state === 'MODIFYING' ? state : undefined;
      },
      READY_TIMEOUT_MS,
    );
    if ((await status()) === 'AVAILABLE')
      await aws('redshift-serverless:DeleteWorkgroup', what, () =>
        serverless.send(new DeleteWorkgroupCommand({ workgroupName: name }), { abortSignal: ctx.signal }),
      );
    yield* waitGone(ctx, 'delete-workgroup', `Workgroup ${name}`, status, READY_TIMEOUT_MS);
  } finally {
    serverless.destroy();
  }
}

/** Deletes a namespace: its workgroup first (AWS refuses otherwise), then the namespace, waiting until each is gone. */
export async function* deleteNamespace(
  ctx: RunContext,
  name: string,
): AsyncGenerator<{ state: string; elapsedMs: number; message: string }> {
  for (const workgroup of (await listServerless(ctx)).workgroups.filter((w) => w.namespaceName === name))
    yield* deleteWorkgroup(ctx, workgroup.name);
  const serverless = ctx.scope.client(RedshiftServerlessClient);
  const what = `deleting namespace ${name}`;
  try {
    const state = (await aws('redshift-serverless:GetNamespace', what, () => getNamespace(serverless, name, ctx.signal)))?.status;
    if (state === 'AVAILABLE')
      await aws('redshift-serverless:DeleteNamespace', what, () =>
        serverless.send(new DeleteNamespaceCommand({ namespaceName: name }), { abortSignal: ctx.signal }),
      );
    yield* waitGone(
      ctx,
      'delete-namespace',
      `Namespace ${name}`,
      async () =>
        (await aws('redshift-serverless:GetNamespace', what, () => getNamespace(serverless, name, ctx.signal)))?.status ?? undefined,
      READY_TIMEOUT_MS,
    );
  } finally {
    serverless.destroy();
  }
}

export interface NamespaceSeen {
  name: string;
  state: string;
  database: string;
  createdAt?: Date;
  tags: Record<string, string>;
}

export interface WorkgroupSeen {
  name: string;
  namespaceName: string;
  state: string;
  baseCapacity: number;
  endpoint?: string;
  createdAt?: Date;
  tags: Record<string, string>;
}

/** Every namespace and workgroup of the region, with their tags (ListTagsForResource per resource, as the API has it). */
export function listServerless(ctx: RunContext): Promise<{ namespaces: NamespaceSeen[]; workgroups: WorkgroupSeen[] }> {
  return ctx.scope.use(RedshiftServerlessClient, async (serverless) => {
    const tagsOf = async (arn: string | undefined) => {
      if (!arn) return {};
      const answer = await aws('redshift-serverless:ListTagsForResource', 'listing Redshift Serverless tags', () =>
        serverless.send(new ListTagsForResourceCommand({ resourceArn: arn }), { abortSignal: ctx.signal }),
      );
      return Object.fromEntries((answer.tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));
    };
    const namespaces: NamespaceSeen[] = [];
    const workgroups: WorkgroupSeen[] = [];
    let token: string | undefined;
    do {
      const page = await aws('redshift-serverless:ListNamespaces', 'listing Redshift Serverless namespaces', () =>
        serverless.send(new ListNamespacesCommand({ ...(token ? { nextToken: token } : {}) }), { abortSignal: ctx.signal }),
      );
      for (const n of page.namespaces ?? [])
        if (n.namespaceName)
          namespaces.push({
            name: n.namespaceName,
            state: n.status ?? 'unknown',
            database: n.dbName ?? '',
            ...(n.creationDate ? { createdAt: n.creationDate } : {}),
            tags: await tagsOf(n.namespaceArn),
          });
      token = page.nextToken;
    } while (token);
    do {
      const page = await aws('redshift-serverless:ListWorkgroups', 'listing Redshift Serverless workgroups', () =>
        serverless.send(new ListWorkgroupsCommand({ ...(token ? { nextToken: token } : {}) }), { abortSignal: ctx.signal }),
      );
      for (const w of page.workgroups ?? [])
        if (w.workgroupName)
          workgroups.push({
            name: w.workgroupName,
            namespaceName: w.namespaceName ?? '',
            state: w.status ?? 'unknown',
            baseCapacity: w.baseCapacity ?? 0,
            ...(w.endpoint?.address ? { endpoint: `${w.endpoint.address}:${w.endpoint.port ?? ''}` } : {}),
            ...(w.creationDate ? { createdAt: w.creationDate } : {}),
            tags: await tagsOf(w.workgroupArn),
          });
      token = page.nextToken;
    } while (token);
    return { namespaces, workgroups };
  });
}
