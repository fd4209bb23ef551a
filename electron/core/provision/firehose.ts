import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ListDeliveryStreamsCommand,
  ListTagsForDeliveryStreamCommand,
  type CreateDeliveryStreamCommandInput,
  type DeliveryStreamDescription,
  type S3DestinationConfiguration,
} from '@aws-sdk/client-firehose';
import { DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { GetWorkgroupCommand, RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import type { FirehoseSpec, ProvisionChunk, ResourceRef } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { aws, unlessNotFound } from '../aws/errors.js';
import { step, waitGone, waitUntil, type Created, type RunContext } from './context.js';
import { managedTags, tagList, tagRecord } from './plan.js';

const ACTIVE_TIMEOUT_MS = 10 * 60_000;

/** Where a Firehose stream's COPY logs in: the cluster's endpoint and a saved connection's user and password. */
export interface RedshiftLogin {
  jdbcUrl: string;
  user: string;
  password: string;
}

async function description(firehose: FirehoseClient, name: string, signal: AbortSignal): Promise<DeliveryStreamDescription | undefined> {
  return (
    await unlessNotFound(() => firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }), { abortSignal: signal }))
  )?.DeliveryStreamDescription;
}

export function deliveryStreamExists(ctx: RunContext, name: string): Promise<boolean> {
  return ctx.scope.use(
    FirehoseClient,
    async (firehose) =>
      (await aws('firehose:DescribeDeliveryStream', `checking Firehose stream ${name}`, () => description(firehose, name, ctx.signal))) !==
      undefined,
  );
}

const arn = (ctx: { region: string; accountId?: string }, service: string, resource: string) =>
  `arn:aws:${service}:${service === 's3' ? '' : ctx.region}:${service === 's3' ? '' : (ctx.accountId ?? '<account>')}:${resource}`;

/**
 * CreateDeliveryStream's input for a spec: the S3 destination (buffering, prefixes, compression), or Redshift through
 * that S3 staging with the COPY Firehose runs; the login is given only when creating, never to the CLI preview.
 */
export function deliveryStreamInput(
  spec: FirehoseSpec,
  where: { region: string; accountId?: string },
  login: RedshiftLogin | undefined,
): CreateDeliveryStreamCommandInput {
  const s3: S3DestinationConfiguration = {
    RoleARN: spec.roleArn,
    BucketARN: arn(where, 's3', spec.bucket),
    ...(spec.prefix ? { Prefix: spec.prefix } : {}),
    ...(spec.errorOutputPrefix ? { ErrorOutputPrefix: spec.errorOutputPrefix } : {}),
    BufferingHints: { SizeInMBs: spec.buffering.sizeMiB, IntervalInSeconds: spec.buffering.intervalSeconds },
    CompressionFormat: spec.compression,
  };
  return {
    DeliveryStreamName: spec.name,
    DeliveryStreamType: spec.source.mode === 'kinesis' ? 'KinesisStreamAsSource' : 'DirectPut',
    ...(spec.source.mode === 'kinesis'
      ? {
          KinesisStreamSourceConfiguration: {
            KinesisStreamARN: arn(where, 'kinesis', `stream/${spec.source.streamName}`),
            RoleARN: spec.roleArn,
          },
        }
      : {}),
    ...(spec.redshift
      ? {
          RedshiftDestinationConfiguration: {
            RoleARN: spec.roleArn,
            ClusterJDBCURL: login?.jdbcUrl ?? '<the cluster’s JDBC URL>',
            CopyCommand: {
              DataTableName: spec.redshift.table,
              ...(spec.redshift.columns ? { DataTableColumns: spec.redshift.columns.join(',') } : {}),
              ...(spec.redshift.copyOptions ? { CopyOptions: spec.redshift.copyOptions } : {}),
            },
            Username: login?.user ?? '<user>',
            Password: login?.password ?? '<password>',
            RetryOptions: { DurationInSeconds: spec.redshift.retrySeconds },
            S3Configuration: s3,
          },
        }
      : { ExtendedS3DestinationConfiguration: s3 }),
    Tags: tagList(managedTags(spec.pipeline)),
  };
}

/** The Redshift connection's endpoint (its cluster's or its Serverless workgroup's) as a JDBC URL, with its user and password from the secret store. */
async function redshiftLogin(ctx: RunContext, connectionId: string): Promise<RedshiftLogin> {
  const login = await ctx.redshiftLogin(connectionId);
  const { workgroupName, clusterIdentifier } = login;
  const endpoint = workgroupName
    ? await ctx.scope.use(RedshiftServerlessClient, async (serverless) => {
        const found = await aws('redshift-serverless:GetWorkgroup', `finding workgroup ${workgroupName}`, () =>
          serverless.send(new GetWorkgroupCommand({ workgroupName }), { abortSignal: ctx.signal }),
        );
        return { Address: found.workgroup?.endpoint?.address, Port: found.workgroup?.endpoint?.port };
      })
    : (
        await ctx.scope.use(RedshiftClient, (redshift) =>
          aws('redshift:DescribeClusters', `finding cluster ${clusterIdentifier}`, () =>
            redshift.send(new DescribeClustersCommand({ ClusterIdentifier: clusterIdentifier }), { abortSignal: ctx.signal }),
          ),
        )
      ).Clusters?.[0]?.Endpoint;
  if (!endpoint?.Address || !endpoint.Port)
    throw new AppError(
      'UNAVAILABLE',
      `${workgroupName ? `Redshift Serverless workgroup ${workgroupName}` : `Redshift cluster ${clusterIdentifier}`} has no endpoint yet; wait until it is available.`,
    );
  return { jdbcUrl: `jdbc:redshift://${endpoint.Address}:${endpoint.Port}/${login.database}`, user: login.user, password: login.password };
}

/** CreateDeliveryStream, tagged, then waited for until ACTIVE. */
export async function* createDeliveryStream(spec: FirehoseSpec, ctx: RunContext): AsyncGenerator<ProvisionChunk, Created> {
  const resource: ResourceRef = { type: 'firehose-stream', id: spec.name, name: spec.name };
  const what = `creating Firehose stream ${spec.name}`;
  const login = spec.redshift ? await redshiftLogin(ctx, spec.redshift.connectionId) : undefined;
  const accountId = await ctx.accountId();
  const firehose = ctx.scope.client(FirehoseClient);
  try {
    yield step(
      ctx,
      'create-delivery-stream',
      'running',
      `Creating Firehose stream ${spec.name} (${spec.source.mode === 'kinesis' ? `from ${spec.source.streamName}` : 'direct PUT'} → s3://${spec.bucket}${spec.redshift ? ` → Redshift ${spec.redshift.table}` : ''})`,
      { resource },
    );
    const input = deliveryStreamInput(spec, { region: ctx.scope.region, ...(accountId ? { accountId } : {}) }, login);
    await aws('firehose:CreateDeliveryStream', what, () =>
      firehose.send(new CreateDeliveryStreamCommand(input), { abortSignal: ctx.signal }),
    );
    await ctx.created(resource);
    yield* waitUntil(
      ctx,
      'create-delivery-stream',
      resource,
      async () => {
        const seen = await aws('firehose:DescribeDeliveryStream', what, () => description(firehose, spec.name, ctx.signal));
        const state = seen?.DeliveryStreamStatus ?? 'CREATING';
        return {
          state,
          ready: state === 'ACTIVE',
          ...(state === 'CREATING_FAILED' ? { failed: seen?.FailureDescription?.Details ?? 'Firehose could not create the stream' } : {}),
        };
      },
      ACTIVE_TIMEOUT_MS,
    );
    yield step(ctx, 'create-delivery-stream', 'done', `${spec.name} is ACTIVE`, { resource, awsState: 'ACTIVE' });
    return { resource, notes: [], connections: [] };
  } finally {
    firehose.destroy();
  }
}

export async function* deleteDeliveryStream(
  ctx: RunContext,
  name: string,
): AsyncGenerator<{ state: string; elapsedMs: number; message: string }, void> {
  const firehose = ctx.scope.client(FirehoseClient);
  const what = `deleting Firehose stream ${name}`;
  const state = async () =>
    (await aws('firehose:DescribeDeliveryStream', what, () => description(firehose, name, ctx.signal)))?.DeliveryStreamStatus;
  try {
    // A stream still CREATING cannot be deleted yet.
    yield* waitGone(
      ctx,
      'delete-delivery-stream',
      `Firehose stream ${name}`,
      async () => ((await state()) === 'CREATING' ? 'CREATING' : undefined),
      ACTIVE_TIMEOUT_MS,
    );
    await aws('firehose:DeleteDeliveryStream', what, () =>
      unlessNotFound(() => firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: name }), { abortSignal: ctx.signal })),
    );
    yield* waitGone(ctx, 'delete-delivery-stream', `Firehose stream ${name}`, state, ACTIVE_TIMEOUT_MS);
  } finally {
    firehose.destroy();
  }
}

export interface DeliveryStreamSeen {
  name: string;
  status: string;
  source: string;
  destination: string;
  createdAt?: Date;
  tags: Record<string, string>;
}

export function listDeliveryStreams(ctx: RunContext): Promise<DeliveryStreamSeen[]> {
  return ctx.scope.use(FirehoseClient, async (firehose) => {
    const names: string[] = [];
    let start: string | undefined;
    for (let page = 0; page < 20; page++) {
      const answer = await aws('firehose:ListDeliveryStreams', 'listing Firehose streams', () =>
        firehose.send(new ListDeliveryStreamsCommand({ Limit: 100, ...(start ? { ExclusiveStartDeliveryStreamName: start } : {}) }), {
          abortSignal: ctx.signal,
        }),
      );
      names.push(...(answer.DeliveryStreamNames ?? []));
      start = answer.HasMoreDeliveryStreams ? names.at(-1) : undefined;
      if (!start) break;
    }
    const seen = await Promise.all(
      names.map(async (name): Promise<DeliveryStreamSeen | undefined> => {
        const d = await aws('firehose:DescribeDeliveryStream', 'listing Firehose streams', () => description(firehose, name, ctx.signal));
        if (!d) return undefined;
        const tags = await firehose
          .send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: name }), { abortSignal: ctx.signal })
          .catch(() => ({ Tags: [] }));
        const destination = d.Destinations?.[0];
        const s3 = destination?.RedshiftDestinationDescription?.S3DestinationDescription ?? destination?.ExtendedS3DestinationDescription;
        const bucket = (s3?.BucketARN ?? destination?.S3DestinationDescription?.BucketARN ?? '').replace(/^arn:[^:]+:s3:::/, '');
        const table = destination?.RedshiftDestinationDescription?.CopyCommand?.DataTableName;
        const source = d.Source?.KinesisStreamSourceDescription?.KinesisStreamARN;
        return {
          name,
          status: d.DeliveryStreamStatus ?? 'UNKNOWN',
          source: source ? `from ${source.slice(source.lastIndexOf('/') + 1)}` : 'direct PUT',
          destination: `s3://${bucket}${table ? ` → Redshift ${table}` : ''}`,
          ...(d.CreateTimestamp ? { createdAt: d.CreateTimestamp } : {}),
          tags: tagRecord(tags.Tags),
        };
      }),
    );
    return seen.filter((s): s is DeliveryStreamSeen => s !== undefined);
  });
}
