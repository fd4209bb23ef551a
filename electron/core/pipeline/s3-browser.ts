import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { AsyncBuffer } from 'hyparquet';
import type { RejectedLine, S3Listing, S3Preview, TransferChunk } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { AwsAccess } from '../aws/clients.js';
import type { FileAccess } from '../storage/file-access.js';
import { sampleParquet } from './parquet-schema.js';
import { readRejects } from './rejects.js';

const PREVIEW_BYTES = 64 * 1024;
const PREVIEW_ROWS = 100;
const PART_BYTES = 8 * 1024 * 1024;
const PROGRESS_BYTES = 1024 * 1024;

/** Ranged GETs of one object, so a Parquet footer and row group load without the whole object. */
export function s3Buffer(s3: S3Client, bucket: string, key: string, size: number, signal?: AbortSignal): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      if (stop <= start) return new ArrayBuffer(0);
      const answer = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${stop - 1}` }),
        signal ? { abortSignal: signal } : {},
      );
      const bytes = await answer.Body!.transformToByteArray();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

export function s3Error(error: unknown, what: string): unknown {
  const name = (error as { name?: string }).name;
  if (name === 'NoSuchBucket' || name === 'NoSuchKey' || name === 'NotFound') return new AppError('NOT_FOUND', `${what}: not found`);
  if (name === 'AccessDenied' || name === 'Forbidden') return new AppError('UNAVAILABLE', `${what}: access denied`);
  return error;
}

const looksParquet = (key: string, contentType?: string) => /\.parquet$/i.test(key) || contentType === 'application/vnd.apache.parquet';

/** A bucket as an operator browses it: folders and objects with sizes, previews, downloads and uploads with progress. */
export class S3Browser {
  constructor(
    private readonly aws: AwsAccess,
    private readonly files: FileAccess,
  ) {}

  private async using<T>(work: (s3: S3Client) => Promise<T>): Promise<T> {
    return (await this.aws.aws()).use(S3Client, work);
  }

  buckets(signal: AbortSignal): Promise<string[]> {
    return this.using(async (s3) =>
      ((await s3.send(new ListBucketsCommand({}), { abortSignal: signal })).Buckets ?? [])
        .map((b) => b.Name ?? '')
        .filter(Boolean)
        .sort(),
    );
  }

  list(input: { bucket: string; prefix: string; token?: string; limit: number }, signal: AbortSignal): Promise<S3Listing> {
    return this.using(async (s3) => {
      const page = await s3
        .send(
          new ListObjectsV2Command({
            Bucket: input.bucket,
            Prefix: input.prefix,
            Delimiter: '/',
            MaxKeys: input.limit,
            ContinuationToken: input.token,
          }),
          { abortSignal: signal },
        )
        .catch((error: unknown) => {
          throw s3Error(error, `s3://${input.bucket}/${input.prefix}`);
        });
      return {
        bucket: input.bucket,
        prefix: input.prefix,
        prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter(Boolean),
        objects: (page.Contents ?? [])
          .filter((o) => o.Key && o.Key !== input.prefix)
          .map((o) => ({
            key: o.Key!,
            size: o.Size ?? 0,
            ...(o.LastModified ? { lastModified: new Date(o.LastModified).toISOString() } : {}),
          })),
        ...(page.IsTruncated && page.NextContinuationToken ? { nextToken: page.NextContinuationToken } : {}),
      };
    });
  }

  rejects(input: { bucket: string; prefix: string; reason?: string; limit: number }, signal: AbortSignal): Promise<RejectedLine[]> {
    return this.using((s3) =>
      readRejects(s3, input, signal).catch((error: unknown) => {
        throw s3Error(error, `s3://${input.bucket}/${input.prefix}`);
      }),
    );
  }

  preview(bucket: string, key: string, signal: AbortSignal): Promise<S3Preview> {
    return this.using(async (s3) => {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }).catch((error: unknown) => {
        throw s3Error(error, `s3://${bucket}/${key}`);
      });
      const size = head.ContentLength ?? 0;
      const contentType = head.ContentType;
      if (looksParquet(key, contentType) && size >= 12) {
        const sample = await sampleParquet(s3Buffer(s3, bucket, key, size, signal), PREVIEW_ROWS).catch((error: unknown) => {
          throw new AppError(
            'UNAVAILABLE',
            `s3://${bucket}/${key} is not readable as Parquet: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
        return {
          kind: 'parquet',
          key,
          size,
          rowCount: sample.rowCount,
          columns: sample.columns,
          gridColumns: sample.gridColumns,
          rows: sample.rows,
        };
      }
      if (size === 0) return { kind: 'text', key, size, ...(contentType ? { contentType } : {}), text: '', truncated: false, json: false };
      const answer = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${Math.min(size, PREVIEW_BYTES) - 1}` }),
        { abortSignal: signal },
      );
      let bytes: Buffer = Buffer.from(await answer.Body!.transformToByteArray());
      if (/\.gz$/i.test(key) || answer.ContentEncoding === 'gzip') {
        // Only a whole small object can be unzipped here; a larger one is shown as binary.
        if (size > PREVIEW_BYTES) return { kind: 'binary', key, size, ...(contentType ? { contentType } : {}) };
        try {
          bytes = gunzipSync(bytes);
        } catch {
          return { kind: 'binary', key, size, ...(contentType ? { contentType } : {}) };
        }
      }
      const shown = bytes.subarray(0, PREVIEW_BYTES);
      if (!isText(shown)) return { kind: 'binary', key, size, ...(contentType ? { contentType } : {}) };
      // Cut at a whole character (UTF-8 continuation bytes start 10xxxxxx).
      let end = shown.length;
      if (bytes.length > PREVIEW_BYTES || size > PREVIEW_BYTES) while (end > 0 && (shown[end - 1]! & 0xc0) === 0x80) end--;
      const text = shown.subarray(0, end).toString('utf8');
      const json = /\.(json|jsonl|ndjson)$/i.test(key) || /json/.test(contentType ?? '') || /^\s*[[{]/.test(text);
      return {
        kind: 'text',
        key,
        size,
        ...(contentType ? { contentType } : {}),
        text,
        truncated: size > PREVIEW_BYTES || bytes.length > PREVIEW_BYTES,
        json,
      };
    });
  }

  async *download(bucket: string, key: string, path: string, overwrite: boolean, signal: AbortSignal): AsyncGenerator<TransferChunk> {
    const target = await this.files.forWrite(path, overwrite);
    const s3 = (await this.aws.aws()).client(S3Client);
    const partial = `${target}.tributary-partial`;
    try {
      const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }).catch((error: unknown) => {
        throw s3Error(error, `s3://${bucket}/${key}`);
      });
      const total = answer.ContentLength;
      const body = answer.Body as Readable;
      const out = createWriteStream(partial, { mode: 0o600 });
      let bytes = 0;
      let reported = 0;
      yield { kind: 'progress', bytes, ...(total !== undefined ? { total } : {}) };
      try {
        for await (const chunk of body) {
          if (signal.aborted) throw new AppError('CANCELLED', 'Download cancelled');
          const buffer = chunk as Buffer;
          if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
          bytes += buffer.length;
          if (bytes - reported >= PROGRESS_BYTES) {
            reported = bytes;
            yield { kind: 'progress', bytes, ...(total !== undefined ? { total } : {}) };
          }
        }
        await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      } catch (error) {
        out.destroy();
        body.destroy();
        throw error;
      }
      await rename(partial, target);
      yield { kind: 'progress', bytes, ...(total !== undefined ? { total } : {}) };
      yield { kind: 'done', bytes, location: target };
    } finally {
      await rm(partial, { force: true });
      s3.destroy();
    }
  }

  async *upload(bucket: string, key: string, path: string, signal: AbortSignal): AsyncGenerator<TransferChunk> {
    const { handle: file } = await this.files.openForRead(path);
    const s3 = await this.aws
      .aws()
      .then((aws) => aws.client(S3Client))
      .catch(async (error: unknown) => {
        await file.close();
        throw error;
      });
    let uploadId: string | undefined;
    try {
      const total = (await file.stat()).size;
      yield { kind: 'progress', bytes: 0, total };
      if (total <= PART_BYTES) {
        const body = Buffer.alloc(total);
        await file.read(body, 0, total, 0);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }), { abortSignal: signal }).catch((error: unknown) => {
          throw s3Error(error, `s3://${bucket}`);
        });
      } else {
        const created = await s3
          .send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), { abortSignal: signal })
          .catch((error: unknown) => {
            throw s3Error(error, `s3://${bucket}`);
          });
        uploadId = created.UploadId;
        const parts: { ETag: string; PartNumber: number }[] = [];
        for (let offset = 0, PartNumber = 1; offset < total; offset += PART_BYTES, PartNumber++) {
          const length = Math.min(PART_BYTES, total - offset);
          const body = Buffer.alloc(length);
          await file.read(body, 0, length, offset);
          const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body }), {
            abortSignal: signal,
          });
          parts.push({ ETag: part.ETag ?? '', PartNumber });
          yield { kind: 'progress', bytes: offset + length, total };
        }
        await s3.send(
          new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
          { abortSignal: signal },
        );
        uploadId = undefined;
      }
      yield { kind: 'progress', bytes: total, total };
      yield { kind: 'done', bytes: total, location: `s3://${bucket}/${key}` };
    } finally {
      await file.close();
      if (uploadId) await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      s3.destroy();
    }
  }
}

/** No NUL bytes and valid UTF-8 (a character cut at the end is allowed). */
function isText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const replaced = (decoded.match(/\uFFFD/g) ?? []).length;
  return replaced <= 1;
}
