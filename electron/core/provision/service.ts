import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeSubnetsCommand, EC2Client, DescribeKeyPairsCommand } from '@aws-sdk/client-ec2';
import { EMRClient, ListReleaseLabelsCommand } from '@aws-sdk/client-emr';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  EMR_APPLICATIONS,
  EMR_DEFAULT_RELEASE,
  EMR_INSTANCE_TYPES,
  REDSHIFT_NODE_TYPES,
  REDSHIFT_NODE_TYPE_NAMES,
  type ConnectionInfo,
  type ConnectionSpec,
  type Environment,
  type Inventory,
  type InventoryDeleteChunk,
  type InventoryItem,
  type InventoryWatchChunk,
  type PipelineSpec,
  type ProvisionChunk,
  type ProvisionIssue,
  type ProvisionOptions,
  type ProvisionPreview,
  type ProvisionSpec,
  type ResourceRef,
  type ResourceSpec,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { awsClientConfig, type AwsTarget } from '../aws/clients.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import type { Logger } from '../../../shared/node/log.js';
import type { EnvironmentsService } from '../environments/service.js';
import type { NoticeBoard } from '../storage/notices.js';
import { cliPreview } from './cli-preview.js';
import { sleep, step, type Created, type RunContext } from './context.js';
import { aws, explainAwsError, ProvisionError } from './errors.js';
import { emrGroups, estimate, instancePrice, nodePrice, priceTable, runningCost, usd } from './pricing.js';
import * as emr from './emr.js';
import * as kinesis from './kinesis.js';
import { ProvisionLedger, type LedgerRun } from './ledger.js';
import { derivePipeline, type PipelineSpecs } from './pipeline.js';
import { MANAGED_TAG, PIPELINE_TAG } from './plan.js';
import * as redshift from './redshift.js';
import * as s3 from './s3.js';

/** The connection store's `connections.save` handler (the workbench's), which keeps a password in the secret store. */
type SaveConnection = (
  input: { name: string; environmentId: string; spec: ConnectionSpec },
  context: { signal: AbortSignal },
) => ConnectionInfo[] | Promise<ConnectionInfo[]>;

export interface ProvisionDeps {
  dataDir: string;
  version: string;
  environments: EnvironmentsService;
  notices: NoticeBoard;
  log: Logger;
  /** The sessions service: remembers a new key pair's private key file. */
  keys: { rememberKeyFile(keyName: string, file: string): Promise<void> };
  /** The workbench's handlers: `connections.save` is used. */
  connections: HandlerGroup;
}

interface ActiveTarget {
  environment: Environment;
  target: AwsTarget;
  sandbox: boolean;
}

const hours = (ms: number) => ms / 3_600_000;
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/**
 * The provisioning wizards, the pipeline from one prefix, the inventory and teardown.
 * Everything created is tagged tributary:managed=true (and tributary:pipeline=<prefix>)
 * and written to the ledger the moment AWS accepts it.
 */
export class ProvisionService {
  private readonly ledger: ProvisionLedger;
  private readonly accounts = new Map<string, string>();

  constructor(private readonly deps: ProvisionDeps) {
    this.ledger = new ProvisionLedger(deps.dataDir, deps.notices);
  }

  private async active(environmentId?: string): Promise<ActiveTarget> {
    const id = environmentId ?? (await this.deps.environments.active()).id;
    const { environment, target } = await this.deps.environments.target(id);
    return { environment, target, sandbox: environment.kind === 'sandbox' };
  }

  private context(active: ActiveTarget, signal: AbortSignal, runId?: string): RunContext {
    const started = Date.now();
    const { environment, target, sandbox } = active;
    return {
      target,
      version: this.deps.version,
      environmentId: environment.id,
      region: target.region,
      sandbox,
      signal,
      log: this.deps.log,
      dataDir: this.deps.dataDir,
      elapsed: () => Date.now() - started,
      created: async (ref, extra) => {
        this.deps.log.info('provision', `Created ${ref.type} ${ref.id}${runId ? ` (run ${runId})` : ''} in ${environment.name}`);
        if (runId) await this.ledger.created(runId, ref, extra);
      },
      rememberKeyFile: (keyName, file) => this.deps.keys.rememberKeyFile(keyName, file),
      saveConnection: async ({ name, spec }) => {
        const save = this.deps.connections['connections.save'] as SaveConnection | undefined;
        if (!save) throw new AppError('INTERNAL', 'No connection store');
        const list = await save({ name, environmentId: environment.id, spec: spec as ConnectionSpec }, { signal });
        const found = [...list].reverse().find((c) => c.name === name && c.environmentId === environment.id);
        const route = spec.engine === 'spark' ? 'through an SSH session to the EMR master (port 10001 tunnelled)' : 'directly';
        return { id: found?.id ?? '', name, engine: spec.engine, route };
      },
      pace: sandbox ? { firstMs: 400, maxMs: 2_000 } : { firstMs: 5_000, maxMs: 30_000 },
    };
  }

  private async accountId(active: ActiveTarget, signal: AbortSignal): Promise<string | undefined> {
    const known = this.accounts.get(active.environment.id);
    if (known) return known;
    const sts = new STSClient(awsClientConfig(active.target, this.deps.version));
    try {
      const account = (await sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal })).Account;
      if (account) this.accounts.set(active.environment.id, account);
      return account;
    } catch {
      return undefined;
    } finally {
      sts.destroy();
    }
  }

  private async newestRelease(active: ActiveTarget, signal: AbortSignal): Promise<{ labels: string[]; newest: string }> {
    const client = new EMRClient(awsClientConfig(active.target, this.deps.version));
    try {
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
    } finally {
      client.destroy();
    }
  }

  // ─── provision.options ───────────────────────────────────────────────────────────────────────────────

  async options(signal: AbortSignal): Promise<ProvisionOptions> {
    const active = await this.active();
    const ctx = this.context(active, signal);
    const region = active.target.region;
    const problems: string[] = [];
    const attempt = async <T>(what: string, run: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        problems.push(explainAwsError(error, what, `listing ${what}`).message);
        return fallback;
      }
    };
    const ec2 = new EC2Client(awsClientConfig(active.target, this.deps.version));
    const iam = new IAMClient(awsClientConfig(active.target, this.deps.version));
    const s3c = new S3Client(awsClientConfig(active.target, this.deps.version));
    try {
      const [accountId, releases, keyPairs, subnets, roles, buckets] = await Promise.all([
        this.accountId(active, signal),
        attempt('elasticmapreduce:ListReleaseLabels', () => this.newestRelease(active, signal), {
          labels: [EMR_DEFAULT_RELEASE],
          newest: EMR_DEFAULT_RELEASE,
        }),
        attempt(
          'ec2:DescribeKeyPairs',
          async () => (await ec2.send(new DescribeKeyPairsCommand({}), { abortSignal: signal })).KeyPairs ?? [],
          [],
        ),
        attempt(
          'ec2:DescribeSubnets',
          async () => (await ec2.send(new DescribeSubnetsCommand({}), { abortSignal: signal })).Subnets ?? [],
          [],
        ),
        attempt(
          'iam:ListRoles',
          async () => (await iam.send(new ListRolesCommand({ MaxItems: 1000 }), { abortSignal: signal })).Roles ?? [],
          [],
        ),
        attempt('s3:ListAllMyBuckets', async () => (await s3c.send(new ListBucketsCommand({}), { abortSignal: signal })).Buckets ?? [], []),
      ]);
      const defaults = await attempt('iam:GetRole', () => emr.defaultRolesPresent(ctx), { service: false, instanceProfile: false });
      const keyFiles = await this.keyFiles();
      return {
        environment: { id: active.environment.id, kind: active.environment.kind, region },
        ...(accountId ? { accountId } : {}),
        releaseLabels: releases.labels,
        defaultReleaseLabel: releases.newest,
        keyPairs: keyPairs
          .filter((k) => k.KeyName)
          .map((k) => ({
            name: k.KeyName!,
            hasKeyFile: keyFiles.has(k.KeyName!) || (active.sandbox && k.KeyName === 'tributary-sandbox'),
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
    } finally {
      ec2.destroy();
      iam.destroy();
      s3c.destroy();
    }
  }

  private async keyFiles(): Promise<Set<string>> {
    try {
      const parsed = JSON.parse(await readFile(join(this.deps.dataDir, 'ssh-keys.json'), 'utf8')) as { byKeyName?: Record<string, string> };
      return new Set(Object.keys(parsed.byKeyName ?? {}));
    } catch {
      return new Set();
    }
  }

  // ─── provision.preview and provision.validate ────────────────────────────────────────────────────────

  /** Pure: the CLI, the estimate and the warnings, from the spec alone (and the account id, when already known). */
  preview(spec: ProvisionSpec, region: string, context: { sandbox: boolean; accountId?: string } = { sandbox: false }): ProvisionPreview {
    const specs: ResourceSpec[] = spec.kind === 'pipeline' ? Object.values(this.derive(spec, region, context)) : [spec];
    const names =
      spec.kind === 'pipeline' ? Object.fromEntries(specs.map((s) => [s.kind, s.kind === 'redshift' ? s.identifier : s.name])) : undefined;
    const { commands, cli } = cliPreview(specs, { region, ...(context.accountId ? { accountId: context.accountId } : {}) });
    return {
      cli,
      commands,
      cost: estimate(specs, region),
      warnings: specs.flatMap((s) => warningsOf(s, context.sandbox)),
      ...(names ? { names } : {}),
    };
  }

  private derive(
    spec: PipelineSpec,
    region: string,
    context: { sandbox: boolean; accountId?: string; releaseLabel?: string },
  ): PipelineSpecs {
    return derivePipeline(spec, {
      region,
      sandbox: context.sandbox,
      ...(context.accountId ? { accountId: context.accountId } : {}),
      ...(context.releaseLabel ? { releaseLabel: context.releaseLabel } : {}),
    });
  }

  private async previewFor(spec: ProvisionSpec, region: string | undefined): Promise<ProvisionPreview> {
    // The active environment sets the region and the account, when it answers; the preview never needs it to.
    let active: ActiveTarget | undefined;
    try {
      active = await this.active();
    } catch {
      active = undefined;
    }
    const accountId = active ? this.accounts.get(active.environment.id) : undefined;
    return this.preview(spec, region ?? active?.target.region ?? 'us-east-1', {
      sandbox: active?.sandbox ?? false,
      ...(accountId ? { accountId } : {}),
    });
  }

  async validate(spec: ProvisionSpec, signal: AbortSignal): Promise<ProvisionIssue[]> {
    const active = await this.active();
    const ctx = this.context(active, signal);
    const issues: ProvisionIssue[] = [];
    const error = (path: string, message: string) => issues.push({ path, message, severity: 'error' });
    const warn = (path: string, message: string) => issues.push({ path, message, severity: 'warning' });
    const check = async (s: ResourceSpec, at: (path: string) => string) => {
      switch (s.kind) {
        case 'kinesis':
          if (await kinesis.streamExists(ctx, s.name)) error(at('name'), `A stream named ${s.name} already exists in ${ctx.region}.`);
          break;
        case 's3': {
          const owner = await aws('s3:ListBucket', `checking bucket ${s.name}`, () => s3.bucketOwnership(ctx, s.name));
          if (owner === 'yours') error(at('name'), `You already have a bucket named ${s.name}.`);
          if (owner === 'taken') error(at('name'), `${s.name} is taken by another AWS account (bucket names are global).`);
          break;
        }
        case 'emr': {
          const present = await emr.keyPairExists(ctx, s.keyPair.name);
          if (s.keyPair.mode === 'existing' && !present)
            error(
              at('keyPair.name'),
              `Key pair ${s.keyPair.name} does not exist in ${ctx.region}; pick another or let the wizard create it.`,
            );
          if (s.keyPair.mode === 'create' && present)
            error(
              at('keyPair.name'),
              `Key pair ${s.keyPair.name} already exists; pick it as an existing key pair, or choose another name.`,
            );
          if (!s.createDefaultRoles) {
            const roles = await emr.defaultRolesPresent(ctx);
            if (!roles.service || !roles.instanceProfile)
              error(at('createDefaultRoles'), 'The EMR default roles are missing; let the wizard create them.');
          }
          if (s.subnetId) {
            const ec2 = new EC2Client(awsClientConfig(ctx.target, this.deps.version));
            try {
              const found = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [s.subnetId] }), { abortSignal: signal }).then(
                (a) => (a.Subnets ?? []).length > 0,
                () => false,
              );
              if (!found) error(at('subnetId'), `Subnet ${s.subnetId} does not exist in ${ctx.region}.`);
            } finally {
              ec2.destroy();
            }
          }
          if (s.logUri) {
            const bucket = /^s3n?:\/\/([^/]+)/.exec(s.logUri)?.[1] ?? '';
            const owner = await s3.bucketOwnership(ctx, bucket).catch(() => 'free' as const);
            if (owner !== 'yours' && spec.kind !== 'pipeline')
              warn(at('logUri'), `Bucket ${bucket} is not yours (yet); EMR cannot write its logs there.`);
          }
          break;
        }
        case 'redshift':
          if (await redshift.clusterExists(ctx, s.identifier))
            error(at('identifier'), `A Redshift cluster named ${s.identifier} already exists in ${ctx.region}.`);
          if (s.iamRole.mode === 'create' && (await redshift.roleExists(ctx, s.iamRole.name)))
            error(
              at('iamRole.name'),
              `Role ${s.iamRole.name} already exists; pick it as an existing role (its ARN), or choose another name.`,
            );
          break;
      }
    };
    try {
      if (spec.kind === 'pipeline') {
        const accountId = await this.accountId(active, signal);
        const derived = this.derive(spec, active.target.region, { sandbox: active.sandbox, ...(accountId ? { accountId } : {}) });
        const fieldOf: Record<string, Record<string, string>> = {
          kinesis: { name: 'streamName' },
          s3: { name: 'bucketName' },
          emr: { 'keyPair.name': 'keyPair.name', subnetId: 'subnetId' },
          redshift: {},
        };
        for (const s of Object.values(derived)) await check(s, (path) => fieldOf[s.kind]?.[path] ?? 'prefix');
      } else {
        await check(spec, (path) => path);
      }
    } catch (e) {
      throw explainAwsError(e, 'validate', 'checking the spec against the account').toAppError();
    }
    return issues;
  }

  // ─── provision.create, provision.pipeline, provision.cleanup ─────────────────────────────────────────

  /** One run: started, the body's steps, then done, or failed with AWS's reason and what it half-created. */
  private async *run(
    kind: LedgerRun['kind'],
    pipeline: string | undefined,
    plan: string[],
    signal: AbortSignal,
    body: (ctx: RunContext) => AsyncGenerator<ProvisionChunk, Created[]>,
  ): AsyncGenerator<ProvisionChunk> {
    const active = await this.active();
    const run = await this.ledger.start({
      environmentId: active.environment.id,
      region: active.target.region,
      kind,
      ...(pipeline ? { pipeline } : {}),
    });
    const ctx = this.context(active, signal, run.id);
    yield { kind: 'started', runId: run.id, environmentId: active.environment.id, plan };
    try {
      const created = yield* body(ctx);
      await this.ledger.finish(run.id, 'done');
      const keyFile = created.find((c) => c.keyFile)?.keyFile;
      yield {
        kind: 'done',
        runId: run.id,
        elapsedMs: ctx.elapsed(),
        resources: created.map((c) => c.resource),
        connections: created.flatMap((c) => c.connections),
        notes: created.flatMap((c) => c.notes),
        ...(keyFile ? { keyFile } : {}),
      };
    } catch (error) {
      const failure = (error instanceof ProvisionError ? error : explainAwsError(error, kind, `provisioning ${kind}`)).failure;
      const reason = signal.aborted ? { ...failure, reason: 'cancelled' as const, message: `Cancelled: ${failure.message}` } : failure;
      this.deps.log.warn('provision', `Run ${run.id} failed: ${reason.message}`);
      await this.ledger.finish(run.id, 'failed', reason.message);
      const halfCreated = ((await this.ledger.run(run.id))?.resources ?? [])
        .filter((r) => r.status === 'created' && !r.keep)
        .map(({ type, id, name }) => ({ type, id, name }));
      yield { kind: 'failed', runId: run.id, elapsedMs: ctx.elapsed(), failure: reason, halfCreated };
    }
  }

  create(spec: ResourceSpec, signal: AbortSignal): AsyncGenerator<ProvisionChunk> {
    return this.run(spec.kind, spec.pipeline, [describeSpec(spec)], signal, async function* (ctx) {
      return [yield* createOne(spec, ctx)];
    });
  }

  async *pipeline(spec: PipelineSpec, signal: AbortSignal): AsyncGenerator<ProvisionChunk> {
    const active = await this.active();
    const accountId = await this.accountId(active, signal);
    const release = await this.newestRelease(active, signal).catch(() => undefined);
    const specs = this.derive(spec, active.target.region, {
      sandbox: active.sandbox,
      ...(accountId ? { accountId } : {}),
      ...(release ? { releaseLabel: release.newest } : {}),
    });
    const plan = [specs.kinesis, specs.s3, specs.emr, specs.redshift].map(describeSpec);
    yield* this.run('pipeline', spec.prefix, plan, signal, async function* (ctx) {
      const stream = yield* kinesis.createStream(specs.kinesis, ctx);
      const bucket = yield* s3.createBucket(specs.s3, ctx);
      // EMR (its logs on the bucket) and Redshift (its COPY role on the bucket) are independent: both are waited for at once.
      const [cluster, warehouse] = yield* together(emr.createCluster(specs.emr, ctx), redshift.createWarehouse(specs.redshift, ctx));
      if (!ctx.sandbox)
        warehouse.notes.push(
          `Open an SSH session to ${specs.emr.name}'s master under Sessions: it carries the Spark SQL tunnel (10001) and a tunnel to ${specs.redshift.identifier}.`,
        );
      return [stream, bucket, cluster, warehouse];
    });
  }

  async *cleanup(runId: string, signal: AbortSignal): AsyncGenerator<ProvisionChunk> {
    const run = await this.ledger.run(runId);
    if (!run) throw new AppError('NOT_FOUND', `No provisioning run ${runId}`);
    const active = await this.active(run.environmentId);
    const ctx = this.context(active, signal);
    const order: ResourceRef['type'][] = ['redshift-cluster', 'emr-cluster', 's3-bucket', 'kinesis-stream', 'iam-role', 'ec2-key-pair'];
    const targets = run.resources
      .filter((r) => r.status === 'created' && !r.keep)
      .sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
    yield { kind: 'started', runId, environmentId: run.environmentId, plan: targets.map((r) => `Delete ${r.type} ${r.name}`) };
    const left: ResourceRef[] = [];
    let lastFailure: ProvisionError | undefined;
    for (const r of targets) {
      const resource = { type: r.type, id: r.id, name: r.name };
      yield step(ctx, `delete-${r.type}`, 'running', `Deleting ${r.type} ${r.name}`, { resource });
      try {
        for await (const seen of deleteOne(ctx, resource, undefined, r.keyFile))
          yield step(ctx, `delete-${r.type}`, 'waiting', seen.message, { resource, ...(seen.state ? { awsState: seen.state } : {}) });
        await this.ledger.deleted(r.type, r.id);
        yield step(ctx, `delete-${r.type}`, 'done', `Deleted ${r.name}`, { resource });
      } catch (error) {
        const explained = explainAwsError(error, `delete ${r.type}`, `deleting ${r.name}`);
        if (explained.failure.reason === 'not-found') {
          await this.ledger.deleted(r.type, r.id);
          yield step(ctx, `delete-${r.type}`, 'skipped', `${r.name} was already gone`, { resource });
          continue;
        }
        lastFailure = explained;
        left.push(resource);
        yield step(ctx, `delete-${r.type}`, 'failed', explained.message, { resource });
        if (signal.aborted) break;
      }
    }
    if (left.length && lastFailure) {
      yield { kind: 'failed', runId, elapsedMs: ctx.elapsed(), failure: lastFailure.failure, halfCreated: left };
      return;
    }
    await this.ledger.finish(runId, 'cleaned');
    yield {
      kind: 'done',
      runId,
      elapsedMs: ctx.elapsed(),
      resources: targets.map(({ type, id, name }) => ({ type, id, name })),
      connections: [],
      notes: run.resources.some((r) => r.keep) ? ['EMR’s default roles stay: other clusters use them.'] : [],
    };
  }

  // ─── inventory ───────────────────────────────────────────────────────────────────────────────────────

  async inventory(includeUntagged: boolean, signal: AbortSignal): Promise<Inventory> {
    const active = await this.active();
    const ctx = this.context(active, signal);
    const region = active.target.region;
    const now = Date.now();
    const problems: string[] = [];
    const items: InventoryItem[] = [];
    const read = async <T>(what: string, run: () => Promise<T[]>): Promise<T[]> => {
      try {
        return await run();
      } catch (error) {
        if (signal.aborted) throw error;
        problems.push(explainAwsError(error, what, `listing ${what}`).message);
        return [];
      }
    };
    const add = async (
      base: Omit<InventoryItem, 'managed' | 'pipeline' | 'runId' | 'ageMs' | 'costSoFar' | 'costPerHour' | 'confirmWith' | 'deletable'>,
      tags: Record<string, string>,
      perHour: number,
      createdAt: Date | undefined,
      deletable: boolean,
    ) => {
      const managed = tags[MANAGED_TAG] === 'true';
      const runId = await this.ledger.runOf(active.environment.id, base.type, base.id);
      if (!includeUntagged && !managed && !runId) return;
      const ageMs = createdAt ? Math.max(0, now - createdAt.getTime()) : undefined;
      items.push({
        ...base,
        managed,
        ...(tags[PIPELINE_TAG] ? { pipeline: tags[PIPELINE_TAG] } : {}),
        ...(runId ? { runId } : {}),
        ...(createdAt ? { createdAt: createdAt.toISOString() } : {}),
        ...(ageMs !== undefined ? { ageMs } : {}),
        costPerHour: round4(perHour),
        costSoFar: round4(ageMs !== undefined ? perHour * hours(ageMs) : 0),
        confirmWith: base.name,
        deletable,
      });
    };
    const [streams, buckets, clusters, warehouses] = await Promise.all([
      read('kinesis:ListStreams', () => kinesis.listStreams(ctx)),
      read('s3:ListAllMyBuckets', () =>
        s3.listBuckets(ctx, (_name, bucketRegion, tags) => bucketRegion === region || tags[MANAGED_TAG] === 'true'),
      ),
      read('elasticmapreduce:ListClusters', () => emr.listClusters(ctx)),
      read('redshift:DescribeClusters', () => redshift.listWarehouses(ctx)),
    ]);
    for (const s of streams) {
      const cost = runningCost(region, {
        type: 'kinesis-stream',
        mode: s.mode,
        shards: s.shards,
        retentionHours: s.retentionHours,
      }).usdPerHour;
      await add(
        {
          type: 'kinesis-stream',
          id: s.name,
          name: s.name,
          state: s.status,
          size:
            s.mode === 'on-demand'
              ? `on-demand, ${s.shards} shards`
              : `${s.shards} shard${s.shards === 1 ? '' : 's'}, ${s.retentionHours} h retention`,
        },
        s.tags,
        cost,
        s.createdAt,
        s.status === 'ACTIVE',
      );
    }
    for (const b of buckets) {
      const cost = runningCost(b.region, { type: 's3-bucket', bytes: b.bytes }).usdPerHour;
      await add(
        {
          type: 's3-bucket',
          id: b.name,
          name: b.name,
          state: 'available',
          size: `${b.partial ? '≥ ' : ''}${b.objects} object${b.objects === 1 ? '' : 's'}, ${formatBytes(b.bytes)}`,
        },
        b.tags,
        cost,
        b.createdAt,
        true,
      );
    }
    for (const c of clusters) {
      const cost = runningCost(region, { type: 'emr-cluster', groups: c.groups }).usdPerHour;
      await add(
        {
          type: 'emr-cluster',
          id: c.id,
          name: c.name,
          state: c.state,
          size: c.groups.map((g) => `${g.count} × ${g.instanceType}`).join(' + ') || 'unknown',
        },
        c.tags,
        cost,
        c.createdAt,
        c.state !== 'TERMINATING',
      );
    }
    for (const w of warehouses) {
      const cost = runningCost(region, { type: 'redshift-cluster', nodeType: w.nodeType, count: w.nodes }).usdPerHour;
      await add(
        { type: 'redshift-cluster', id: w.id, name: w.id, state: w.state, size: `${w.nodes} × ${w.nodeType}` },
        w.tags,
        cost,
        w.createdAt,
        w.state !== 'deleting',
      );
    }
    return {
      environmentId: active.environment.id,
      region,
      items,
      totalPerHour: round4(items.reduce((sum, i) => sum + i.costPerHour, 0)),
      totalSoFar: round4(items.reduce((sum, i) => sum + i.costSoFar, 0)),
      priceTableDate: priceTable.date,
      checkedAt: new Date(now).toISOString(),
      problems,
    };
  }

  async *watch(intervalSeconds: number, includeUntagged: boolean, signal: AbortSignal): AsyncGenerator<InventoryWatchChunk> {
    let previous: Map<string, InventoryItem> | undefined;
    while (!signal.aborted) {
      const inventory = await this.inventory(includeUntagged, signal);
      const now = new Map(inventory.items.map((i) => [`${i.type}/${i.id}`, i]));
      if (previous) {
        for (const [key, item] of now) {
          const before = previous.get(key);
          if (!before)
            yield {
              kind: 'change',
              item: { type: item.type, id: item.id, name: item.name },
              to: item.state,
              message: `${item.name} appeared (${item.state})`,
            };
          else if (before.state !== item.state)
            yield {
              kind: 'change',
              item: { type: item.type, id: item.id, name: item.name },
              from: before.state,
              to: item.state,
              message: `${item.name}: ${before.state} → ${item.state}`,
            };
        }
        for (const [key, item] of previous)
          if (!now.has(key))
            yield {
              kind: 'change',
              item: { type: item.type, id: item.id, name: item.name },
              from: item.state,
              message: `${item.name} is gone`,
            };
      }
      previous = now;
      yield { kind: 'inventory', inventory };
      await sleep(intervalSeconds * 1000, signal).catch(() => undefined);
    }
  }

  async *delete(
    input: {
      type: InventoryItem['type'];
      id: string;
      confirm: string;
      finalSnapshot: boolean;
      finalSnapshotIdentifier?: string | undefined;
    },
    signal: AbortSignal,
  ): AsyncGenerator<InventoryDeleteChunk> {
    const active = await this.active();
    const ctx = this.context(active, signal);
    const name = await this.currentName(ctx, input.type, input.id);
    if (input.confirm !== name) {
      throw new AppError('VALIDATION', `Type ${name} to confirm deleting it.`, [
        { path: 'confirm', message: `Type the name exactly: ${name}` },
      ]);
    }
    const resource: ResourceRef = { type: input.type, id: input.id, name };
    const snapshot =
      input.type === 'redshift-cluster' && input.finalSnapshot
        ? (input.finalSnapshotIdentifier ?? redshift.finalSnapshotName(input.id))
        : undefined;
    this.deps.log.info(
      'provision',
      `Deleting ${input.type} ${input.id} in ${active.environment.name}${snapshot ? ` (final snapshot ${snapshot})` : ''}`,
    );
    const label = input.type === 'emr-cluster' ? 'terminate' : input.type === 's3-bucket' ? 'empty-and-delete' : 'delete';
    yield {
      kind: 'step',
      step: label,
      state: 'running',
      elapsedMs: ctx.elapsed(),
      message: `${input.type === 'emr-cluster' ? 'Terminating' : 'Deleting'} ${name}${snapshot ? `, with a final snapshot ${snapshot}` : ''}`,
    };
    try {
      for await (const seen of deleteOne(ctx, resource, snapshot)) {
        if (seen.done !== undefined)
          yield {
            kind: 'progress',
            step: 'empty',
            done: seen.done,
            ...(seen.total !== undefined ? { total: seen.total } : {}),
            elapsedMs: ctx.elapsed(),
            message: seen.message,
          };
        else
          yield {
            kind: 'step',
            step: label,
            state: 'waiting',
            elapsedMs: ctx.elapsed(),
            message: seen.message,
            ...(seen.state ? { awsState: seen.state } : {}),
          };
      }
    } catch (error) {
      throw explainAwsError(error, `delete ${input.type}`, `deleting ${name}`).toAppError();
    }
    await this.ledger.deleted(input.type, input.id);
    yield { kind: 'step', step: label, state: 'done', elapsedMs: ctx.elapsed(), message: `${name} is gone` };
    yield { kind: 'done', elapsedMs: ctx.elapsed(), ...(snapshot ? { snapshot } : {}) };
  }

  /** The resource's name as AWS has it now (the typed confirmation is checked against it); NOT_FOUND when gone. */
  private async currentName(ctx: RunContext, type: InventoryItem['type'], id: string): Promise<string> {
    try {
      switch (type) {
        case 'kinesis-stream':
          if (!(await kinesis.streamExists(ctx, id))) break;
          return id;
        case 's3-bucket':
          if ((await aws('s3:ListBucket', `checking bucket ${id}`, () => s3.bucketOwnership(ctx, id))) !== 'yours') break;
          return id;
        case 'emr-cluster': {
          const found = (await emr.listClusters(ctx)).find((c) => c.id === id);
          if (!found) break;
          return found.name;
        }
        case 'redshift-cluster':
          if (!(await redshift.clusterExists(ctx, id))) break;
          return id;
      }
    } catch (error) {
      throw explainAwsError(error, `describe ${type}`, `looking up ${id}`).toAppError();
    }
    throw new AppError('NOT_FOUND', `No ${type} ${id} in the active environment (it may be deleted already).`);
  }

  handlers(): HandlerGroup {
    return {
      'provision.options': (_input, { signal }) => this.options(signal),
      'provision.validate': async ({ spec }, { signal }) => ({ issues: await this.validate(spec, signal) }),
      'provision.preview': ({ spec, region }) => this.previewFor(spec, region),
      'provision.create': ({ spec }, { signal }) => this.create(spec, signal),
      'provision.pipeline': ({ spec }, { signal }) => this.pipeline(spec, signal),
      'provision.cleanup': ({ runId }, { signal }) => this.cleanup(runId, signal),
      'inventory.list': ({ includeUntagged }, { signal }) => this.inventory(includeUntagged, signal),
      'inventory.watch': ({ intervalSeconds, includeUntagged }, { signal }) => this.watch(intervalSeconds, includeUntagged, signal),
      'inventory.delete': (input, { signal }) => this.delete(input, signal),
    };
  }
}

async function* createOne(spec: ResourceSpec, ctx: RunContext): AsyncGenerator<ProvisionChunk, Created> {
  switch (spec.kind) {
    case 'kinesis':
      return yield* kinesis.createStream(spec, ctx);
    case 's3':
      return yield* s3.createBucket(spec, ctx);
    case 'emr':
      return yield* emr.createCluster(spec, ctx);
    case 'redshift':
      return yield* redshift.createWarehouse(spec, ctx);
  }
}

type DeleteSeen = { state?: string; message: string; done?: number; total?: number };

async function* deleteOne(ctx: RunContext, r: ResourceRef, snapshot: string | undefined, keyFile?: string): AsyncGenerator<DeleteSeen> {
  switch (r.type) {
    case 'kinesis-stream':
      yield* kinesis.deleteStream(ctx, r.id);
      return;
    case 's3-bucket':
      for await (const seen of s3.deleteBucket(ctx, r.id))
        yield seen.kind === 'progress'
          ? { done: seen.done, total: seen.total, message: seen.message }
          : { state: seen.state, message: seen.message };
      return;
    case 'emr-cluster':
      yield* emr.terminateCluster(ctx, r.id);
      return;
    case 'redshift-cluster':
      yield* redshift.deleteWarehouse(ctx, r.id, snapshot);
      return;
    case 'iam-role':
      await redshift.deleteRole(ctx, r.id);
      return;
    case 'ec2-key-pair':
      await emr.deleteKeyPair(ctx, r.id, keyFile);
      return;
  }
}

/**
 * Runs several creations at once, passing on their chunks as they come, and
 * returns their results in order once all have settled; the first failure is
 * thrown then, so what the others created is recorded too.
 */
async function* together<A, B>(
  a: AsyncGenerator<ProvisionChunk, A>,
  b: AsyncGenerator<ProvisionChunk, B>,
): AsyncGenerator<ProvisionChunk, [A, B]> {
  const gens = [a, b] as AsyncGenerator<ProvisionChunk, unknown>[];
  const results: unknown[] = [];
  const errors: unknown[] = [];
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<ProvisionChunk, unknown> } | { i: number; error: unknown }>>();
  const pull = (i: number) =>
    pending.set(
      i,
      gens[i]!.next().then(
        (r) => ({ i, r }),
        (error: unknown) => ({ i, error }),
      ),
    );
  gens.forEach((_, i) => pull(i));
  while (pending.size) {
    const next = await Promise.race(pending.values());
    pending.delete(next.i);
    if ('error' in next) errors[next.i] = next.error;
    else if (next.r.done) results[next.i] = next.r.value;
    else {
      yield next.r.value;
      pull(next.i);
    }
  }
  const failed = errors.find((e) => e !== undefined);
  if (failed !== undefined) throw failed;
  return results as [A, B];
}

function describeSpec(spec: ResourceSpec): string {
  switch (spec.kind) {
    case 'kinesis':
      return `Kinesis stream ${spec.name} (${spec.mode === 'on-demand' ? 'on-demand' : `${spec.shardCount} shard${spec.shardCount === 1 ? '' : 's'}`})`;
    case 's3':
      return `S3 bucket ${spec.name}`;
    case 'emr':
      return `EMR cluster ${spec.name} (${emrGroups(spec)
        .map((g) => `${g.count} × ${g.instanceType}`)
        .join(' + ')}, ${spec.applications.join(', ')})`;
    case 'redshift':
      return `Redshift cluster ${spec.identifier} (${spec.nodeCount} × ${spec.nodeType})`;
  }
}

/** What the operator should know before creating: the unsafe choices and the limits near. */
export function warningsOf(spec: ResourceSpec, sandbox: boolean): string[] {
  const w: string[] = [];
  switch (spec.kind) {
    case 'kinesis':
      if (!spec.encryption.enabled) w.push('Records are stored unencrypted: server-side encryption with KMS is off.');
      if (spec.mode === 'provisioned' && spec.shardCount > 200)
        w.push('More than 200 shards: most accounts have a quota of 200 (500 in some regions); ask for more first.');
      if (spec.retentionHours > 168) w.push('Retention beyond 7 days is billed per GB-month stored.');
      break;
    case 's3':
      if (!spec.blockPublicAccess) w.push('Block Public Access is off: a policy or ACL could make objects public.');
      if (!spec.versioning) w.push('Versioning is off: an overwritten or deleted object cannot be recovered.');
      if (spec.name.includes('.'))
        w.push('Dots in a bucket name break virtual-hosted HTTPS (the certificate does not match); prefer hyphens.');
      break;
    case 'emr':
      if (!spec.autoTermination.enabled)
        w.push(
          `Auto-termination is off: the cluster runs, and costs ${usd(estimate([spec], 'us-east-1').usdPerHour)}/h in us-east-1, until you terminate it.`,
        );
      if (spec.instances.mode === 'uniform' && spec.instances.count === 1)
        w.push('One instance: the master does all the work (fine for trying things).');
      break;
    case 'redshift':
      if (spec.publiclyAccessible)
        w.push(
          'Publicly accessible: the warehouse gets a public address; keep it private and reach it through the EMR master or a bastion.',
        );
      if (!spec.encrypted) w.push('The warehouse is not encrypted at rest.');
      if (spec.password === 'managed' && sandbox)
        w.push('The sandbox does not emulate Secrets Manager; the connection signs in with temporary IAM credentials instead.');
      if (spec.iamRole.mode === 'none')
        w.push('No IAM role: COPY and UNLOAD will need one (attach it later, or let the wizard create it now).');
      break;
  }
  return w;
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

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
