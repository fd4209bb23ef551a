import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  KinesisClient,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  StartStreamEncryptionCommand,
  type StreamDescriptionSummary,
} from '@aws-sdk/client-kinesis';
import type { KinesisSpec, ProvisionChunk, ResourceRef } from '../../../shared/contract/index.js';
import { step, waitGone, waitUntil, type Created, type RunContext } from './context.js';
import { aws, unlessNotFound } from '../aws/errors.js';
import { managedTags, tagRecord } from './plan.js';

const ACTIVE_TIMEOUT_MS = 10 * 60_000;

async function summary(kinesis: KinesisClient, name: string, signal: AbortSignal): Promise<StreamDescriptionSummary | undefined> {
  return (await unlessNotFound(() => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }), { abortSignal: signal })))
    ?.StreamDescriptionSummary;
}

export function streamExists(ctx: RunContext, name: string): Promise<boolean> {
  return ctx.scope.use(
    KinesisClient,
    async (kinesis) =>
      (await aws('kinesis:DescribeStreamSummary', `checking stream ${name}`, () => summary(kinesis, name, ctx.signal))) !== undefined,
  );
}

/** CreateStream, tagged; then retention and KMS encryption, each waited for until the stream is ACTIVE again. */
export async function* createStream(spec: KinesisSpec, ctx: RunContext): AsyncGenerator<ProvisionChunk, Created> {
  const kinesis = ctx.scope.client(KinesisClient);
  const resource: ResourceRef = { type: 'kinesis-stream', id: spec.name, name: spec.name };
  const what = `creating stream ${spec.name}`;
  const tags = managedTags(spec.pipeline);
  const active = (label: string) =>
    waitUntil(
      ctx,
      label,
      resource,
      async () => {
        const s = await aws('kinesis:DescribeStreamSummary', what, () => summary(kinesis, spec.name, ctx.signal));
        const state = s?.StreamStatus ?? 'CREATING';
        return { state, ready: state === 'ACTIVE' };
      },
      ACTIVE_TIMEOUT_MS,
    );
  try {
    yield step(
      ctx,
      'create-stream',
      'running',
      spec.mode === 'on-demand'
        ? `Creating on-demand stream ${spec.name}`
        : `Creating stream ${spec.name} with ${spec.shardCount} shard${spec.shardCount === 1 ? '' : 's'}`,
      { resource },
    );
    await aws('kinesis:CreateStream', what, () =>
      kinesis.send(
        new CreateStreamCommand({
          StreamName: spec.name,
          ...(spec.mode === 'on-demand'
            ? { StreamModeDetails: { StreamMode: 'ON_DEMAND' } }
            : { ShardCount: spec.shardCount, StreamModeDetails: { StreamMode: 'PROVISIONED' } }),
          Tags: tags,
        }),
        { abortSignal: ctx.signal },
      ),
    );
    await ctx.created(resource);
    yield* active('create-stream');
    yield step(ctx, 'create-stream', 'done', `${spec.name} is ACTIVE`, { resource, awsState: 'ACTIVE' });

    // Tags given to CreateStream are kept by AWS; an older endpoint may drop them, so they are checked.
    const present = await aws('kinesis:ListTagsForStream', what, () =>
      kinesis.send(new ListTagsForStreamCommand({ StreamName: spec.name }), { abortSignal: ctx.signal }),
    );
    const missing = Object.fromEntries(
      Object.entries(tags).filter(([k, v]) => !(present.Tags ?? []).some((t) => t.Key === k && t.Value === v)),
    );
    if (Object.keys(missing).length)
      await aws('kinesis:AddTagsToStream', what, () =>
        kinesis.send(new AddTagsToStreamCommand({ StreamName: spec.name, Tags: missing }), { abortSignal: ctx.signal }),
      );

    if (spec.retentionHours > 24) {
      yield step(ctx, 'retention', 'running', `Keeping records ${spec.retentionHours} hours`, { resource });
      await aws('kinesis:IncreaseStreamRetentionPeriod', what, () =>
        kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: spec.name, RetentionPeriodHours: spec.retentionHours }), {
          abortSignal: ctx.signal,
        }),
      );
      yield* active('retention');
      yield step(ctx, 'retention', 'done', `Records are kept ${spec.retentionHours} hours`, { resource });
    }
    if (spec.encryption.enabled) {
      yield step(ctx, 'encryption', 'running', `Encrypting with KMS key ${spec.encryption.kmsKeyId}`, { resource });
      await aws('kinesis:StartStreamEncryption', what, () =>
        kinesis.send(new StartStreamEncryptionCommand({ StreamName: spec.name, EncryptionType: 'KMS', KeyId: spec.encryption.kmsKeyId }), {
          abortSignal: ctx.signal,
        }),
      );
      yield* active('encryption');
      yield step(ctx, 'encryption', 'done', `Server-side encryption with ${spec.encryption.kmsKeyId} is on`, { resource });
    } else {
      yield step(ctx, 'encryption', 'skipped', 'Server-side encryption left off, as asked', { resource });
    }
    return { resource, notes: [], connections: [] };
  } finally {
    kinesis.destroy();
  }
}

export async function* deleteStream(
  ctx: RunContext,
  name: string,
): AsyncGenerator<{ state: string; elapsedMs: number; message: string }, void> {
  const kinesis = ctx.scope.client(KinesisClient);
  const what = `deleting stream ${name}`;
  try {
    // A stream that is CREATING or UPDATING cannot be deleted yet.
    yield* waitGone(
      ctx,
      'delete-stream',
      `Stream ${name}`,
      async () => {
        const state = (await aws('kinesis:DescribeStreamSummary', what, () => summary(kinesis, name, ctx.signal)))?.StreamStatus;
        return state === 'CREATING' || state === 'UPDATING' ? state : undefined;
      },
      ACTIVE_TIMEOUT_MS,
    );
    await aws('kinesis:DeleteStream', what, () =>
      unlessNotFound(() =>
        kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }), { abortSignal: ctx.signal }),
      ),
    );
    yield* waitGone(
      ctx,
      'delete-stream',
      `Stream ${name}`,
      async () => (await aws('kinesis:DescribeStreamSummary', what, () => summary(kinesis, name, ctx.signal)))?.StreamStatus ?? undefined,
      ACTIVE_TIMEOUT_MS,
    );
  } finally {
    kinesis.destroy();
  }
}

export interface StreamSeen {
  name: string;
  status: string;
  mode: 'provisioned' | 'on-demand';
  shards: number;
  retentionHours: number;
  createdAt?: Date;
  tags: Record<string, string>;
}

export function listStreams(ctx: RunContext): Promise<StreamSeen[]> {
  return ctx.scope.use(KinesisClient, async (kinesis) => {
    const names: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 20; page++) {
      const answer = await aws('kinesis:ListStreams', 'listing streams', () =>
        kinesis.send(new ListStreamsCommand({ ...(token ? { NextToken: token } : {}), Limit: 100 }), { abortSignal: ctx.signal }),
      );
      names.push(...(answer.StreamSummaries?.map((s) => s.StreamName ?? '') ?? answer.StreamNames ?? []).filter(Boolean));
      token = answer.HasMoreStreams ? answer.NextToken : undefined;
      if (!token) break;
    }
    const seen = await Promise.all(
      names.map(async (name): Promise<StreamSeen | undefined> => {
        const s = await aws('kinesis:DescribeStreamSummary', 'listing streams', () => summary(kinesis, name, ctx.signal));
        if (!s) return undefined;
        const tags = await aws('kinesis:ListTagsForStream', 'listing streams', () =>
          kinesis.send(new ListTagsForStreamCommand({ StreamName: name }), { abortSignal: ctx.signal }),
        ).catch(() => ({ Tags: [] }));
        return {
          name,
          status: s.StreamStatus ?? 'UNKNOWN',
          mode: s.StreamModeDetails?.StreamMode === 'ON_DEMAND' ? 'on-demand' : 'provisioned',
          shards: s.OpenShardCount ?? 0,
          retentionHours: s.RetentionPeriodHours ?? 24,
          ...(s.StreamCreationTimestamp ? { createdAt: s.StreamCreationTimestamp } : {}),
          tags: tagRecord(tags.Tags),
        };
      }),
    );
    return seen.filter((s): s is StreamSeen => s !== undefined);
  });
}
