import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parquetMetadataAsync } from 'hyparquet';
import type { ParquetRows } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { s3Buffer, s3Error } from './s3-browser.js';

/** Footers are read this many at a time. */
const PARALLEL = 8;
/** A footer of a file Spark wrote fits in this; a larger one costs a second ranged read. */
const FOOTER_BYTES = 64 * 1024;
/** Past this many files the count is of the first ones, and says so. */
const MAX_FILES = 2_000;

/** Spark's _SUCCESS and .crc files, and folder markers, are not data (COPY skips them too). */
const isData = (key: string, size: number) => size > 0 && !key.endsWith('/') && !/(^|\/)[_.][^/]*$/.test(key);

/**
 * The rows of every Parquet file under a prefix, from the files' footers (one
 * ranged read each): the table's row count without a query engine.
 */
export async function parquetRows(s3: S3Client, bucket: string, prefix: string, signal: AbortSignal): Promise<ParquetRows> {
  const files: { key: string; size: number }[] = [];
  let complete = true;
  let token: string | undefined;
  do {
    const page = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: signal })
      .catch((error: unknown) => {
        throw s3Error(error, `s3://${bucket}/${prefix}`);
      });
    for (const object of page.Contents ?? [])
      if (object.Key && isData(object.Key, object.Size ?? 0)) files.push({ key: object.Key, size: object.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (files.length >= MAX_FILES) {
      complete = !token && files.length === MAX_FILES;
      break;
    }
  } while (token);
  const counted = files.slice(0, MAX_FILES);

  let rows = 0;
  let next = 0;
  const worker = async () => {
    while (next < counted.length) {
      const { key, size } = counted[next++]!;
      const metadata = await parquetMetadataAsync(s3Buffer(s3, bucket, key, size, signal), { initialFetchSize: FOOTER_BYTES }).catch(
        (error: unknown) => {
          if (signal.aborted) throw error;
          throw new AppError(
            'UNAVAILABLE',
            `s3://${bucket}/${key} is not readable as Parquet: ${error instanceof Error ? error.message : String(error)}`,
          );
        },
      );
      rows += Number(metadata.num_rows);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, counted.length) }, worker));
  return {
    files: counted.length,
    bytes: counted.reduce((sum, f) => sum + f.size, 0),
    rows,
    complete: complete && counted.length === files.length,
  };
}
