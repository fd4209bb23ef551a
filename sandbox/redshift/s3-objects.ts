import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AsyncBuffer } from 'hyparquet';
import { CommandError, parseS3Url, type S3Location } from './commands.js';

export interface S3Object {
  bucket: string;
  key: string;
  size: number;
  /** As Redshift names it in load errors: s3://bucket/key. */
  url: string;
}

/** Every object whose key starts with the prefix, as Redshift reads a COPY source; "folder" keys are skipped. */
export async function listObjects(s3: S3Client, location: S3Location): Promise<S3Object[]> {
  const objects: S3Object[] = [];
  let token: string | undefined;
  do {
    const page = await s3
      .send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: location.key, ContinuationToken: token }))
      .catch((error: unknown) => {
        throw new CommandError(
          `S3ServiceException: ${error instanceof Error ? error.message : String(error)} (listing ${location.url})`,
          'XX000',
        );
      });
    for (const item of page.Contents ?? []) {
      if (!item.Key || item.Key.endsWith('/')) continue;
      objects.push({ bucket: location.bucket, key: item.Key, size: item.Size ?? 0, url: `s3://${location.bucket}/${item.Key}` });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** A Redshift manifest: {"entries": [{"url": "s3://...", "mandatory": true}]}. */
export async function manifestObjects(s3: S3Client, location: S3Location): Promise<S3Object[]> {
  const text = await readText(s3, location.bucket, location.key);
  let entries: { url?: unknown; mandatory?: unknown }[];
  try {
    entries = (JSON.parse(text) as { entries: { url?: unknown; mandatory?: unknown }[] }).entries;
    if (!Array.isArray(entries)) throw new Error('no entries');
  } catch {
    throw new CommandError(`Manifest file ${location.url} is not valid JSON with an "entries" list.`, 'XX000');
  }
  const objects: S3Object[] = [];
  for (const entry of entries) {
    const target = parseS3Url(String(entry.url));
    const found = (await listObjects(s3, target)).find((object) => object.key === target.key);
    if (found) objects.push(found);
    else if (entry.mandatory === true) throw new CommandError(`Manifest entry ${target.url} is mandatory but does not exist.`, 'XX000');
  }
  return objects;
}

export async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const stream = await objectStream(s3, bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function objectStream(s3: S3Client, bucket: string, key: string): Promise<Readable> {
  const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch((error: unknown) => {
    throw new CommandError(
      `S3ServiceException: ${error instanceof Error ? error.message : String(error)} (reading s3://${bucket}/${key})`,
      'XX000',
    );
  });
  if (!(result.Body instanceof Readable)) throw new CommandError(`S3 returned no body for s3://${bucket}/${key}`, 'XX000');
  return result.Body;
}

/** Ranged reads, so Parquet footers and row groups load without fetching the whole object. */
export function s3AsyncBuffer(s3: S3Client, object: S3Object): AsyncBuffer {
  return {
    byteLength: object.size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const range = `bytes=${start}-${(end ?? object.size) - 1}`;
      const result = await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key, Range: range }));
      const bytes = await result.Body!.transformToByteArray();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

const PART_SIZE = 8 * 1024 * 1024;

/**
 * Writes one S3 object from chunks without holding it whole: small objects
 * in one PUT, larger ones as a multipart upload of 8 MB parts.
 */
export class S3ObjectWriter {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: { ETag: string; PartNumber: number }[] = [];
  bytes = 0;

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly key: string,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    this.bytes += chunk.length;
    if (this.bufferedBytes >= PART_SIZE) await this.flushPart();
  }

  async close(): Promise<void> {
    if (!this.uploadId) {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key, Body: Buffer.concat(this.buffered) }));
      return;
    }
    if (this.bufferedBytes > 0) await this.flushPart();
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
  }

  async abort(): Promise<void> {
    if (this.uploadId)
      await this.s3
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }))
        .catch(() => undefined);
  }

  private async flushPart(): Promise<void> {
    if (!this.uploadId) {
      const created = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key }));
      this.uploadId = created.UploadId;
    }
    const body = Buffer.concat(this.buffered);
    this.buffered = [];
    this.bufferedBytes = 0;
    const PartNumber = this.parts.length + 1;
    const part = await this.s3.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: body }),
    );
    this.parts.push({ ETag: part.ETag ?? '', PartNumber });
  }
}
