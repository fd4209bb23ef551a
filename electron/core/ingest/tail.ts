import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { TAIL_DATA_BYTES, type ShardInfo, type TailChunk, type TailRecord } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { requestErrorCode } from './producer.js';
import { sleep } from '../../../shared/node/sleep.js';

export interface TailOptions {
  stream: string;
  shardId?: string;
  from: 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
  timestamp?: string;
  limit: number;
}

/** GetRecords allows 5 calls a second per shard (shared by every reader): a shard is polled at most every 220 ms, and once a second when it is caught up. */
export const BUSY_POLL_MS = 220;
export const IDLE_POLL_MS = 1000;
/** An empty chunk reports a quiet shard's iterator age this often. */
const HEARTBEAT_MS = 2000;

export async function listShards(kinesis: KinesisClient, stream: string, signal: AbortSignal): Promise<ShardInfo[]> {
  const shards: ShardInfo[] = [];
  let nextToken: string | undefined;
  do {
    const page = await kinesis.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: stream }), {
      abortSignal: signal,
    });
    for (const shard of page.Shards ?? []) {
      const ending = shard.SequenceNumberRange?.EndingSequenceNumber;
      shards.push({
        shardId: shard.ShardId ?? '',
        startingHashKey: shard.HashKeyRange?.StartingHashKey ?? '',
        endingHashKey: shard.HashKeyRange?.EndingHashKey ?? '',
        startingSequenceNumber: shard.SequenceNumberRange?.StartingSequenceNumber ?? '',
        ...(ending ? { endingSequenceNumber: ending } : {}),
        ...(shard.ParentShardId ? { parentShardId: shard.ParentShardId } : {}),
        open: !ending,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return shards;
}

export function tailRecord(record: _Record): TailRecord {
  const data = record.Data ?? new Uint8Array();
  const shown = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, TAIL_DATA_BYTES));
  return {
    sequenceNumber: record.SequenceNumber ?? '',
    partitionKey: record.PartitionKey ?? '',
    approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp ?? new Date(0)).toISOString(),
    data: shown.toString('utf8'),
    bytes: data.byteLength,
    truncated: data.byteLength > TAIL_DATA_BYTES,
  };
}

interface ShardCursor {
  shardId: string;
  iterator: string | undefined;
  lastSequence: string | undefined;
  nextPollAt: number;
  lastChunkAt: number;
}

/**
 * Reads the stream's newest records: one shard or all, polled in turn (one
 * GetRecords at a time, so a slow consumer holds the reader, never a queue),
 * each within GetRecords' rate limit, with the iterator age of each answer.
 */
export async function* tailStream(kinesis: KinesisClient, options: TailOptions, signal: AbortSignal): AsyncGenerator<TailChunk> {
  const shardIds = options.shardId
    ? [options.shardId]
    : (await listShards(kinesis, options.stream, signal)).filter((s) => s.open || options.from !== 'LATEST').map((s) => s.shardId);
  if (shardIds.length === 0) throw new AppError('NOT_FOUND', `Stream ${options.stream} has no shards to read`);

  const iteratorFor = async (cursor: ShardCursor) => {
    const position = cursor.lastSequence
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: cursor.lastSequence }
      : { ShardIteratorType: options.from, ...(options.from === 'AT_TIMESTAMP' ? { Timestamp: new Date(options.timestamp!) } : {}) };
    const answer = await kinesis.send(new GetShardIteratorCommand({ StreamName: options.stream, ShardId: cursor.shardId, ...position }), {
      abortSignal: signal,
    });
    return answer.ShardIterator;
  };

  const cursors: ShardCursor[] = [];
  for (const shardId of shardIds) {
    const cursor: ShardCursor = { shardId, iterator: undefined, lastSequence: undefined, nextPollAt: 0, lastChunkAt: 0 };
    cursor.iterator = await iteratorFor(cursor);
    cursors.push(cursor);
  }

  while (!signal.aborted && cursors.length > 0) {
    const cursor = cursors.reduce((a, b) => (b.nextPollAt < a.nextPollAt ? b : a));
    await sleep(cursor.nextPollAt - Date.now(), signal);
    if (signal.aborted) return;
    let answer;
    try {
      answer = await kinesis.send(new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: options.limit }), { abortSignal: signal });
    } catch (error) {
      if (signal.aborted) return;
      const code = requestErrorCode(error);
      if (code === 'ExpiredIteratorException') {
        cursor.iterator = await iteratorFor(cursor);
        continue;
      }
      if (code === 'ProvisionedThroughputExceededException' || code === 'KMSThrottlingException') {
        cursor.nextPollAt = Date.now() + IDLE_POLL_MS;
        continue;
      }
      throw error;
    }
    const now = Date.now();
    const records = (answer.Records ?? []).map(tailRecord);
    if (records.length > 0) cursor.lastSequence = records[records.length - 1]!.sequenceNumber;
    const millisBehindLatest = answer.MillisBehindLatest ?? 0;
    cursor.iterator = answer.NextShardIterator;
    const closed = !cursor.iterator;
    const busy = records.length >= options.limit || millisBehindLatest > 0;
    cursor.nextPollAt = now + (busy ? BUSY_POLL_MS : IDLE_POLL_MS);
    if (closed) cursors.splice(cursors.indexOf(cursor), 1);
    if (records.length > 0 || closed || now - cursor.lastChunkAt >= HEARTBEAT_MS) {
      cursor.lastChunkAt = now;
      yield { shardId: cursor.shardId, records, millisBehindLatest, ...(closed ? { closed: true } : {}) };
    }
  }
}
