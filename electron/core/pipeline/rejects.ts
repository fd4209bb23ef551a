import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { RejectedLine } from '../../../shared/contract/index.js';

/**
 * The first lines a raw_to_parquet run set aside, read from its rejects folder
 * (Spark's JSON part files, one object per line) and filtered by reason. It
 * stops reading as soon as it has `limit` of them: a run may set aside millions.
 */
export async function readRejects(
  s3: S3Client,
  input: { bucket: string; prefix: string; reason?: string; limit: number },
  signal: AbortSignal,
): Promise<RejectedLine[]> {
  const found: RejectedLine[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: input.bucket, Prefix: input.prefix, ContinuationToken: token }), {
      abortSignal: signal,
    });
    for (const object of page.Contents ?? []) {
      if (!object.Key?.endsWith('.json')) continue;
      const answer = await s3.send(new GetObjectCommand({ Bucket: input.bucket, Key: object.Key }), { abortSignal: signal });
      const body = answer.Body as Readable;
      try {
        for await (const text of createInterface({ input: body, crlfDelay: Infinity })) {
          const reject = parseReject(text);
          if (!reject || (input.reason && reject.reason !== input.reason)) continue;
          found.push(reject);
          if (found.length >= input.limit) return found;
        }
      } finally {
        body.destroy();
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

function parseReject(text: string): RejectedLine | undefined {
  try {
    const value = JSON.parse(text) as { line?: unknown; source_file?: unknown; reason?: unknown };
    if (typeof value.reason !== 'string') return undefined;
    return {
      reason: value.reason,
      line: typeof value.line === 'string' ? value.line : '',
      sourceFile: typeof value.source_file === 'string' ? value.source_file : '',
    };
  } catch {
    return undefined;
  }
}
