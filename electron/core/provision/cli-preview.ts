import type {
  EmrSpec,
  FirehoseSpec,
  KinesisSpec,
  RedshiftServerlessSpec,
  RedshiftSpec,
  ResourceSpec,
  S3Spec,
} from '../../../shared/contract/index.js';
import { deliveryStreamInput } from './firehose.js';
import {
  bucketEncryption,
  bucketLifecycle,
  copyUnloadPolicy,
  FIREHOSE_TRUST,
  firehosePolicy,
  layoutKeys,
  managedTags,
  REDSHIFT_TRUST,
  THRIFT_STEP_ARGS,
} from './plan.js';

/** The value shown for a secret in a command: never the secret. */
export const MASK = '****';

/** POSIX shell quoting: bare when safe, single quotes otherwise. */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

type Arg = [flag: string, ...values: string[]];

/** One `aws …` command: its words, then flags with their values, each value quoted for a POSIX shell. */
export class CliCommand {
  constructor(
    readonly words: string[],
    readonly args: Arg[],
    /** Shell text after the command (e.g. `> key.pem`), already quoted. */
    readonly suffix = '',
  ) {}

  line(): string {
    return [...this.words, ...this.args.map(([flag, ...values]) => [flag, ...values.map(shellQuote)].join(' '))].join(' ') + this.suffix;
  }

  /** One flag per line, as a person would paste it. */
  pretty(): string {
    const parts = [this.words.join(' '), ...this.args.map(([flag, ...values]) => [flag, ...values.map(shellQuote)].join(' '))];
    return parts.join(' \\\n  ') + this.suffix;
  }
}

const aws = (service: string, command: string, args: (Arg | false | undefined)[], region: string, suffix = '') =>
  new CliCommand(['aws', service, command], [...args.filter((a): a is Arg => Array.isArray(a)), ['--region', region]], suffix);

const json = (value: unknown) => JSON.stringify(value);

export interface PreviewContext {
  region: string;
  /** The account id, when known, for ARNs the commands name. */
  accountId?: string;
}

function tagsOf(spec: { pipeline?: string | undefined }): Record<string, string> {
  return managedTags(spec.pipeline);
}

export function kinesisCommands(spec: KinesisSpec, ctx: PreviewContext): CliCommand[] {
  const tags = tagsOf(spec);
  const out = [
    aws(
      'kinesis',
      'create-stream',
      [
        ['--stream-name', spec.name],
        spec.mode === 'on-demand' ? ['--stream-mode-details', 'StreamMode=ON_DEMAND'] : ['--shard-count', String(spec.shardCount)],
      ],
      ctx.region,
    ),
    new CliCommand(
      ['aws', 'kinesis', 'wait', 'stream-exists'],
      [
        ['--stream-name', spec.name],
        ['--region', ctx.region],
      ],
    ),
    aws(
      'kinesis',
      'add-tags-to-stream',
      [
        ['--stream-name', spec.name],
        [
          '--tags',
          Object.entries(tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        ],
      ],
      ctx.region,
    ),
  ];
  if (spec.retentionHours > 24)
    out.push(
      aws(
        'kinesis',
        'increase-stream-retention-period',
        [
          ['--stream-name', spec.name],
          ['--retention-period-hours', String(spec.retentionHours)],
        ],
        ctx.region,
      ),
    );
  if (spec.encryption.enabled)
    out.push(
      aws(
        'kinesis',
        'start-stream-encryption',
        [
          ['--stream-name', spec.name],
          ['--encryption-type', 'KMS'],
          ['--key-id', spec.encryption.kmsKeyId],
        ],
        ctx.region,
      ),
    );
  return out;
}

export function s3Commands(spec: S3Spec, ctx: PreviewContext): CliCommand[] {
  const region = spec.region ?? ctx.region;
  const b: Arg = ['--bucket', spec.name];
  const out = [
    aws('s3api', 'create-bucket', [b, region !== 'us-east-1' && ['--create-bucket-configuration', `LocationConstraint=${region}`]], region),
    aws(
      's3api',
      'put-bucket-tagging',
      [b, ['--tagging', json({ TagSet: Object.entries(tagsOf(spec)).map(([Key, Value]) => ({ Key, Value })) })]],
      region,
    ),
  ];
  if (spec.blockPublicAccess) {
    out.push(
      aws(
        's3api',
        'put-public-access-block',
        [
          b,
          [
            '--public-access-block-configuration',
            'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
          ],
        ],
        region,
      ),
    );
  }
  out.push(aws('s3api', 'put-bucket-encryption', [b, ['--server-side-encryption-configuration', json(bucketEncryption(spec))]], region));
  if (spec.versioning) out.push(aws('s3api', 'put-bucket-versioning', [b, ['--versioning-configuration', 'Status=Enabled']], region));
  const lifecycle = bucketLifecycle(spec);
  if (lifecycle) out.push(aws('s3api', 'put-bucket-lifecycle-configuration', [b, ['--lifecycle-configuration', json(lifecycle)]], region));
  for (const key of layoutKeys(spec)) out.push(aws('s3api', 'put-object', [b, ['--key', key]], region));
  return out;
}

export function emrCommands(spec: EmrSpec, ctx: PreviewContext): CliCommand[] {
  const out: CliCommand[] = [];
  if (spec.createDefaultRoles) out.push(aws('emr', 'create-default-roles', [], ctx.region));
  if (spec.keyPair.mode === 'create') {
    out.push(
      aws(
        'ec2',
        'create-key-pair',
        [
          ['--key-name', spec.keyPair.name],
          ['--key-type', 'rsa'],
          ['--key-format', 'pem'],
          ['--query', 'KeyMaterial'],
          ['--output', 'text'],
        ],
        ctx.region,
        ` > ${shellQuote(`${spec.keyPair.name}.pem`)} && chmod 600 ${shellQuote(`${spec.keyPair.name}.pem`)}`,
      ),
    );
  }
  const i = spec.instances;
  const sizing: Arg[] =
    i.mode === 'uniform'
      ? [
          ['--instance-type', i.instanceType],
          ['--instance-count', String(i.count)],
        ]
      : [
          [
            '--instance-groups',
            `InstanceGroupType=MASTER,InstanceType=${i.master.instanceType},InstanceCount=1`,
            ...(i.core
              ? [
                  `InstanceGroupType=CORE,InstanceType=${i.core.instanceType},InstanceCount=${i.core.count}${i.core.market === 'SPOT' ? ',Market=SPOT' : ''}`,
                ]
              : []),
            ...(i.task
              ? [
                  `InstanceGroupType=TASK,InstanceType=${i.task.instanceType},InstanceCount=${i.task.count}${i.task.market === 'SPOT' ? ',Market=SPOT' : ''}`,
                ]
              : []),
          ],
        ];
  const ec2Attributes = [`KeyName=${spec.keyPair.name}`, ...(spec.subnetId ? [`SubnetId=${spec.subnetId}`] : [])].join(',');
  out.push(
    aws(
      'emr',
      'create-cluster',
      [
        ['--name', spec.name],
        ['--release-label', spec.releaseLabel],
        ['--applications', ...spec.applications.map((a) => `Name=${a}`)],
        ...sizing,
        ['--use-default-roles'],
        ['--ec2-attributes', ec2Attributes],
        spec.logUri !== undefined && ['--log-uri', spec.logUri],
        spec.autoTermination.enabled && ['--auto-termination-policy', `IdleTimeout=${spec.autoTermination.idleMinutes * 60}`],
        spec.startThriftServer && [
          '--steps',
          `Type=CUSTOM_JAR,Name=Start Spark Thrift Server,ActionOnFailure=CONTINUE,Jar=command-runner.jar,Args=[${THRIFT_STEP_ARGS.join(',')}]`,
        ],
        ['--tags', ...Object.entries(tagsOf(spec)).map(([k, v]) => `${k}=${v}`)],
      ],
      ctx.region,
    ),
  );
  out.push(
    new CliCommand(
      ['aws', 'emr', 'wait', 'cluster-running'],
      [
        ['--cluster-id', '<ClusterId from create-cluster>'],
        ['--region', ctx.region],
      ],
    ),
  );
  return out;
}

/** The COPY/UNLOAD role a warehouse wizard creates (its trust and policy), and the ARN the warehouse is given. */
function copyRoleCommands(
  spec: RedshiftSpec | RedshiftServerlessSpec,
  ctx: PreviewContext,
): { out: CliCommand[]; roleArn: string | undefined } {
  const out: CliCommand[] = [];
  let roleArn: string | undefined;
  if (spec.iamRole.mode === 'create') {
    roleArn = `arn:aws:iam::${ctx.accountId ?? '<account-id>'}:role/${spec.iamRole.name}`;
    out.push(
      aws(
        'iam',
        'create-role',
        [
          ['--role-name', spec.iamRole.name],
          ['--assume-role-policy-document', json(REDSHIFT_TRUST)],
          ['--tags', ...Object.entries(tagsOf(spec)).map(([k, v]) => `Key=${k},Value=${v}`)],
        ],
        ctx.region,
      ),
    );
    out.push(
      aws(
        'iam',
        'put-role-policy',
        [
          ['--role-name', spec.iamRole.name],
          ['--policy-name', 'tributary-s3-copy-unload'],
          ['--policy-document', json(copyUnloadPolicy(spec.iamRole.bucket, spec.kind === 'redshift' ? spec.kmsKeyId : undefined))],
        ],
        ctx.region,
      ),
    );
  } else if (spec.iamRole.mode === 'existing') {
    roleArn = spec.iamRole.arn;
  }
  return { out, roleArn };
}

export function redshiftCommands(spec: RedshiftSpec, ctx: PreviewContext): CliCommand[] {
  const { out, roleArn } = copyRoleCommands(spec, ctx);
  out.push(
    aws(
      'redshift',
      'create-cluster',
      [
        ['--cluster-identifier', spec.identifier],
        ['--db-name', spec.database],
        ['--node-type', spec.nodeType],
        ...((spec.nodeCount === 1
          ? [['--cluster-type', 'single-node']]
          : [
              ['--cluster-type', 'multi-node'],
              ['--number-of-nodes', String(spec.nodeCount)],
            ]) as Arg[]),
        ['--master-username', spec.masterUsername],
        spec.password === 'managed' ? ['--manage-master-password'] : ['--master-user-password', MASK],
        ['--port', String(spec.port)],
        [spec.publiclyAccessible ? '--publicly-accessible' : '--no-publicly-accessible'],
        [spec.encrypted ? '--encrypted' : '--no-encrypted'],
        spec.encrypted && spec.kmsKeyId !== undefined && ['--kms-key-id', spec.kmsKeyId],
        roleArn !== undefined && ['--iam-roles', roleArn],
        ['--tags', ...Object.entries(tagsOf(spec)).map(([k, v]) => `Key=${k},Value=${v}`)],
      ],
      ctx.region,
    ),
  );
  out.push(
    new CliCommand(
      ['aws', 'redshift', 'wait', 'cluster-available'],
      [
        ['--cluster-identifier', spec.identifier],
        ['--region', ctx.region],
      ],
    ),
  );
  return out;
}

/** The namespace (database, admin user, COPY role) and then its workgroup; Redshift Serverless' tags are key=…,value=…. */
export function redshiftServerlessCommands(spec: RedshiftServerlessSpec, ctx: PreviewContext): CliCommand[] {
  const { out, roleArn } = copyRoleCommands(spec, ctx);
  const tags = ['--tags', ...Object.entries(tagsOf(spec)).map(([k, v]) => `key=${k},value=${v}`)] as Arg;
  out.push(
    aws(
      'redshift-serverless',
      'create-namespace',
      [
        ['--namespace-name', spec.namespaceName],
        ['--db-name', spec.database],
        ['--admin-username', spec.adminUsername],
        spec.password === 'managed' ? ['--manage-admin-password'] : ['--admin-user-password', MASK],
        roleArn !== undefined && ['--iam-roles', roleArn],
        roleArn !== undefined && ['--default-iam-role-arn', roleArn],
        tags,
      ],
      ctx.region,
    ),
  );
  out.push(
    aws(
      'redshift-serverless',
      'create-workgroup',
      [
        ['--workgroup-name', spec.workgroupName],
        ['--namespace-name', spec.namespaceName],
        ['--base-capacity', String(spec.baseCapacity)],
        spec.maxCapacity !== undefined && ['--max-capacity', String(spec.maxCapacity)],
        [spec.publiclyAccessible ? '--publicly-accessible' : '--no-publicly-accessible'],
        tags,
      ],
      ctx.region,
    ),
  );
  return out;
}

/**
 * The role Firehose assumes (its trust and least-privilege policy), then the stream; the Redshift login appears as
 * placeholders and a masked password: the real ones come from the saved connection and the secret store at creation.
 */
export function firehoseCommands(spec: FirehoseSpec, ctx: PreviewContext): CliCommand[] {
  const where = { region: ctx.region, ...(ctx.accountId ? { accountId: ctx.accountId } : {}) };
  const input = deliveryStreamInput(
    spec,
    where,
    spec.redshift ? { jdbcUrl: '<the cluster’s JDBC URL>', user: '<user>', password: MASK } : undefined,
  );
  const role = spec.roleArn.slice(spec.roleArn.lastIndexOf('/') + 1);
  const source = input.KinesisStreamSourceConfiguration?.KinesisStreamARN;
  return [
    aws(
      'iam',
      'create-role',
      [
        ['--role-name', role],
        ['--assume-role-policy-document', json(FIREHOSE_TRUST)],
      ],
      ctx.region,
    ),
    aws(
      'iam',
      'put-role-policy',
      [
        ['--role-name', role],
        ['--policy-name', 'tributary-firehose-delivery'],
        ['--policy-document', json(firehosePolicy(spec.bucket, source ? { streamArn: source } : undefined))],
      ],
      ctx.region,
    ),
    aws(
      'firehose',
      'create-delivery-stream',
      [
        ['--delivery-stream-name', spec.name],
        ['--delivery-stream-type', input.DeliveryStreamType!],
        input.KinesisStreamSourceConfiguration && ['--kinesis-stream-source-configuration', json(input.KinesisStreamSourceConfiguration)],
        input.RedshiftDestinationConfiguration && ['--redshift-destination-configuration', json(input.RedshiftDestinationConfiguration)],
        input.ExtendedS3DestinationConfiguration && [
          '--extended-s3-destination-configuration',
          json(input.ExtendedS3DestinationConfiguration),
        ],
        ['--tags', ...Object.entries(tagsOf(spec)).map(([k, v]) => `Key=${k},Value=${v}`)],
      ],
      ctx.region,
    ),
  ];
}

export function commandsFor(spec: ResourceSpec, ctx: PreviewContext): CliCommand[] {
  switch (spec.kind) {
    case 'kinesis':
      return kinesisCommands(spec, ctx);
    case 's3':
      return s3Commands(spec, ctx);
    case 'emr':
      return emrCommands(spec, ctx);
    case 'redshift':
      return redshiftCommands(spec, ctx);
    case 'redshift-serverless':
      return redshiftServerlessCommands(spec, ctx);
    case 'firehose':
      return firehoseCommands(spec, ctx);
  }
}

/** The commands for one or more specs: single lines, and the pasteable text (one flag per line). */
export function cliPreview(specs: ResourceSpec[], ctx: PreviewContext): { commands: string[]; cli: string } {
  const commands = specs.flatMap((spec) => commandsFor(spec, ctx));
  return { commands: commands.map((c) => c.line()), cli: commands.map((c) => c.pretty()).join('\n\n') };
}
