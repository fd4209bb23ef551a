import type { FirehoseFacts, LoadHistoryEntry, PipelineRunInfo, S3Entry } from '../../../../shared/contract';

export type Health = 'green' | 'amber' | 'red' | 'unknown';

/** The window of CloudWatch metrics the stream stage sums. */
export const METRICS_MINUTES = 15;
/** Iterator age above this is a consumer falling behind. */
export const ITERATOR_AGE_AMBER_MS = 60_000;
export const ITERATOR_AGE_RED_MS = 15 * 60_000;
/** Raw data older than this while records are flowing in: the writer is not keeping up. */
export const RAW_STALE_MS = 60 * 60_000;

export interface StreamFacts {
  status?: string;
  shards?: number;
  openShards?: number;
  /** CloudWatch's IncomingRecords over the last full minute, or live from this app's producer or tail. */
  recordsPerSecond?: number;
  iteratorAgeMs?: number;
  /** CloudWatch's IncomingRecords summed over the last METRICS_MINUTES. */
  recentRecords?: number;
  /** The metrics could not be read (the stream itself may be fine). */
  metricsError?: string;
  error?: string;
}

export interface RawFacts {
  newest?: S3Entry;
  bytesToday: number;
  objectsToday: number;
  error?: string;
}

export interface JobFacts {
  last?: PipelineRunInfo;
  running: number;
  error?: string;
}

export interface CuratedFacts {
  versions: number[];
  partitions: number;
  /** The latest version's rows, from its Parquet files' footers. */
  rows?: number;
  /** False when the version had more files than were counted: `rows` is then a lower bound. */
  rowsComplete?: boolean;
  error?: string;
}

export interface RedshiftFacts {
  connectionName?: string;
  /** The newest load in the warehouse's SYS_LOAD_HISTORY. */
  last?: LoadHistoryEntry;
  /** Whether the history was read (undefined while it is being read). */
  read?: boolean;
  error?: string;
}

export interface Verdict {
  health: Health;
  reason: string;
}

export function streamHealth(stream: string | undefined, facts: StreamFacts | undefined): Verdict {
  if (!stream) return { health: 'unknown', reason: 'No stream picked' };
  if (!facts) return { health: 'unknown', reason: 'Checking…' };
  if (facts.error) return { health: 'red', reason: facts.error };
  if (facts.status && facts.status !== 'ACTIVE' && facts.status !== 'UPDATING')
    return { health: 'red', reason: `Stream is ${facts.status}` };
  if (facts.openShards === 0) return { health: 'red', reason: 'No open shards' };
  const age = facts.iteratorAgeMs;
  if (age !== undefined && age >= ITERATOR_AGE_RED_MS) return { health: 'red', reason: 'Iterator far behind' };
  if (age !== undefined && age >= ITERATOR_AGE_AMBER_MS) return { health: 'amber', reason: 'Iterator age high' };
  if (facts.status === 'UPDATING') return { health: 'amber', reason: 'Stream is UPDATING' };
  return { health: 'green', reason: 'Active' };
}

export function rawHealth(bucket: string | undefined, facts: RawFacts | undefined, streamFlowing: boolean, now = Date.now()): Verdict {
  if (!bucket) return { health: 'unknown', reason: 'No bucket picked' };
  if (!facts) return { health: 'unknown', reason: 'Checking…' };
  if (facts.error) return { health: 'red', reason: facts.error };
  if (!facts.newest) return { health: 'amber', reason: 'No raw objects yet' };
  const age = facts.newest.lastModified ? now - Date.parse(facts.newest.lastModified) : 0;
  if (streamFlowing && age > RAW_STALE_MS) return { health: 'amber', reason: 'Records flowing, raw data stale' };
  return { health: 'green', reason: 'Raw data present' };
}

export function jobsHealth(clusterId: string | undefined, facts: JobFacts | undefined): Verdict {
  if (!clusterId) return { health: 'unknown', reason: 'No EMR cluster picked' };
  if (!facts) return { health: 'unknown', reason: 'Checking…' };
  if (facts.error) return { health: 'red', reason: facts.error };
  const state = facts.last?.state;
  if (!state) return { health: 'amber', reason: 'No runs yet' };
  if (state === 'FAILED' || state === 'INTERRUPTED') return { health: 'red', reason: `Last run ${state}` };
  if (state === 'CANCELLED' || state === 'CANCEL_PENDING') return { health: 'amber', reason: `Last run ${state}` };
  return { health: 'green', reason: `Last run ${state}` };
}

export function curatedHealth(bucket: string | undefined, facts: CuratedFacts | undefined): Verdict {
  if (!bucket) return { health: 'unknown', reason: 'No bucket picked' };
  if (!facts) return { health: 'unknown', reason: 'Checking…' };
  if (facts.error) return { health: 'red', reason: facts.error };
  if (facts.versions.length === 0) return { health: 'amber', reason: 'No curated version yet' };
  if (facts.partitions === 0) return { health: 'amber', reason: 'Latest version has no partitions' };
  return { health: 'green', reason: `v${facts.versions.at(-1)} in place` };
}

export function redshiftHealth(connectionId: string | undefined, facts: RedshiftFacts): Verdict {
  if (!connectionId) return { health: 'unknown', reason: 'No connection picked' };
  if (facts.error) return { health: 'red', reason: facts.error };
  if (!facts.read) return { health: 'unknown', reason: 'Checking…' };
  const last = facts.last;
  if (!last) return { health: 'amber', reason: 'No loads recorded yet' };
  const errors = `${last.errors} load error${last.errors === 1 ? '' : 's'}`;
  if (last.status === 'aborted' || last.status === 'failed') {
    const why = [last.errors > 0 ? errors : '', last.error ?? ''].filter(Boolean).join(': ');
    return { health: 'red', reason: `Last load into ${last.table} ${last.status}${why ? ` (${why})` : ''}` };
  }
  if (last.errors > 0) return { health: 'red', reason: `${errors} in ${last.table}` };
  if (last.status === 'running') return { health: 'amber', reason: `Loading ${last.table}…` };
  return { health: 'green', reason: `Last load into ${last.table} completed` };
}

/** The Firehose path's verdict is the core's (red on a failed delivery, amber when far behind); here only what it lacks. */
export function firehoseHealth(name: string | undefined, facts: FirehoseFacts | { error: string } | undefined): Verdict {
  if (!name) return { health: 'unknown', reason: 'No Firehose stream picked' };
  if (!facts) return { health: 'unknown', reason: 'Checking…' };
  if ('error' in facts) return { health: 'red', reason: facts.error };
  return { health: facts.health, reason: facts.reason };
}

export const healthLabel: Record<Health, string> = { green: 'healthy', amber: 'needs attention', red: 'failing', unknown: 'unknown' };
