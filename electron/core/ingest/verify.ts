import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { recordIdOf } from '../../../shared/pipeline/access-log.js';
import { readLedger } from './ledger.js';
import { listShards } from './tail.js';

/** Every record id in a stream, with how often each occurs, read from TRIM_HORIZON on every shard. */
export async function streamIdCounts(
  kinesis: KinesisClient,
  stream: string,
  signal: AbortSignal,
  onRecord?: (id: string, arrivalMs: number) => void,
): Promise<{ counts: Map<string, number>; records: number; withoutId: number }> {
  const counts = new Map<string, number>();
  let records = 0;
  let withoutId = 0;
  const decoder = new TextDecoder();
  for (const shard of await listShards(kinesis, stream, signal)) {
    let iterator = (
      await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.shardId, ShardIteratorType: 'TRIM_HORIZON' }), {
        abortSignal: signal,
      })
    ).ShardIterator;
    while (iterator && !signal.aborted) {
      const answer = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }), { abortSignal: signal });
      for (const record of answer.Records ?? []) {
        records++;
        const id = recordIdOf(decoder.decode(record.Data));
        if (!id) {
          withoutId++;
          continue;
        }
        counts.set(id, (counts.get(id) ?? 0) + 1);
        onRecord?.(id, record.ApproximateArrivalTimestamp?.getTime() ?? 0);
      }
      iterator = answer.NextShardIterator;
      if ((answer.Records ?? []).length === 0 && (answer.MillisBehindLatest ?? 0) === 0) break;
    }
  }
  return { counts, records, withoutId };
}

export interface LossReport {
  acknowledged: number;
  /** Acknowledged ids not found downstream. */
  lost: number;
  /** Extra copies of ids found more than once. */
  duplicated: number;
  /** Ids found downstream that the ledger does not list (sent, outcome unknown to the producer). */
  unacknowledgedFound: number;
  lostSample: string[];
}

/** Compares the ids found downstream with a run's ledger (only the ids of that run are considered). */
export async function compareWithLedger(ledgerPath: string, runId: string, counts: Map<string, number>): Promise<LossReport> {
  const acknowledged = new Set<string>();
  for await (const entry of readLedger(ledgerPath)) acknowledged.add(entry.id);
  let lost = 0;
  const lostSample: string[] = [];
  for (const id of acknowledged) {
    if (!counts.has(id)) {
      lost++;
      if (lostSample.length < 10) lostSample.push(id);
    }
  }
  let duplicated = 0;
  let unacknowledgedFound = 0;
  const prefix = `${runId}-`;
  for (const [id, count] of counts) {
    if (!id.startsWith(prefix)) continue;
    duplicated += count - 1;
    if (!acknowledged.has(id)) unacknowledgedFound++;
  }
  return { acknowledged: acknowledged.size, lost, duplicated, unacknowledgedFound, lostSample };
}
