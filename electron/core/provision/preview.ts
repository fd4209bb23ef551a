import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { PipelineSpec, ProvisionIssue, ProvisionPreview, ProvisionSpec, ResourceSpec } from '../../../shared/contract/index.js';
import type { AwsScope } from '../aws/clients.js';
import { aws, explainAwsError } from '../aws/errors.js';
import { cliPreview } from './cli-preview.js';
import * as emr from './emr.js';
import * as firehose from './firehose.js';
import * as kinesis from './kinesis.js';
import { derivePipeline, type PipelineSpecs } from './pipeline.js';
import { emrGroups, estimate, usd } from './pricing.js';
import type { Provisioning } from './provisioning.js';
import * as redshift from './redshift.js';
import * as serverless from './redshift-serverless.js';
import * as s3 from './s3.js';

/** What a preview and a validation know of the environment beyond the spec. */
export interface SpecContext {
  sandbox: boolean;
  accountId?: string;
  releaseLabel?: string;
}

/** The pipeline's four specs, with what the environment told (the account id names the bucket). */
export function derive(spec: PipelineSpec, region: string, context: SpecContext): PipelineSpecs {
  return derivePipeline(spec, {
    region,
    sandbox: context.sandbox,
    ...(context.accountId ? { accountId: context.accountId } : {}),
    ...(context.releaseLabel ? { releaseLabel: context.releaseLabel } : {}),
  });
}

/** Pure: the CLI, the estimate and the warnings, from the spec alone (and the account id, when already known). */
export function preview(spec: ProvisionSpec, region: string, context: SpecContext = { sandbox: false }): ProvisionPreview {
  const specs: ResourceSpec[] = spec.kind === 'pipeline' ? Object.values(derive(spec, region, context)) : [spec];
  const names = spec.kind === 'pipeline' ? Object.fromEntries(specs.map((s) => [s.kind, resourceName(s)])) : undefined;
  const { commands, cli } = cliPreview(specs, { region, ...(context.accountId ? { accountId: context.accountId } : {}) });
  return {
    cli,
    commands,
    cost: estimate(specs, region),
    warnings: specs.flatMap((s) => warningsOf(s, context.sandbox)),
    ...(names ? { names } : {}),
  };
}

/** The name a spec gives its resource (a Serverless spec's workgroup). */
function resourceName(spec: ResourceSpec): string {
  if (spec.kind === 'redshift') return spec.identifier;
  if (spec.kind === 'redshift-serverless') return spec.workgroupName;
  return spec.name;
}

/** The preview in the active environment's region and account, when it answers; the preview never needs it to. */
export async function previewInActive(base: Provisioning, spec: ProvisionSpec, region: string | undefined): Promise<ProvisionPreview> {
  let scope: AwsScope | undefined;
  try {
    scope = await base.aws();
  } catch {
    scope = undefined;
  }
  const accountId = scope ? base.knownAccountId(scope.environment.id) : undefined;
  return preview(spec, region ?? scope?.region ?? 'us-east-1', {
    sandbox: scope?.sandbox ?? false,
    ...(accountId ? { accountId } : {}),
  });
}

/** Where a derived spec's fields come from in the pipeline spec, so an issue lands on the field the operator set. */
const PIPELINE_FIELD_OF: Record<string, Record<string, string>> = {
  kinesis: { name: 'streamName' },
  s3: { name: 'bucketName' },
  emr: { 'keyPair.name': 'keyPair.name', subnetId: 'subnetId' },
  redshift: {},
  'redshift-serverless': {},
};

/** The spec against the account: names taken, key pairs, roles and subnets missing. */
export async function validate(base: Provisioning, spec: ProvisionSpec, signal: AbortSignal): Promise<ProvisionIssue[]> {
  const scope = await base.aws();
  const ctx = base.context(scope, signal);
  const { region } = scope;
  const issues: ProvisionIssue[] = [];
  const error = (path: string, message: string) => issues.push({ path, message, severity: 'error' });
  const warn = (path: string, message: string) => issues.push({ path, message, severity: 'warning' });
  const check = async (s: ResourceSpec, at: (path: string) => string) => {
    switch (s.kind) {
      case 'kinesis':
        if (await kinesis.streamExists(ctx, s.name)) error(at('name'), `A stream named ${s.name} already exists in ${region}.`);
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
          error(at('keyPair.name'), `Key pair ${s.keyPair.name} does not exist in ${region}; pick another or let the wizard create it.`);
        if (s.keyPair.mode === 'create' && present)
          error(at('keyPair.name'), `Key pair ${s.keyPair.name} already exists; pick it as an existing key pair, or choose another name.`);
        if (!s.createDefaultRoles) {
          const roles = await emr.defaultRolesPresent(ctx);
          if (!roles.service || !roles.instanceProfile)
            error(at('createDefaultRoles'), 'The EMR default roles are missing; let the wizard create them.');
        }
        if (s.subnetId) {
          const subnetId = s.subnetId;
          const found = await scope.use(EC2Client, (ec2) =>
            ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }), { abortSignal: signal }).then(
              (a) => (a.Subnets ?? []).length > 0,
              () => false,
            ),
          );
          if (!found) error(at('subnetId'), `Subnet ${subnetId} does not exist in ${region}.`);
        }
        if (s.logUri) {
          const bucket = /^s3n?:\/\/([^/]+)/.exec(s.logUri)?.[1] ?? '';
          const owner = await s3.bucketOwnership(ctx, bucket).catch(() => 'free' as const);
          if (owner !== 'yours' && spec.kind !== 'pipeline')
            warn(at('logUri'), `Bucket ${bucket} is not yours (yet); EMR cannot write its logs there.`);
        }
        break;
      }
      case 'firehose':
        if (await firehose.deliveryStreamExists(ctx, s.name))
          error(at('name'), `A Firehose stream named ${s.name} already exists in ${region}.`);
        if (s.source.mode === 'kinesis' && !(await kinesis.streamExists(ctx, s.source.streamName)))
          error(at('source.streamName'), `Stream ${s.source.streamName} does not exist in ${region}.`);
        if ((await aws('s3:ListBucket', `checking bucket ${s.bucket}`, () => s3.bucketOwnership(ctx, s.bucket))) !== 'yours')
          error(at('bucket'), `Bucket ${s.bucket} is not yours (yet); Firehose delivers only to a bucket that exists.`);
        break;
      case 'redshift':
        if (await redshift.clusterExists(ctx, s.identifier))
          error(at('identifier'), `A Redshift cluster named ${s.identifier} already exists in ${region}.`);
        if (s.iamRole.mode === 'create' && (await redshift.roleExists(ctx, s.iamRole.name)))
          error(
            at('iamRole.name'),
            `Role ${s.iamRole.name} already exists; pick it as an existing role (its ARN), or choose another name.`,
          );
        break;
      case 'redshift-serverless':
        if (await serverless.namespaceExists(ctx, s.namespaceName))
          error(at('namespaceName'), `A Redshift Serverless namespace named ${s.namespaceName} already exists in ${region}.`);
        if (await serverless.workgroupExists(ctx, s.workgroupName))
          error(at('workgroupName'), `A Redshift Serverless workgroup named ${s.workgroupName} already exists in ${region}.`);
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
      const accountId = await base.accountId(scope, signal);
      const derived = derive(spec, region, { sandbox: scope.sandbox, ...(accountId ? { accountId } : {}) });
      for (const s of Object.values(derived)) await check(s, (path) => PIPELINE_FIELD_OF[s.kind]?.[path] ?? 'prefix');
    } else {
      await check(spec, (path) => path);
    }
  } catch (e) {
    throw explainAwsError(e, 'validate', 'checking the spec against the account').toAppError();
  }
  return issues;
}

/** One line per resource, for a run's plan. */
export function describeSpec(spec: ResourceSpec): string {
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
    case 'redshift-serverless':
      return `Redshift Serverless namespace ${spec.namespaceName} and workgroup ${spec.workgroupName} (base ${spec.baseCapacity} RPUs)`;
    case 'firehose':
      return `Firehose stream ${spec.name} (${spec.source.mode === 'kinesis' ? `from ${spec.source.streamName}` : 'direct PUT'} → s3://${spec.bucket}${spec.redshift ? ` → Redshift ${spec.redshift.table}` : ''})`;
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
    case 'firehose':
      if (spec.compression === 'UNCOMPRESSED' && !spec.redshift)
        w.push('Objects are written uncompressed: GZIP makes them several times smaller (and Spark reads gzip text).');
      if (spec.redshift && spec.redshift.retrySeconds === 0)
        w.push('No COPY retries: a batch whose first COPY fails is skipped at once (its manifest goes to the error prefix).');
      if (sandbox && spec.source.mode === 'kinesis')
        w.push('The sandbox reads the source stream every half second from the time the Firehose stream is created.');
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
    case 'redshift-serverless':
      if (spec.publiclyAccessible) w.push('Publicly accessible: the workgroup gets a public address; keep it private unless you need it.');
      if (spec.maxCapacity === undefined)
        w.push('No max capacity: a heavy query may scale the workgroup well past its base RPUs (and its cost with it).');
      if (spec.password === 'managed' && sandbox)
        w.push('The sandbox does not emulate Secrets Manager; the connection signs in with temporary IAM credentials instead.');
      if (spec.iamRole.mode === 'none')
        w.push('No IAM role: COPY and UNLOAD will need one (attach it later, or let the wizard create it now).');
      break;
  }
  return w;
}
