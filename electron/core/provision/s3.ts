import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import type { ProvisionChunk, ResourceRef, S3Spec } from '../../../shared/contract/index.js';
import { step, waitUntil, type Created, type RunContext } from './context.js';
import { aws, awsCodeOf, ProvisionError } from '../aws/errors.js';
import { bucketEncryption, bucketLifecycle, layoutKeys, managedTags, tagList, tagRecord } from './plan.js';

/** Whether a bucket name is free, yours, or someone else's (HeadBucket: 200, 404, 403), asked in `region`. */
export function bucketOwnership(ctx: RunContext, name: string, region = ctx.scope.region): Promise<'free' | 'yours' | 'taken'> {
  return ctx.scope.use(
    S3Client,
    async (s3) => {
      try {
        await s3.send(new HeadBucketCommand({ Bucket: name }), { abortSignal: ctx.signal });
        return 'yours';
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        const code = awsCodeOf(error);
        if (status === 404 || code === 'NotFound' || code === 'NoSuchBucket') return 'free';
        if (status === 403 || status === 301) return 'taken';
        throw error;
      }
    },
    region,
  );
}

/** CreateBucket, then its safety settings (tags, Block Public Access, default encryption, versioning, lifecycle) and the pipeline's folders. */
export async function* createBucket(spec: S3Spec, ctx: RunContext): AsyncGenerator<ProvisionChunk, Created> {
  const region = spec.region ?? ctx.scope.region;
  const s3 = ctx.scope.client(S3Client, region);
  const resource: ResourceRef = { type: 's3-bucket', id: spec.name, name: spec.name };
  const what = `creating bucket ${spec.name}`;
  const b = { Bucket: spec.name };
  const send = <T>(action: string, run: () => Promise<T>) => aws(`s3:${action}`, what, run);
  try {
    yield step(ctx, 'create-bucket', 'running', `Creating bucket ${spec.name} in ${region}`, { resource });
    // us-east-1 answers CreateBucket with 200 for a bucket you already own, so the name is checked first:
    // an existing bucket is never adopted as if it had been created here.
    const owner = await send('ListBucket', () => bucketOwnership(ctx, spec.name, region));
    if (owner === 'yours')
      throw new ProvisionError({
        reason: 'exists',
        awsCode: 'BucketAlreadyOwnedByYou',
        action: 's3:CreateBucket',
        message: `Bucket ${spec.name} already exists in your account; choose another name, or use the existing one.`,
      });
    if (owner === 'taken')
      throw new ProvisionError({
        reason: 'exists',
        awsCode: 'BucketAlreadyExists',
        action: 's3:CreateBucket',
        message: `The bucket name ${spec.name} is taken by another AWS account (bucket names are global); choose another name.`,
      });
    await send('CreateBucket', () =>
      s3.send(
        new CreateBucketCommand({
          ...b,
          ...(region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } } : {}),
        }),
        { abortSignal: ctx.signal },
      ),
    );
    await ctx.created(resource);
    yield* waitUntil(
      ctx,
      'create-bucket',
      resource,
      async () => ({
        state: (await send('ListBucket', () => bucketOwnership(ctx, spec.name, region))) === 'yours' ? 'available' : 'creating',
        ready: true,
      }),
      60_000,
    );
    yield step(ctx, 'create-bucket', 'done', `Bucket ${spec.name} exists`, { resource });

    yield step(ctx, 'settings', 'running', 'Tagging, blocking public access, encrypting by default, versioning', { resource });
    await send('PutBucketTagging', () =>
      s3.send(new PutBucketTaggingCommand({ ...b, Tagging: { TagSet: tagList(managedTags(spec.pipeline)) } }), { abortSignal: ctx.signal }),
    );
    if (spec.blockPublicAccess) {
      await send('PutBucketPublicAccessBlock', () =>
        s3.send(
          new PutPublicAccessBlockCommand({
            ...b,
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              IgnorePublicAcls: true,
              BlockPublicPolicy: true,
              RestrictPublicBuckets: true,
            },
          }),
          { abortSignal: ctx.signal },
        ),
      );
    }
    await send('PutEncryptionConfiguration', () =>
      s3.send(new PutBucketEncryptionCommand({ ...b, ServerSideEncryptionConfiguration: bucketEncryption(spec) }), {
        abortSignal: ctx.signal,
      }),
    );
    if (spec.versioning)
      await send('PutBucketVersioning', () =>
        s3.send(new PutBucketVersioningCommand({ ...b, VersioningConfiguration: { Status: 'Enabled' } }), { abortSignal: ctx.signal }),
      );
    const lifecycle = bucketLifecycle(spec);
    if (lifecycle)
      await send('PutLifecycleConfiguration', () =>
        s3.send(new PutBucketLifecycleConfigurationCommand({ ...b, LifecycleConfiguration: lifecycle }), { abortSignal: ctx.signal }),
      );
    const settings = [
      spec.blockPublicAccess ? 'public access blocked' : 'public access NOT blocked',
      spec.encryption.type === 'SSE-KMS' ? `SSE-KMS${spec.encryption.kmsKeyId ? ` (${spec.encryption.kmsKeyId})` : ''}` : 'SSE-S3',
      spec.versioning ? 'versioning on' : 'versioning off',
      ...(lifecycle ? [`raw/ expires after ${spec.rawLifecycle.expireDays} days`] : []),
    ];
    yield step(ctx, 'settings', 'done', settings.join(', '), { resource });

    const keys = layoutKeys(spec);
    if (keys.length) {
      yield step(ctx, 'layout', 'running', `Creating folders ${keys.join(', ')}`, { resource });
      for (const key of keys)
        await send('PutObject', () => s3.send(new PutObjectCommand({ ...b, Key: key, Body: '' }), { abortSignal: ctx.signal }));
      yield step(ctx, 'layout', 'done', `Folders ready; Parquet partitions go under curated/<table>/v<N>/dt=YYYY-MM-DD/`, { resource });
    }
    return { resource, notes: [], connections: [] };
  } finally {
    s3.destroy();
  }
}

export function bucketRegion(ctx: RunContext, name: string): Promise<string> {
  return ctx.scope.use(S3Client, async (s3) => {
    const answer = await s3.send(new GetBucketLocationCommand({ Bucket: name }), { abortSignal: ctx.signal });
    return answer.LocationConstraint || 'us-east-1';
  });
}

/** Empties the bucket (every version and delete marker, 1000 per DeleteObjects, aborting unfinished uploads), then deletes it. */
export async function* deleteBucket(
  ctx: RunContext,
  name: string,
): AsyncGenerator<
  { kind: 'progress'; done: number; total: number; message: string } | { kind: 'state'; state: string; message: string },
  void
> {
  const region = await aws('s3:GetBucketLocation', `deleting bucket ${name}`, () => bucketRegion(ctx, name));
  const s3 = ctx.scope.client(S3Client, region);
  const what = `emptying bucket ${name}`;
  try {
    let done = 0;
    for (;;) {
      // One round lists up to 100,000 versions, so the total is known for the progress bar, then deletes them.
      const batch: { Key: string; VersionId?: string }[] = [];
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      for (let page = 0; page < 100; page++) {
        const answer = await aws('s3:ListBucketVersions', what, () =>
          s3.send(
            new ListObjectVersionsCommand({
              Bucket: name,
              MaxKeys: 1000,
              ...(keyMarker ? { KeyMarker: keyMarker } : {}),
              ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
            }),
            { abortSignal: ctx.signal },
          ),
        );
        for (const v of [...(answer.Versions ?? []), ...(answer.DeleteMarkers ?? [])])
          if (v.Key) batch.push({ Key: v.Key, ...(v.VersionId ? { VersionId: v.VersionId } : {}) });
        if (!answer.IsTruncated) break;
        keyMarker = answer.NextKeyMarker;
        versionMarker = answer.NextVersionIdMarker;
      }
      if (batch.length === 0) break;
      const total = done + batch.length;
      yield { kind: 'progress', done, total, message: `Deleting ${batch.length} object versions and delete markers` };
      for (let i = 0; i < batch.length; i += 1000) {
        const chunk = batch.slice(i, i + 1000);
        const answer = await aws('s3:DeleteObject', what, () =>
          s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: chunk, Quiet: true } }), { abortSignal: ctx.signal }),
        );
        const failed = answer.Errors ?? [];
        if (failed.length) {
          const first = failed[0]!;
          throw new ProvisionError({
            reason: first.Code === 'AccessDenied' ? 'access-denied' : 'failed',
            awsCode: first.Code ?? 'DeleteObjectsError',
            action: 's3:DeleteObject',
            message: `${failed.length} objects could not be deleted from ${name} (${first.Code}: ${first.Message} on ${first.Key}).`,
          });
        }
        done += chunk.length;
        yield { kind: 'progress', done, total, message: `Deleted ${done} of ${total}` };
      }
    }
    const uploads = await aws('s3:ListBucketMultipartUploads', what, () =>
      s3.send(new ListMultipartUploadsCommand({ Bucket: name }), { abortSignal: ctx.signal }),
    ).catch(() => ({ Uploads: [] }));
    for (const upload of uploads.Uploads ?? []) {
      if (upload.Key && upload.UploadId)
        await aws('s3:AbortMultipartUpload', what, () =>
          s3.send(new AbortMultipartUploadCommand({ Bucket: name, Key: upload.Key!, UploadId: upload.UploadId! }), {
            abortSignal: ctx.signal,
          }),
        );
    }
    yield { kind: 'state', state: 'deleting', message: `Bucket ${name} is empty; deleting it` };
    await aws('s3:DeleteBucket', `deleting bucket ${name}`, () =>
      s3.send(new DeleteBucketCommand({ Bucket: name }), { abortSignal: ctx.signal }),
    );
  } finally {
    s3.destroy();
  }
}

export interface BucketSeen {
  name: string;
  region: string;
  createdAt?: Date;
  tags: Record<string, string>;
  objects: number;
  bytes: number;
  /** More objects than were counted. */
  partial: boolean;
}

const MAX_SIZE_PAGES = 10;

export async function listBuckets(
  ctx: RunContext,
  wanted: (name: string, region: string, tags: Record<string, string>) => boolean,
): Promise<BucketSeen[]> {
  const answer = await ctx.scope.use(S3Client, (s3) =>
    aws('s3:ListAllMyBuckets', 'listing buckets', () => s3.send(new ListBucketsCommand({}), { abortSignal: ctx.signal })),
  );
  const seen = await Promise.all(
    (answer.Buckets ?? []).slice(0, 200).map(async (bucket): Promise<BucketSeen | undefined> => {
      const name = bucket.Name;
      if (!name) return undefined;
      const region = bucket.BucketRegion ?? (await bucketRegion(ctx, name).catch(() => ctx.scope.region));
      // A bucket that cannot be read (gone since, or not ours to read) is left out.
      return ctx.scope
        .use(
          S3Client,
          async (regional): Promise<BucketSeen | undefined> => {
            const tags = await regional
              .send(new GetBucketTaggingCommand({ Bucket: name }), { abortSignal: ctx.signal })
              .then((t) => tagRecord(t.TagSet))
              .catch(() => ({}) as Record<string, string>);
            if (!wanted(name, region, tags)) return undefined;
            let objects = 0;
            let bytes = 0;
            let token: string | undefined;
            let partial = false;
            for (let page = 0; ; page++) {
              if (page === MAX_SIZE_PAGES) {
                partial = true;
                break;
              }
              const list = await regional.send(new ListObjectsV2Command({ Bucket: name, ...(token ? { ContinuationToken: token } : {}) }), {
                abortSignal: ctx.signal,
              });
              for (const o of list.Contents ?? []) {
                objects++;
                bytes += o.Size ?? 0;
              }
              token = list.IsTruncated ? list.NextContinuationToken : undefined;
              if (!token) break;
            }
            return { name, region, ...(bucket.CreationDate ? { createdAt: bucket.CreationDate } : {}), tags, objects, bytes, partial };
          },
          region,
        )
        .catch(() => undefined);
    }),
  );
  return seen.filter((b): b is BucketSeen => b !== undefined);
}
