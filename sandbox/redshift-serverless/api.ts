import { newPassword } from '../credentials.js';
import type { Logger } from '../../shared/node/log.js';
import { redshiftPasswordProblem, redshiftUserProblem, serverlessCapacityProblem } from '../../shared/contract/index.js';
import { AwsError } from '../gateway/aws-error.js';
import type { Caller, JsonService } from '../gateway/server.js';
import { schemas, type Input, type Schemas } from './inputs.js';
import type { NamespaceRecord, ServerlessRegistry, Tags, WorkgroupRecord } from './registry.js';

const SCOPE = 'sandbox.redshift-serverless';

/** What a namespace and GetCredentials need of the Redshift stand-in. */
export interface ServerlessBackend {
  /** The stand-in's wire-protocol endpoint: every workgroup answers there. */
  host: string;
  port: number;
  /** The namespace's admin user (a superuser, as on AWS) and its database. */
  provision(namespace: { user?: string; password?: string; database: string }): Promise<void>;
  /** A login for `dbUser`, valid until `expiresAt`, as GetCredentials issues it. */
  temporaryCredentials(credentials: { dbUser: string; password: string; expiresAt: string }): Promise<void>;
  /** The RPUs SYS_SERVERLESS_USAGE charges for work in the namespace's database. */
  baseCapacity(database: string, rpu: number): Promise<void>;
}

/** The database user AWS maps an IAM principal to: `IAM:<user>` for a user, `IAMR:<role>` for a role's session. */
export function databaseUserOf(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  const [kind, name] = resource.split('/');
  if (kind === 'assumed-role' || kind === 'role') return `IAMR:${name}`;
  return `IAM:${name ?? kind}`;
}

const accountOf = (caller: Caller) => caller.arn.split(':')[4] || '123456789012';
const tagList = (tags: Tags) => Object.entries(tags).map(([key, value]) => ({ key, value }));
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The Redshift Serverless API (AWS JSON 1.1, `RedshiftServerless.<Operation>`), which the emulator does not
 * have: namespaces backed by a database and admin user on the stand-in's PostgreSQL, workgroups whose
 * endpoint is the stand-in itself, and GetCredentials issuing temporary users as GetClusterCredentials does.
 */
export function createServerlessApi(registry: ServerlessRegistry, backend: ServerlessBackend, log: Logger): JsonService {
  const notFound = (what: string, name: string) => new AwsError('ResourceNotFoundException', `${what} ${name} not found.`);
  const namespaceOf = (caller: Caller, name: string): NamespaceRecord => {
    const found = registry.namespace(caller.region, name);
    if (!found) throw notFound('Namespace', name);
    return found;
  };
  const workgroupOf = (caller: Caller, name: string): WorkgroupRecord => {
    const found = registry.workgroup(caller.region, name);
    if (!found) throw notFound('Workgroup', name);
    return found;
  };
  const namespaceView = (record: NamespaceRecord) => ({
    namespaceArn: record.arn,
    namespaceId: record.id,
    namespaceName: record.name,
    ...(record.adminUsername ? { adminUsername: record.adminUsername } : {}),
    dbName: record.dbName,
    iamRoles: record.iamRoles,
    ...(record.defaultIamRoleArn ? { defaultIamRoleArn: record.defaultIamRoleArn } : {}),
    logExports: [],
    status: registry.namespaceStatus(record),
    creationDate: iso(record.createdAt),
  });
  const workgroupView = (record: WorkgroupRecord) => {
    const status = registry.workgroupStatus(record);
    return {
      workgroupArn: record.arn,
      workgroupId: record.id,
      workgroupName: record.name,
      namespaceName: record.namespaceName,
      baseCapacity: record.baseCapacity,
      ...(record.maxCapacity !== undefined ? { maxCapacity: record.maxCapacity } : {}),
      enhancedVpcRouting: false,
      publiclyAccessible: record.publiclyAccessible,
      port: record.port,
      subnetIds: record.subnetIds,
      securityGroupIds: record.securityGroupIds,
      configParameters: [],
      status,
      creationDate: iso(record.createdAt),
      // Every workgroup's endpoint is the stand-in; while one is being created, AWS gives none yet.
      ...(status === 'CREATING' ? {} : { endpoint: { address: backend.host, port: backend.port, vpcEndpoints: [] } }),
    };
  };
  const mustBeAvailable = (record: WorkgroupRecord, action: string) => {
    const status = registry.workgroupStatus(record);
    if (status !== 'AVAILABLE')
      throw new AwsError('ConflictException', `Workgroup ${record.name} is in the ${status} state; ${action} when it is AVAILABLE.`);
  };

  const operations: { [Op in keyof Schemas]: (input: Input<Op>, caller: Caller) => Promise<unknown> } = {
    async CreateNamespace(input, caller) {
      if (registry.namespace(caller.region, input.namespaceName))
        throw new AwsError('ConflictException', `Namespace ${input.namespaceName} already exists.`);
      const userProblem = input.adminUsername ? redshiftUserProblem(input.adminUsername) : undefined;
      if (userProblem) throw new AwsError('ValidationException', `Invalid adminUsername: ${userProblem}`);
      const passwordProblem = input.adminUserPassword ? redshiftPasswordProblem(input.adminUserPassword) : undefined;
      if (passwordProblem) throw new AwsError('ValidationException', `Invalid adminUserPassword: ${passwordProblem}`);
      if (input.adminUserPassword && !input.adminUsername)
        throw new AwsError('ValidationException', 'adminUsername is required when adminUserPassword is given.');
      if (input.adminUserPassword) log.addSecret(input.adminUserPassword);
      const dbName = input.dbName ?? 'dev';
      await backend.provision({
        database: dbName,
        ...(input.adminUsername ? { user: input.adminUsername } : {}),
        ...(input.adminUserPassword ? { password: input.adminUserPassword } : {}),
      });
      const namespace = registry.addNamespace(
        {
          name: input.namespaceName,
          region: caller.region,
          dbName,
          iamRoles: input.iamRoles ?? [],
          ...(input.adminUsername ? { adminUsername: input.adminUsername } : {}),
          ...(input.defaultIamRoleArn ? { defaultIamRoleArn: input.defaultIamRoleArn } : {}),
          tags: Object.fromEntries((input.tags ?? []).map((tag) => [tag.key, tag.value])),
        },
        accountOf(caller),
      );
      return { namespace: namespaceView(namespace) };
    },
    async GetNamespace(input, caller) {
      return { namespace: namespaceView(namespaceOf(caller, input.namespaceName)) };
    },
    async ListNamespaces(_input, caller) {
      return { namespaces: registry.listNamespaces(caller.region).map(namespaceView) };
    },
    async DeleteNamespace(input, caller) {
      const namespace = namespaceOf(caller, input.namespaceName);
      if (registry.namespaceStatus(namespace) === 'DELETING')
        throw new AwsError('ConflictException', `Namespace ${namespace.name} is already being deleted.`);
      if (registry.listWorkgroups(caller.region).some((found) => found.namespaceName === namespace.name))
        throw new AwsError(
          'ConflictException',
          `There are workgroups associated with namespace ${namespace.name}. Delete the workgroups before deleting the namespace.`,
        );
      return { namespace: namespaceView(registry.update(namespace, { deletingSince: Date.now() })) };
    },
    async CreateWorkgroup(input, caller) {
      const problem = serverlessCapacityProblem(input.baseCapacity, input.maxCapacity);
      if (problem) throw new AwsError('ValidationException', problem.message);
      if (registry.workgroup(caller.region, input.workgroupName))
        throw new AwsError('ConflictException', `Workgroup ${input.workgroupName} already exists.`);
      const namespace = namespaceOf(caller, input.namespaceName);
      if (registry.namespaceStatus(namespace) === 'DELETING')
        throw new AwsError('ConflictException', `Namespace ${namespace.name} is being deleted.`);
      if (registry.listWorkgroups(caller.region).some((found) => found.namespaceName === namespace.name))
        throw new AwsError('ConflictException', `Namespace ${namespace.name} already has a workgroup; a namespace has at most one.`);
      const workgroup = registry.addWorkgroup(
        {
          name: input.workgroupName,
          region: caller.region,
          namespaceName: namespace.name,
          baseCapacity: input.baseCapacity ?? 128,
          ...(input.maxCapacity !== undefined ? { maxCapacity: input.maxCapacity } : {}),
          publiclyAccessible: input.publiclyAccessible ?? false,
          port: input.port ?? 5439,
          subnetIds: input.subnetIds ?? [],
          securityGroupIds: input.securityGroupIds ?? [],
          tags: Object.fromEntries((input.tags ?? []).map((tag) => [tag.key, tag.value])),
        },
        accountOf(caller),
      );
      await backend.baseCapacity(namespace.dbName, workgroup.baseCapacity);
      return { workgroup: workgroupView(workgroup) };
    },
    async GetWorkgroup(input, caller) {
      return { workgroup: workgroupView(workgroupOf(caller, input.workgroupName)) };
    },
    async ListWorkgroups(_input, caller) {
      return { workgroups: registry.listWorkgroups(caller.region).map(workgroupView) };
    },
    async UpdateWorkgroup(input, caller) {
      const workgroup = workgroupOf(caller, input.workgroupName);
      mustBeAvailable(workgroup, 'update it');
      const base = input.baseCapacity ?? workgroup.baseCapacity;
      const max = input.maxCapacity ?? workgroup.maxCapacity;
      const problem = serverlessCapacityProblem(base, max);
      if (problem) throw new AwsError('ValidationException', problem.message);
      const updated = registry.update(workgroup, {
        baseCapacity: base,
        ...(max !== undefined ? { maxCapacity: max } : {}),
        ...(input.publiclyAccessible !== undefined ? { publiclyAccessible: input.publiclyAccessible } : {}),
        modifyingUntil: Date.now() + registry.pace.modifyingMs,
      });
      await backend.baseCapacity(namespaceOf(caller, updated.namespaceName).dbName, base);
      return { workgroup: workgroupView(updated) };
    },
    async DeleteWorkgroup(input, caller) {
      const workgroup = workgroupOf(caller, input.workgroupName);
      mustBeAvailable(workgroup, 'delete it');
      return { workgroup: workgroupView(registry.update(workgroup, { deletingSince: Date.now() })) };
    },
    async GetCredentials(input, caller) {
      if (!input.workgroupName && !input.customDomainName)
        throw new AwsError('ValidationException', 'Either workgroupName or customDomainName must be specified.');
      if (!input.workgroupName)
        throw new AwsError('ResourceNotFoundException', `Custom domain ${input.customDomainName} is not associated with any workgroup.`);
      const workgroup = workgroupOf(caller, input.workgroupName);
      mustBeAvailable(workgroup, 'ask for credentials');
      const dbUser = databaseUserOf(caller.arn);
      const dbPassword = newPassword();
      log.addSecret(dbPassword);
      const expiration = Date.now() + (input.durationSeconds ?? 900) * 1000;
      await backend.temporaryCredentials({ dbUser, password: dbPassword, expiresAt: iso(expiration) });
      return { dbUser, dbPassword, expiration: expiration / 1000, nextRefreshTime: expiration / 1000 };
    },
    async ListTagsForResource(input) {
      return { tags: tagList(taggable(input.resourceArn).tags) };
    },
    async TagResource(input) {
      const record = taggable(input.resourceArn);
      registry.update(record, { tags: { ...record.tags, ...Object.fromEntries(input.tags.map((tag) => [tag.key, tag.value])) } });
      return {};
    },
    async UntagResource(input) {
      const record = taggable(input.resourceArn);
      registry.update(record, { tags: Object.fromEntries(Object.entries(record.tags).filter(([key]) => !input.tagKeys.includes(key))) });
      return {};
    },
  };
  const taggable = (arn: string) => {
    const found = registry.byArn(arn);
    if (!found) throw new AwsError('ResourceNotFoundException', `Resource ${arn} not found.`);
    return found;
  };

  return {
    async handle(operation, input, caller) {
      if (!(operation in operations))
        throw new AwsError('ValidationException', `Operation ${operation} is not supported by the sandbox's Redshift Serverless.`);
      const op = operation as keyof Schemas;
      const parsed = schemas[op].safeParse(input ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const value = issue.path.reduce<unknown>((at, key) => (at as Record<PropertyKey, unknown> | undefined)?.[key], input);
        // AWS never echoes a password it refuses.
        const shown = /password/i.test(issue.path.join('.')) ? '***' : JSON.stringify(value);
        throw new AwsError(
          'ValidationException',
          `1 validation error detected: Value ${shown} at '${issue.path.join('.')}' failed to satisfy constraint: ${issue.message}`,
        );
      }
      try {
        return await (operations[op] as (value: unknown, who: Caller) => Promise<unknown>)(parsed.data, caller);
      } catch (error) {
        if (error instanceof AwsError) throw error;
        log.error(SCOPE, `${operation} failed`, error);
        throw new AwsError('InternalServerException', (error as Error).message, 500);
      }
    },
  };
}
