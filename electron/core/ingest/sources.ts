import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { AppError } from '../../../shared/errors.js';
import { withRecordId } from '../../../shared/pipeline/access-log.js';
import { outRecord, type OutRecord } from './batcher.js';
import type { AccessLogGenerator } from './generator.js';
import type { RecordSource } from './producer.js';

export type PartitionKeyMode = 'record' | 'client';

/** The generator as a producer's source: endless (the producer's total stops it). */
export function generatorSource(generator: AccessLogGenerator, partitionKey: PartitionKeyMode): RecordSource {
  return {
    read(max) {
      const out: OutRecord[] = new Array<OutRecord>(max);
      for (let i = 0; i < max; i++) {
        const record = generator.next();
        out[i] = outRecord(record.id, record.line, partitionKey === 'client' ? record.clientIp : record.id);
      }
      return out;
    },
  };
}

/** A trailing id field from an earlier run is replaced, so a record never carries two. */
const ridField = / "rid=[A-Za-z0-9_.-]+"$/;

/**
 * The files a replay reads: the file itself, or a folder's files (recursively, hidden ones and those `skip` names
 * skipped, links not followed) in name order.
 */
export async function replayFiles(path: string, skip: (path: string) => boolean): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new AppError('NOT_FOUND', `No file or folder ${path}`);
  }
  if (info.isFile()) return [path];
  if (!info.isDirectory()) throw new AppError('VALIDATION', `${path} is neither a file nor a folder`);
  const files: string[] = [];
  const walk = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => !e.name.startsWith('.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (skip(join(dir, entry.name))) continue;
      if (entry.isDirectory()) await walk(join(dir, entry.name));
      else if (entry.isFile()) files.push(join(dir, entry.name));
    }
  };
  await walk(path);
  if (files.length === 0) throw new AppError('NOT_FOUND', `No files in ${path}`);
  return files;
}

export interface ReplaySource extends RecordSource {
  /** Empty lines skipped so far. */
  readonly skipped: number;
  close(): void;
}

/**
 * Replays log files line by line (gzip when the name ends in .gz): each
 * non-empty line is one record, sent as it is with the run's id appended.
 */
export function replaySource(files: string[], runId: string, partitionKey: PartitionKeyMode): ReplaySource {
  let sequence = 0;
  let skipped = 0;
  let fileIndex = 0;
  let lines: AsyncIterator<string> | undefined;
  let closeCurrent: (() => void) | undefined;

  const open = () => {
    const file = files[fileIndex++]!;
    const raw = createReadStream(file);
    const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    const reader = createInterface({ input, crlfDelay: Infinity });
    closeCurrent = () => {
      reader.close();
      raw.destroy();
    };
    return reader[Symbol.asyncIterator]();
  };

  return {
    get skipped() {
      return skipped;
    },
    close() {
      closeCurrent?.();
    },
    async read(max) {
      const out: OutRecord[] = [];
      while (out.length < max) {
        if (!lines) {
          if (fileIndex >= files.length) break;
          lines = open();
        }
        const next = await lines.next();
        if (next.done) {
          closeCurrent?.();
          lines = undefined;
          continue;
        }
        const line = next.value.replace(ridField, '').trimEnd();
        if (line.length === 0) {
          skipped++;
          continue;
        }
        const id = `${runId}-${++sequence}`;
        const space = line.indexOf(' ');
        const client = (space > 0 ? line.slice(0, space) : line).slice(0, 256);
        out.push(outRecord(id, withRecordId(line, id), partitionKey === 'client' && client ? client : id));
      }
      return out;
    },
  };
}
