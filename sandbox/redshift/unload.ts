import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Backend } from './backend.js';
import { CommandError, type UnloadCommand } from './commands.js';
import { quoteLiteral } from './lexer.js';
import type { ProxyContext } from './proxy-context.js';
import { rewriteSql } from './rewrite.js';
import { listObjects, S3ObjectWriter } from './s3-objects.js';
import { commandComplete, notice, query } from './wire.js';

/**
 * UNLOAD on the client's own backend: `COPY (query) TO STDOUT` streams rows
 * into S3 objects named as Redshift names them (`<prefix>0000_part_00`, or
 * `<prefix>000` with PARALLEL OFF), a new part whenever MAXFILESIZE is reached.
 */
export async function unloadToS3(command: UnloadCommand, backend: Backend, context: ProxyContext): Promise<boolean> {
  if (command.format === 'parquet')
    throw new CommandError('UNLOAD ... FORMAT PARQUET is not supported in the sandbox; use FORMAT CSV or the default text format.');
  const { bucket, key: prefix } = command.target;
  if (!command.allowOverwrite && (await listObjects(context.s3, command.target)).length > 0) {
    throw new CommandError(
      'Specified unload destination on S3 is not empty. Consider using a different bucket / prefix, manually removing the target files in S3, or using the ALLOWOVERWRITE option.',
      'XX000',
    );
  }
  const delimiter = command.delimiter ?? (command.format === 'csv' ? ',' : '|');
  const options = [
    command.format === 'csv' || command.addQuotes ? 'FORMAT csv' : 'FORMAT text',
    `DELIMITER ${quoteLiteral(delimiter)}`,
    `NULL ${quoteLiteral(command.nullAs ?? '')}`,
    command.header ? 'HEADER' : '',
    command.addQuotes ? 'FORCE_QUOTE *' : '',
  ].filter(Boolean);
  await backend.send(query(`COPY (${rewriteSql(command.select)}) TO STDOUT WITH (${options.join(', ')})`));

  const extension = (command.extension ? `.${command.extension.replace(/^\./, '')}` : '') + (command.gzip ? '.gz' : '');
  const name = (part: number) =>
    (command.parallel ? `${prefix}0000_part_${String(part).padStart(2, '0')}` : `${prefix}${String(part).padStart(3, '0')}`) + extension;
  const written: { key: string; bytes: number }[] = [];
  let writer: S3ObjectWriter | undefined;
  let header: Buffer | undefined;
  let rows = 0;
  let failed = false;
  // GZIP output is a series of gzip members of about 1 MB each: one valid .gz file, never held whole.
  let gzipped: Buffer[] = [];
  let gzippedBytes = 0;
  const flushGzip = async (target: S3ObjectWriter) => {
    if (gzippedBytes === 0) return;
    const member = gzipSync(Buffer.concat(gzipped));
    gzipped = [];
    gzippedBytes = 0;
    await target.write(member);
  };
  const finish = async () => {
    if (!writer) return;
    await flushGzip(writer);
    await writer.close();
    written.push({ key: writer.key, bytes: writer.bytes });
  };
  try {
    for (;;) {
      const message = await backend.next();
      if (message.type === 'Z') break;
      if (message.type === 'E') {
        failed = true;
        await writer?.abort();
        writer = undefined;
        await backend.toClient(message.frame);
      } else if (message.type === 'd' && !failed) {
        // Each CopyData from COPY TO is one row; the first is the header when asked for.
        const data = Buffer.from(message.body);
        if (command.header && !header) header = data;
        else rows++;
        if (writer && writer.bytes + data.length > command.maxFileSize) {
          await finish();
          writer = undefined;
        }
        if (!writer) {
          writer = new S3ObjectWriter(context.s3, bucket, name(written.length));
          if (header && data !== header) await put(writer, header);
        }
        await put(writer, data);
      }
    }
    if (!failed) {
      if (!writer) writer = new S3ObjectWriter(context.s3, bucket, name(0));
      await finish();
    }
  } catch (error) {
    await writer?.abort();
    throw new CommandError(`UNLOAD could not write to S3: ${error instanceof Error ? error.message : String(error)}`, 'XX000');
  }
  if (failed) return false;
  if (command.manifest) {
    const entries = written.map((file) => ({ url: `s3://${bucket}/${file.key}`, meta: { content_length: file.bytes } }));
    await context.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}manifest`, Body: JSON.stringify({ entries }) }));
  }
  await backend.toClient(notice(`UNLOAD completed, ${rows} record(s) unloaded successfully.`));
  await backend.toClient(commandComplete('UNLOAD'));
  return true;

  async function put(target: S3ObjectWriter, data: Buffer): Promise<void> {
    if (!command.gzip) return target.write(data);
    gzipped.push(data);
    gzippedBytes += data.length;
    if (gzippedBytes >= 1024 * 1024) await flushGzip(target);
  }
}
