// Over ~400 lines on purpose: every provisioning operation's schema with AWS's naming rules, declared once, so main and
// the wizards check a draft with the same code.
import { z } from 'zod';
import { S3_URI_SAFE, S3_URI_SAFE_MESSAGE } from '../../sql/literal.js';
import { call, stream } from '../define.js';
import { regionSchema } from './environments.js';
import type { EngineKind } from './workbench.js';

/**
 * Provisioning wizards (Kinesis stream, S3 bucket, EMR cluster, Redshift
 * cluster, and the whole pipeline from one prefix), the inventory of what the
 * pipeline uses, and teardown.
 *
 * Every field is checked here with AWS's own rules, so the renderer can run
 * `provisionSpecSchema.safeParse(draft)` on each keystroke and show each issue
 * under its field (issue paths are field names); `provision.validate` adds the
 * checks that need AWS (a name already taken, a key pair that does not exist).
 * Every optional field has a default that is the safe choice.
 */

// ─── AWS's naming rules, one function each: the reason, or undefined when fine ───────────────────────────

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Amazon S3 general purpose bucket naming rules. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'A bucket name is 3 to 63 characters long.';
  if (/[A-Z]/.test(name)) return 'A bucket name has no uppercase letters.';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'A bucket name holds only lowercase letters, digits, dots (.) and hyphens (-).';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'A bucket name begins and ends with a letter or a digit.';
  if (name.includes('..')) return 'A bucket name cannot have two dots in a row.';
  if (/\.-|-\./.test(name)) return 'A bucket name cannot have a dot next to a hyphen.';
  if (IPV4.test(name)) return 'A bucket name cannot look like an IP address (e.g. 192.168.5.4).';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-'])
    if (name.startsWith(prefix)) return `A bucket name cannot start with "${prefix}" (reserved by AWS).`;
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'])
    if (name.endsWith(suffix)) return `A bucket name cannot end with "${suffix}" (reserved by AWS).`;
  return undefined;
}

/** Kinesis StreamName: 1–128 of [a-zA-Z0-9_.-]. */
export function streamNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 128) return 'A stream name is 1 to 128 characters long.';
  if (!/^[a-zA-Z0-9_.-]+$/.test(name)) return 'A stream name holds only letters, digits, underscores (_), dots (.) and hyphens (-).';
  return undefined;
}

/** Firehose DeliveryStreamName: 1–64 of [a-zA-Z0-9_.-]. */
export function firehoseNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 64) return 'A Firehose stream name is 1 to 64 characters long.';
  if (!/^[a-zA-Z0-9_.-]+$/.test(name))
    return 'A Firehose stream name holds only letters, digits, underscores (_), dots (.) and hyphens (-).';
  return undefined;
}

/** EMR cluster Name: 1–256 characters, no control characters. */
export function emrNameProblem(name: string): string | undefined {
  if (name.trim().length < 1) return 'Give the cluster a name.';
  if (name.length > 256) return 'An EMR cluster name is at most 256 characters long.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'An EMR cluster name cannot hold control characters.';
  return undefined;
}

/** Redshift ClusterIdentifier rules. */
export function redshiftIdentifierProblem(id: string): string | undefined {
  if (id.length < 1 || id.length > 63) return 'A cluster identifier is 1 to 63 characters long.';
  if (/[A-Z]/.test(id)) return 'A cluster identifier has no uppercase letters.';
  if (!/^[a-z0-9-]+$/.test(id)) return 'A cluster identifier holds only lowercase letters, digits and hyphens.';
  if (!/^[a-z]/.test(id)) return 'A cluster identifier starts with a letter.';
  if (id.includes('--')) return 'A cluster identifier cannot have two hyphens in a row.';
  if (id.endsWith('-')) return 'A cluster identifier cannot end with a hyphen.';
  return undefined;
}

/** Redshift Serverless namespace and workgroup names: 3–64 lowercase letters, digits and hyphens. */
function serverlessNameProblem(what: 'namespace' | 'workgroup', name: string): string | undefined {
  if (name.length < 3 || name.length > 64) return `A ${what} name is 3 to 64 characters long.`;
  if (/[A-Z]/.test(name)) return `A ${what} name has no uppercase letters.`;
  if (!/^[a-z0-9-]+$/.test(name)) return `A ${what} name holds only lowercase letters, digits and hyphens.`;
  return undefined;
}
export const serverlessNamespaceProblem = (name: string) => serverlessNameProblem('namespace', name);
export const serverlessWorkgroupProblem = (name: string) => serverlessNameProblem('workgroup', name);

/** Redshift Serverless capacity: base 8–512 RPUs in steps of 8; max 8–5632 in steps of 8, not below the base. */
export const SERVERLESS_CAPACITY = { minBase: 8, maxBase: 512, step: 8, maxMax: 5632 } as const;
export function serverlessCapacityProblem(
  base: number | undefined,
  max: number | undefined,
): { field: 'baseCapacity' | 'maxCapacity'; message: string } | undefined {
  const { minBase, maxBase, step, maxMax } = SERVERLESS_CAPACITY;
  if (base !== undefined && (base < minBase || base > maxBase || base % step !== 0))
    return {
      field: 'baseCapacity',
      message: `The base capacity ${base} is not valid: it must be between ${minBase} and ${maxBase} RPUs, in increments of ${step}.`,
    };
  if (max !== undefined && (max < minBase || max > maxMax || max % step !== 0))
    return {
      field: 'maxCapacity',
      message: `The max capacity ${max} is not valid: it must be between ${minBase} and ${maxMax} RPUs, in increments of ${step}.`,
    };
  if (base !== undefined && max !== undefined && max < base)
    return { field: 'maxCapacity', message: `The max capacity ${max} must not be less than the base capacity ${base}.` };
  return undefined;
}

/** Words Redshift reserves; a database or user cannot be named after one. A subset: the ones a name is likely to hit. */
export const REDSHIFT_RESERVED_WORDS = new Set(
  'aes128 aes256 all allowoverwrite analyse analyze and any array as asc authorization backup between binary both bytedict case cast check collate column constraint create credentials cross current_date current_time current_timestamp current_user current_user_id default deferrable deflate defrag delta delta32k desc disable distinct do else emptyasnull enable encode encrypt encryption end except explicit false for foreign freeze from full globaldict256 globaldict64k grant group gzip having identity ignore ilike in initially inner intersect interval into is isnull join leading left like limit localtime localtimestamp lun luns lzo lzop minus mostly13 mostly32 mostly8 natural new not notnull null nulls off offline offset oid old on only open or order outer overlaps parallel partition percent permissions pivot placing primary raw readratio recover references rejectlog resort respect restore right select session_user similar snapshot some sysdate system table tag tdes text255 text32k then timestamp to top trailing true truncatecolumns union unique unnest unpivot user using verbose wallet when where with without'.split(
    ' ',
  ),
);

/** Redshift DBName: 1–64 lowercase letters, digits, _ or $, starting with a letter or _, not a reserved word. */
export function redshiftDatabaseProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 64) return 'A database name is 1 to 64 characters long.';
  if (/[A-Z]/.test(name)) return 'A database name has only lowercase letters.';
  if (!/^[a-z0-9_$]+$/.test(name)) return 'A database name holds only lowercase letters, digits, underscores (_) and dollar signs ($).';
  if (!/^[a-z_]/.test(name)) return 'A database name starts with a letter or an underscore.';
  if (REDSHIFT_RESERVED_WORDS.has(name)) return `"${name}" is a word Redshift reserves.`;
  return undefined;
}

/** Redshift MasterUsername rules. */
export function redshiftUserProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 128) return 'A master user name is 1 to 128 characters long.';
  if (/[A-Z]/.test(name)) return 'A master user name has only lowercase letters.';
  if (!/^[a-z]/.test(name)) return 'A master user name starts with a letter.';
  if (!/^[a-z0-9_+.@-]+$/.test(name)) return 'A master user name holds only lowercase letters, digits, _ + . @ and -.';
  if (name === 'public' || REDSHIFT_RESERVED_WORDS.has(name)) return `"${name}" is a word Redshift reserves.`;
  return undefined;
}

/** Redshift MasterUserPassword rules: 8–64 printable ASCII, an uppercase, a lowercase and a digit, none of ' " \ / @ or space. */
export function redshiftPasswordProblem(password: string): string | undefined {
  if (password.length < 8 || password.length > 64) return 'A master password is 8 to 64 characters long.';
  if (!/[A-Z]/.test(password) || !/[a-z]/.test(password) || !/[0-9]/.test(password))
    return 'A master password has an uppercase letter, a lowercase letter and a digit.';
  if (/[^\x21-\x7e]/.test(password)) return 'A master password holds printable ASCII characters only, without spaces.';
  if (/['"\\/@]/.test(password)) return 'A master password cannot hold \' " \\ / or @.';
  return undefined;
}

/** EC2 key pair name: 1–255 ASCII characters. */
export function keyPairNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 255) return 'A key pair name is 1 to 255 characters long.';
  if (!/^[\x20-\x7e]+$/.test(name)) return 'A key pair name holds ASCII characters only.';
  if (name.trim() !== name) return 'A key pair name cannot start or end with a space.';
  return undefined;
}

/** IAM role name: 1–64 of [A-Za-z0-9+=,.@_-]. */
export function roleNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 64) return 'A role name is 1 to 64 characters long.';
  if (!/^[A-Za-z0-9+=,.@_-]+$/.test(name)) return 'A role name holds only letters, digits and + = , . @ _ -.';
  return undefined;
}

/** The prefix every name of a pipeline is derived from. */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.length < 3 || prefix.length > 20) return 'A prefix is 3 to 20 characters long.';
  if (!/^[a-z][a-z0-9-]*$/.test(prefix)) return 'A prefix starts with a lowercase letter and holds lowercase letters, digits and hyphens.';
  if (prefix.includes('--') || prefix.endsWith('-')) return 'A prefix has no two hyphens in a row and does not end with one.';
  return undefined;
}

const ruled = (problem: (value: string) => string | undefined, max: number) =>
  z
    .string()
    .max(max)
    .superRefine((value, ctx) => {
      const reason = problem(value);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    });

export const streamNameSchema = ruled(streamNameProblem, 128);
export const firehoseNameSchema = ruled(firehoseNameProblem, 64);
export const bucketNameSchema = ruled(bucketNameProblem, 63);
export const emrNameSchema = ruled(emrNameProblem, 256);
export const redshiftIdentifierSchema = ruled(redshiftIdentifierProblem, 63);
export const redshiftDatabaseSchema = ruled(redshiftDatabaseProblem, 64);
export const serverlessNamespaceSchema = ruled(serverlessNamespaceProblem, 64);
export const serverlessWorkgroupSchema = ruled(serverlessWorkgroupProblem, 64);
export const redshiftUserSchema = ruled(redshiftUserProblem, 128);
export const keyPairNameSchema = ruled(keyPairNameProblem, 255);
export const roleNameSchema = ruled(roleNameProblem, 64);
export const prefixSchema = ruled(prefixProblem, 20);

const kmsKeySchema = z
  .string()
  .max(2048)
  .regex(
    /^(alias\/[A-Za-z0-9/_-]{1,250}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]{1,250})$/,
    'A KMS key id, key ARN, alias/name or alias ARN',
  );
const subnetIdSchema = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'A subnet id (subnet-…)');
const roleArnSchema = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/, 'An IAM role ARN (arn:aws:iam::<account>:role/<name>)');
const s3UriSchema = z
  .string()
  .max(1024)
  .regex(S3_URI_SAFE, S3_URI_SAFE_MESSAGE)
  .regex(/^s3n?:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/, 'An s3://bucket/prefix/ URI');
const tableNameSchema = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'A table folder name: lowercase letters, digits and _');

// ─── What can be chosen: lists for the wizards' pickers ──────────────────────────────────────────────────

export const STREAM_LIMITS = {
  minShards: 1,
  maxShards: 500,
  defaultShardQuota: 200,
  minRetentionHours: 24,
  maxRetentionHours: 8760,
} as const;

export const EMR_APPLICATIONS = ['Spark', 'Hive', 'Livy', 'Hue', 'JupyterEnterpriseGateway', 'Trino', 'Presto', 'HBase', 'Flink'] as const;
export type EmrApplication = (typeof EMR_APPLICATIONS)[number];
/** The default when ListReleaseLabels cannot be asked; `provision.options` gives the newest emr-7.x. */
export const EMR_DEFAULT_RELEASE = 'emr-7.9.0';
/** The instance types the wizard offers (the price table has each); any other valid type may be typed. */
export const EMR_INSTANCE_TYPES = [
  'm5.xlarge',
  'm5.2xlarge',
  'm5.4xlarge',
  'm6g.xlarge',
  'm6i.xlarge',
  'm7g.xlarge',
  'r5.xlarge',
  'r5.2xlarge',
  'c5.xlarge',
  'c5.2xlarge',
] as const;
const instanceTypeSchema = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'An EC2 instance type, e.g. m5.xlarge');
export const EMR_LIMITS = { maxInstances: 100, minIdleMinutes: 1, maxIdleMinutes: 7 * 24 * 60 } as const;

/** Redshift node types with AWS's node counts for CreateCluster and their ports. */
export const REDSHIFT_NODE_TYPES = {
  'ra3.large': { vcpu: 2, memoryGiB: 16, storage: '1 TB managed per node', singleNode: true, maxNodes: 16, ra3: true },
  'ra3.xlplus': { vcpu: 4, memoryGiB: 32, storage: '32 TB managed per node', singleNode: true, maxNodes: 16, ra3: true },
  'ra3.4xlarge': { vcpu: 12, memoryGiB: 96, storage: '128 TB managed per node', singleNode: false, maxNodes: 32, ra3: true },
  'ra3.16xlarge': { vcpu: 48, memoryGiB: 384, storage: '128 TB managed per node', singleNode: false, maxNodes: 128, ra3: true },
  'dc2.large': { vcpu: 2, memoryGiB: 15, storage: '160 GB SSD per node', singleNode: true, maxNodes: 32, ra3: false },
  'dc2.8xlarge': { vcpu: 32, memoryGiB: 244, storage: '2.56 TB SSD per node', singleNode: false, maxNodes: 128, ra3: false },
} as const;
export type RedshiftNodeType = keyof typeof REDSHIFT_NODE_TYPES;
export const REDSHIFT_NODE_TYPE_NAMES = Object.keys(REDSHIFT_NODE_TYPES) as RedshiftNodeType[];

/** The node count's rule for a node type, or undefined when fine. */
export function redshiftNodeCountProblem(nodeType: RedshiftNodeType, count: number): string | undefined {
  const spec = REDSHIFT_NODE_TYPES[nodeType];
  const min = spec.singleNode ? 1 : 2;
  if (count < min || count > spec.maxNodes) return `${nodeType} takes ${min === 1 ? '1 (single-node)' : '2'} to ${spec.maxNodes} nodes.`;
  return undefined;
}

/** The port's rule for a node type: RA3 takes 5431–5455 or 8191–8215, DC2 1150–65535. */
export function redshiftPortProblem(nodeType: RedshiftNodeType, port: number): string | undefined {
  if (REDSHIFT_NODE_TYPES[nodeType].ra3) {
    if ((port >= 5431 && port <= 5455) || (port >= 8191 && port <= 8215)) return undefined;
    return 'RA3 clusters listen on a port in 5431–5455 or 8191–8215 (5439 by default).';
  }
  return port >= 1150 && port <= 65535 ? undefined : 'The port is 1150 to 65535 (5439 by default).';
}

// ─── The four wizards' specs ─────────────────────────────────────────────────────────────────────────────

const pipelineTag = prefixSchema.optional().describe('Tags the resource tributary:pipeline=<prefix>');

export const kinesisSpecSchema = z
  .object({
    kind: z.literal('kinesis'),
    name: streamNameSchema,
    mode: z.enum(['provisioned', 'on-demand']).default('provisioned'),
    /** Provisioned mode only. */
    shardCount: z
      .number({ error: 'Give a number of shards' })
      .int('A whole number of shards')
      .min(STREAM_LIMITS.minShards, 'At least 1 shard')
      .max(
        STREAM_LIMITS.maxShards,
        `At most ${STREAM_LIMITS.maxShards} shards (the account's shard quota, 200 by default in most regions, applies first)`,
      )
      .default(1),
    retentionHours: z
      .number({ error: 'Give the retention in hours' })
      .int('A whole number of hours')
      .min(STREAM_LIMITS.minRetentionHours, 'Kinesis keeps records at least 24 hours')
      .max(STREAM_LIMITS.maxRetentionHours, 'Kinesis keeps records at most 8760 hours (365 days)')
      .default(24),
    encryption: z
      .object({ enabled: z.boolean().default(true), kmsKeyId: kmsKeySchema.default('alias/aws/kinesis') })
      .strict()
      .default({ enabled: true, kmsKeyId: 'alias/aws/kinesis' }),
    pipeline: pipelineTag,
  })
  .strict();

export const s3SpecSchema = z
  .object({
    kind: z.literal('s3'),
    name: bucketNameSchema,
    /** The environment's region when absent. */
    region: regionSchema.optional(),
    encryption: z
      .object({
        type: z.enum(['SSE-S3', 'SSE-KMS']).default('SSE-S3'),
        kmsKeyId: kmsKeySchema.optional(),
        bucketKey: z.boolean().default(true),
      })
      .strict()
      .default({ type: 'SSE-S3', bucketKey: true }),
    versioning: z.boolean().default(true),
    blockPublicAccess: z.boolean().default(true),
    /** A lifecycle rule for raw/: to Standard-IA, then expired; off unless asked. */
    rawLifecycle: z
      .object({
        enabled: z.boolean().default(false),
        transitionToIaDays: z.number().int().min(30, 'Standard-IA takes objects at least 30 days old').max(3650).optional(),
        expireDays: z.number().int().min(1).max(36500).default(365),
      })
      .strict()
      .default({ enabled: false, expireDays: 365 }),
    /** The pipeline's folders: raw/<table>/, curated/<table>/v1/ (partitions dt=YYYY-MM-DD below it). */
    layout: z
      .object({ create: z.boolean().default(true), tables: z.array(tableNameSchema).min(1).max(20).default(['access_logs']) })
      .strict()
      .default({ create: true, tables: ['access_logs'] }),
    pipeline: pipelineTag,
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (
      spec.rawLifecycle.enabled &&
      spec.rawLifecycle.transitionToIaDays !== undefined &&
      spec.rawLifecycle.expireDays <= spec.rawLifecycle.transitionToIaDays
    ) {
      ctx.addIssue({ code: 'custom', path: ['rawLifecycle', 'expireDays'], message: 'Expire after the transition to Standard-IA.' });
    }
  });

const instanceGroupSchema = z
  .object({
    instanceType: instanceTypeSchema,
    count: z
      .number()
      .int('A whole number of instances')
      .min(1, 'At least 1 instance')
      .max(EMR_LIMITS.maxInstances, `At most ${EMR_LIMITS.maxInstances} instances here`),
    market: z.enum(['ON_DEMAND', 'SPOT']).default('ON_DEMAND'),
  })
  .strict();

export const emrSpecSchema = z
  .object({
    kind: z.literal('emr'),
    name: emrNameSchema,
    releaseLabel: z
      .string()
      .regex(/^emr-\d+\.\d+\.\d+$/, 'A release label such as emr-7.9.0')
      .default(EMR_DEFAULT_RELEASE),
    applications: z
      .array(z.enum(EMR_APPLICATIONS))
      .min(1, 'Pick at least one application')
      .max(EMR_APPLICATIONS.length)
      .refine((apps) => new Set(apps).size === apps.length, 'Each application once')
      .default(['Spark', 'Hive']),
    /** One instance type for all (`--instance-type --instance-count`), or instance groups. */
    instances: z
      .discriminatedUnion('mode', [
        z
          .object({
            mode: z.literal('uniform'),
            instanceType: instanceTypeSchema.default('m5.xlarge'),
            count: z
              .number()
              .int('A whole number of instances')
              .min(1, 'At least 1 instance (the master)')
              .max(EMR_LIMITS.maxInstances, `At most ${EMR_LIMITS.maxInstances} instances here`)
              .default(2),
          })
          .strict(),
        z
          .object({
            mode: z.literal('groups'),
            master: z.object({ instanceType: instanceTypeSchema }).strict(),
            core: instanceGroupSchema.optional(),
            task: instanceGroupSchema.optional(),
          })
          .strict(),
      ])
      .default({ mode: 'uniform', instanceType: 'm5.xlarge', count: 2 }),
    /** An existing key pair, or a new one whose private key is saved (0600) in the data directory. */
    keyPair: z.discriminatedUnion('mode', [
      z.object({ mode: z.literal('existing'), name: keyPairNameSchema }).strict(),
      z.object({ mode: z.literal('create'), name: keyPairNameSchema }).strict(),
    ]),
    subnetId: subnetIdSchema.optional(),
    /** EMR_DefaultRole and EMR_EC2_DefaultRole (+ instance profile), created as `aws emr create-default-roles` does when missing. */
    createDefaultRoles: z.boolean().default(true),
    logUri: s3UriSchema.optional(),
    autoTermination: z
      .object({
        enabled: z.boolean().default(true),
        idleMinutes: z
          .number()
          .int()
          .min(EMR_LIMITS.minIdleMinutes, 'At least 1 minute idle')
          .max(EMR_LIMITS.maxIdleMinutes, 'At most 7 days idle')
          .default(60),
      })
      .strict()
      .default({ enabled: true, idleMinutes: 60 }),
    /** Starts the Spark Thrift Server (port 10001) as a step once the cluster is up, for Spark SQL through a tunnel. */
    startThriftServer: z.boolean().default(false),
    pipeline: pipelineTag,
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.startThriftServer && !spec.applications.includes('Spark'))
      ctx.addIssue({ code: 'custom', path: ['startThriftServer'], message: 'The Spark Thrift Server needs Spark among the applications.' });
  });

/** The role Redshift assumes for COPY and UNLOAD: created with a least-privilege policy on the bucket, an existing one, or none. */
const copyRoleSchema = z
  .discriminatedUnion('mode', [
    z.object({ mode: z.literal('create'), name: roleNameSchema, bucket: bucketNameSchema }).strict(),
    z.object({ mode: z.literal('existing'), arn: roleArnSchema }).strict(),
    z.object({ mode: z.literal('none') }).strict(),
  ])
  .default({ mode: 'none' });

export const redshiftSpecSchema = z
  .object({
    kind: z.literal('redshift'),
    identifier: redshiftIdentifierSchema,
    database: redshiftDatabaseSchema.default('dev'),
    nodeType: z.enum(REDSHIFT_NODE_TYPE_NAMES as [RedshiftNodeType, ...RedshiftNodeType[]]).default('ra3.large'),
    nodeCount: z
      .number({ error: 'Give a number of nodes' })
      .int('A whole number of nodes')
      .min(1, 'At least 1 node')
      .max(128, 'At most 128 nodes')
      .default(1),
    masterUsername: redshiftUserSchema.default('awsuser'),
    /** Generated here (never shown, kept in the secret store with the connection), or managed by AWS Secrets Manager. */
    password: z.enum(['generate', 'managed']).default('generate'),
    port: z.number().int().min(1150).max(65535).default(5439),
    publiclyAccessible: z.boolean().default(false),
    encrypted: z.boolean().default(true),
    kmsKeyId: kmsKeySchema.optional(),
    iamRole: copyRoleSchema,
    /** The connection it saves (the password stays with it); a name is derived when absent. */
    connectionName: z.string().trim().min(1).max(100).optional(),
    pipeline: pipelineTag,
  })
  .strict()
  .superRefine((spec, ctx) => {
    const count = redshiftNodeCountProblem(spec.nodeType, spec.nodeCount);
    if (count) ctx.addIssue({ code: 'custom', path: ['nodeCount'], message: count });
    const port = redshiftPortProblem(spec.nodeType, spec.port);
    if (port) ctx.addIssue({ code: 'custom', path: ['port'], message: port });
  });

/** A Redshift Serverless namespace (its database and admin user) and the one workgroup that serves it. */
export const redshiftServerlessSpecSchema = z
  .object({
    kind: z.literal('redshift-serverless'),
    namespaceName: serverlessNamespaceSchema,
    workgroupName: serverlessWorkgroupSchema,
    database: redshiftDatabaseSchema.default('dev'),
    adminUsername: redshiftUserSchema.default('admin'),
    /** Generated here (never shown, kept in the secret store with the connection), or managed by AWS Secrets Manager. */
    password: z.enum(['generate', 'managed']).default('generate'),
    baseCapacity: z.number({ error: 'Give the base capacity in RPUs' }).int('A whole number of RPUs').default(8),
    maxCapacity: z.number({ error: 'Give the max capacity in RPUs' }).int('A whole number of RPUs').optional(),
    publiclyAccessible: z.boolean().default(false),
    iamRole: copyRoleSchema,
    connectionName: z.string().trim().min(1).max(100).optional(),
    pipeline: pipelineTag,
  })
  .strict()
  .superRefine((spec, ctx) => {
    const problem = serverlessCapacityProblem(spec.baseCapacity, spec.maxCapacity);
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  });

/** An S3 prefix as Firehose takes it: up to 1024 characters, printable, not starting with a slash. */
const firehosePrefixSchema = z
  .string()
  .max(1024, 'A prefix is at most 1024 characters long')
  // eslint-disable-next-line no-control-regex
  .regex(/^[^/\u0000-\u001f][^\u0000-\u001f]*$/, 'A prefix does not start with / and holds no control characters');
const sqlIdentifierSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,126}$/, 'A table or column name');

export const FIREHOSE_LIMITS = {
  minSizeMiB: 1,
  maxSizeMiB: 128,
  minIntervalSeconds: 0,
  maxIntervalSeconds: 900,
  maxRetrySeconds: 7200,
} as const;

export const firehoseSpecSchema = z
  .object({
    kind: z.literal('firehose'),
    name: firehoseNameSchema,
    /** Records put to it directly (PutRecord, PutRecordBatch), or read from a Kinesis stream (the pipeline's). */
    source: z
      .discriminatedUnion('mode', [
        z.object({ mode: z.literal('direct-put') }).strict(),
        z.object({ mode: z.literal('kinesis'), streamName: streamNameSchema }).strict(),
      ])
      .default({ mode: 'direct-put' }),
    /** The raw bucket it writes to (for Redshift, its staging). */
    bucket: bucketNameSchema,
    /** Firehose's default, yyyy/MM/dd/HH/, when absent; may hold !{timestamp:…} and !{firehose:random-string}. */
    prefix: firehosePrefixSchema.optional(),
    /** Where failed records (and Redshift's skipped manifests) go; may hold !{firehose:error-output-type}. */
    errorOutputPrefix: firehosePrefixSchema.optional(),
    buffering: z
      .object({
        sizeMiB: z
          .number()
          .int()
          .min(FIREHOSE_LIMITS.minSizeMiB, 'At least 1 MiB')
          .max(FIREHOSE_LIMITS.maxSizeMiB, 'At most 128 MiB')
          .default(5),
        intervalSeconds: z
          .number()
          .int()
          .min(FIREHOSE_LIMITS.minIntervalSeconds, 'At least 0 seconds')
          .max(FIREHOSE_LIMITS.maxIntervalSeconds, 'At most 900 seconds')
          .default(300),
      })
      .strict()
      .default({ sizeMiB: 5, intervalSeconds: 300 }),
    compression: z.enum(['UNCOMPRESSED', 'GZIP']).default('UNCOMPRESSED'),
    /** The role Firehose assumes to read the source and write the bucket. */
    roleArn: roleArnSchema,
    /** Optionally, COPY each delivered batch into Redshift; the login comes from a saved Redshift connection and its secret. */
    redshift: z
      .object({
        connectionId: z.string().min(1).max(100),
        table: sqlIdentifierSchema,
        /** The columns COPY fills, in order; every column of the table when absent. */
        columns: z.array(sqlIdentifierSchema).min(1).max(1600).optional(),
        /** COPY options as Redshift takes them, e.g. FORMAT AS JSON 'auto' GZIP. */
        copyOptions: z.string().max(4096).optional(),
        retrySeconds: z.number().int().min(0).max(FIREHOSE_LIMITS.maxRetrySeconds).default(3600),
      })
      .strict()
      .optional(),
    pipeline: pipelineTag,
  })
  .strict()
  .superRefine((spec, ctx) => {
    // Firehose refuses a prefix with expressions unless the error prefix is given too.
    if (spec.prefix?.includes('!{') && !spec.errorOutputPrefix)
      ctx.addIssue({
        code: 'custom',
        path: ['errorOutputPrefix'],
        message: 'A prefix with !{…} expressions needs an error output prefix.',
      });
    if (spec.redshift && spec.compression === 'GZIP' && !/\bgzip\b/i.test(spec.redshift.copyOptions ?? ''))
      ctx.addIssue({ code: 'custom', path: ['redshift', 'copyOptions'], message: 'GZIP objects need GZIP among the COPY options.' });
  });

export const resourceSpecSchema = z.discriminatedUnion('kind', [
  kinesisSpecSchema,
  s3SpecSchema,
  emrSpecSchema,
  redshiftSpecSchema,
  redshiftServerlessSpecSchema,
  firehoseSpecSchema,
]);
export type ResourceSpec = z.output<typeof resourceSpecSchema>;
export type ResourceSpecInput = z.input<typeof resourceSpecSchema>;
export type KinesisSpec = z.output<typeof kinesisSpecSchema>;
export type S3Spec = z.output<typeof s3SpecSchema>;
export type EmrSpec = z.output<typeof emrSpecSchema>;
export type RedshiftSpec = z.output<typeof redshiftSpecSchema>;
export type RedshiftServerlessSpec = z.output<typeof redshiftServerlessSpecSchema>;
export type FirehoseSpec = z.output<typeof firehoseSpecSchema>;

/** The whole pipeline from one prefix: every name derived, every choice the safe default unless overridden. */
export const pipelineSpecSchema = z
  .object({
    kind: z.literal('pipeline'),
    prefix: prefixSchema,
    /** Names derived from the prefix when absent: <prefix>-events, <prefix>-<account>-<region>, <prefix>-emr, <prefix>-warehouse. */
    streamName: streamNameSchema.optional(),
    bucketName: bucketNameSchema.optional(),
    shardCount: z.number().int().min(STREAM_LIMITS.minShards).max(STREAM_LIMITS.maxShards).default(1),
    emrInstanceType: instanceTypeSchema.default('m5.xlarge'),
    emrInstanceCount: z.number().int().min(1).max(EMR_LIMITS.maxInstances).default(2),
    releaseLabel: z
      .string()
      .regex(/^emr-\d+\.\d+\.\d+$/, 'A release label such as emr-7.9.0')
      .optional(),
    /** The key pair for the EMR master: the sandbox's own there, a new <prefix>-key on AWS, unless given. */
    keyPair: z
      .discriminatedUnion('mode', [
        z.object({ mode: z.literal('existing'), name: keyPairNameSchema }).strict(),
        z.object({ mode: z.literal('create'), name: keyPairNameSchema }).strict(),
      ])
      .optional(),
    subnetId: subnetIdSchema.optional(),
    redshiftNodeType: z.enum(REDSHIFT_NODE_TYPE_NAMES as [RedshiftNodeType, ...RedshiftNodeType[]]).default('ra3.large'),
    redshiftNodeCount: z.number().int().min(1).max(128).default(1),
    database: redshiftDatabaseSchema.default('dev'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const count = redshiftNodeCountProblem(spec.redshiftNodeType, spec.redshiftNodeCount);
    if (count) ctx.addIssue({ code: 'custom', path: ['redshiftNodeCount'], message: count });
  });
export type PipelineSpec = z.output<typeof pipelineSpecSchema>;

export const provisionSpecSchema = z.discriminatedUnion('kind', [
  kinesisSpecSchema,
  s3SpecSchema,
  emrSpecSchema,
  redshiftSpecSchema,
  redshiftServerlessSpecSchema,
  firehoseSpecSchema,
  pipelineSpecSchema,
]);
export type ProvisionSpec = z.output<typeof provisionSpecSchema>;
export type ProvisionSpecInput = z.input<typeof provisionSpecSchema>;

/** A wizard's starting point: names from a prefix, every other field its default (parse it to fill them). */
export function defaultSpec(kind: ResourceSpec['kind'] | 'pipeline', prefix = 'tributary'): ProvisionSpecInput {
  switch (kind) {
    case 'kinesis':
      return { kind, name: `${prefix}-events` };
    case 's3':
      return { kind, name: `${prefix}-data` };
    case 'emr':
      return { kind, name: `${prefix}-emr`, keyPair: { mode: 'create', name: `${prefix}-key` } };
    case 'redshift':
      return { kind, identifier: `${prefix}-warehouse` };
    case 'redshift-serverless':
      return { kind, namespaceName: `${prefix}-ns`, workgroupName: `${prefix}-wg` };
    case 'firehose':
      return {
        kind,
        name: `${prefix}-firehose`,
        bucket: `${prefix}-data`,
        roleArn: 'arn:aws:iam::123456789012:role/TributaryFirehoseRole',
      };
    case 'pipeline':
      return { kind, prefix };
  }
}

// ─── Results and chunks ───────────────────────────────────────────────────────────────────────────────────

export const resourceTypes = [
  'kinesis-stream',
  'firehose-stream',
  's3-bucket',
  'emr-cluster',
  'redshift-cluster',
  'redshift-namespace',
  'redshift-workgroup',
  'iam-role',
  'ec2-key-pair',
] as const;
export type ResourceType = (typeof resourceTypes)[number];

/** A resource: its type and its AWS id (stream name, bucket name, j-… cluster id, cluster identifier, role or key pair name). */
export interface ResourceRef {
  type: ResourceType;
  id: string;
  name: string;
}

export interface CostEstimate {
  /** On-demand USD per hour for the chosen sizes (storage-priced resources: per hour for what they hold). */
  usdPerHour: number;
  /** The hourly cost is charged only while the resource works (Redshift Serverless), nothing while idle. */
  onlyWhileWorking?: boolean;
  /** What is billed per GB that goes through (Firehose's ingestion), besides the hourly cost. */
  usdPerGbIngested?: number;
  /** One line per priced item, e.g. "2 × m5.xlarge: EC2 $0.192 + EMR $0.048 = $0.480/h". */
  basis: string[];
  region: string;
  /** The region whose prices were used (us-east-1 when the table has none for `region`). */
  pricedRegion: string;
  priceTableDate: string;
  priceTableSource: string;
}

export interface ProvisionPreview {
  /** The equivalent AWS CLI commands, one per line group, shell-quoted, secrets as ****. */
  cli: string;
  commands: string[];
  cost: CostEstimate;
  warnings: string[];
  /** Names derived for a pipeline (and the bucket's region), to show before creating. */
  names?: Record<string, string>;
}

export type ProblemReason =
  'throttled' | 'limit' | 'exists' | 'access-denied' | 'invalid' | 'not-found' | 'timeout' | 'failed' | 'cancelled' | 'other';

/** What went wrong, in one message, with AWS's own code and the action that failed. */
export interface ProvisionFailure {
  reason: ProblemReason;
  message: string;
  awsCode?: string;
  /** e.g. kinesis:CreateStream */
  action?: string;
}

export interface SavedConnectionRef {
  id: string;
  name: string;
  engine: EngineKind;
  /** How it is reached, e.g. "directly" or "through an SSH tunnel via the EMR master (open a session first)". */
  route: string;
}

export type ProvisionChunk =
  | { kind: 'started'; runId: string; environmentId: string; plan: string[] }
  | {
      kind: 'step';
      step: string;
      state: 'running' | 'waiting' | 'done' | 'skipped' | 'failed';
      elapsedMs: number;
      message: string;
      resource?: ResourceRef;
      /** AWS's own state while waiting: CREATING, STARTING, creating… */
      awsState?: string;
    }
  | {
      kind: 'done';
      runId: string;
      elapsedMs: number;
      resources: ResourceRef[];
      connections: SavedConnectionRef[];
      keyFile?: string;
      notes: string[];
    }
  | { kind: 'failed'; runId: string; elapsedMs: number; failure: ProvisionFailure; halfCreated: ResourceRef[] };

export interface ProvisionIssue {
  /** The field, as in the spec (e.g. "name", "keyPair.name"). */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface ProvisionOptions {
  environment: { id: string; kind: 'sandbox' | 'aws'; region: string };
  accountId?: string;
  releaseLabels: string[];
  defaultReleaseLabel: string;
  keyPairs: { name: string; hasKeyFile: boolean }[];
  subnets: { id: string; vpcId: string; availabilityZone: string; cidr: string; defaultForAz: boolean }[];
  roles: { emrServiceRole: boolean; emrInstanceProfile: boolean; redshiftCandidates: { name: string; arn: string }[] };
  buckets: string[];
  applications: readonly string[];
  instanceTypes: { type: string; usdPerHour?: number; emrUsdPerHour?: number }[];
  nodeTypes: {
    type: RedshiftNodeType;
    vcpu: number;
    memoryGiB: number;
    storage: string;
    minNodes: number;
    maxNodes: number;
    usdPerHour?: number;
  }[];
  priceTableDate: string;
  /** Anything that could not be listed (a missing permission), so the picker says why it is empty. */
  problems: string[];
}

export interface InventoryItem {
  type: Exclude<ResourceType, 'iam-role' | 'ec2-key-pair'>;
  id: string;
  name: string;
  /** Tagged tributary:managed=true. */
  managed: boolean;
  pipeline?: string;
  /** Created by a Tributary run recorded here (its run id), e.g. one that failed half-way. */
  runId?: string;
  state: string;
  createdAt?: string;
  ageMs?: number;
  /** e.g. "2 shards", "14 objects, 3.2 MiB", "2 × m5.xlarge", "1 × ra3.large" */
  size: string;
  costPerHour: number;
  costSoFar: number;
  /** The typed confirmation inventory.delete asks for (the resource's name). */
  confirmWith: string;
  deletable: boolean;
}

export interface Inventory {
  environmentId: string;
  region: string;
  items: InventoryItem[];
  totalPerHour: number;
  totalSoFar: number;
  priceTableDate: string;
  checkedAt: string;
  /** What could not be read (a permission, a region), per service. */
  problems: string[];
}

export type InventoryDeleteChunk =
  | {
      kind: 'step';
      step: string;
      state: 'running' | 'waiting' | 'done' | 'skipped' | 'failed';
      elapsedMs: number;
      message: string;
      awsState?: string;
    }
  | { kind: 'progress'; step: string; done: number; total?: number; elapsedMs: number; message: string }
  | { kind: 'done'; elapsedMs: number; snapshot?: string };

export type InventoryWatchChunk =
  | { kind: 'inventory'; inventory: Inventory }
  | { kind: 'change'; item: { type: InventoryItem['type']; id: string; name: string }; from?: string; to?: string; message: string };

// ─── Operations ───────────────────────────────────────────────────────────────────────────────────────────

const runIdSchema = z.string().regex(/^p-[0-9a-f]{8,32}$/, 'Not a provisioning run id');
const none = z.object({}).strict();

export const provision = {
  options: call<ProvisionOptions>()({
    summary:
      'What the wizards can pick from in the active environment: release labels, key pairs, subnets, roles, buckets, sizes and prices.',
    input: none,
  }),
  validate: call<{ issues: ProvisionIssue[] }>()({
    summary: 'Checks a spec against the account: names already taken, key pairs, subnets and roles that do not exist.',
    input: z.object({ spec: provisionSpecSchema }).strict(),
  }),
  preview: call<ProvisionPreview>()({
    summary: 'The equivalent AWS CLI commands (secrets masked), the hourly cost estimate and warnings for a spec.',
    input: z.object({ spec: provisionSpecSchema, region: regionSchema.optional() }).strict(),
  }),
  create: stream<ProvisionChunk>()({
    summary: 'Creates one resource, tagged as Tributary’s, and follows it until usable; on failure says why and what was half-created.',
    input: z.object({ spec: resourceSpecSchema }).strict(),
  }),
  pipeline: stream<ProvisionChunk>()({
    summary:
      'Creates the stream, bucket, EMR cluster and Redshift cluster from one prefix, in order, and saves the connections they imply.',
    input: z.object({ spec: pipelineSpecSchema }).strict(),
  }),
  cleanup: stream<ProvisionChunk>()({
    summary: 'Deletes what a failed or cancelled run created (its run id), and nothing else.',
    input: z.object({ runId: runIdSchema }).strict(),
  }),
};

const inventoryTypeSchema = z.enum([
  'kinesis-stream',
  'firehose-stream',
  's3-bucket',
  'emr-cluster',
  'redshift-cluster',
  'redshift-namespace',
  'redshift-workgroup',
]);

export const inventory = {
  list: call<Inventory>()({
    summary: 'Everything the pipeline uses in the active environment (Tributary’s and untagged), with state, age, size and cost.',
    input: z.object({ includeUntagged: z.boolean().default(true) }).strict(),
  }),
  watch: stream<InventoryWatchChunk>()({
    summary: 'The inventory, again every interval, with a change chunk for each state change; cancel it when the window is hidden.',
    input: z
      .object({ intervalSeconds: z.number().int().min(5).max(3600).default(30), includeUntagged: z.boolean().default(true) })
      .strict(),
  }),
  delete: stream<InventoryDeleteChunk>()({
    summary:
      'Deletes a stream, bucket (emptied first), EMR cluster, Redshift cluster, or Redshift Serverless workgroup or namespace (its workgroup first), after its name is typed.',
    input: z
      .object({
        type: inventoryTypeSchema,
        id: z.string().min(1).max(256),
        /** The resource's name, typed by the operator; checked here. */
        confirm: z.string().max(256),
        /** Redshift: take a final snapshot (the default) named this, or a derived name. */
        finalSnapshot: z.boolean().default(true),
        finalSnapshotIdentifier: redshiftIdentifierSchema.optional(),
      })
      .strict(),
  }),
};
