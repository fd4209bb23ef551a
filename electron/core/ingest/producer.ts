import { KINESIS_LIMITS, type IngestCounters } from '../../../shared/contract/index.js';
import { Batcher, recordProblem, type BatchLimits, type OutRecord } from './batcher.js';
import { sleep } from '../../../shared/node/sleep.js';

/** One entry of a PutRecords answer, in the order of the request's records. */
export interface PutResultEntry {
  SequenceNumber?: string;
  ShardId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

/** Sends one PutRecords request. Throws when the request fails as a whole (after the SDK's own retries). */
export type PutRecordsFn = (records: OutRecord[], signal: AbortSignal) => Promise<PutResultEntry[]>;

export interface RecordSource {
  /** Up to `max` records; an empty array only once the source has ended. */
  read(max: number): OutRecord[] | Promise<OutRecord[]>;
}

/** An acknowledged record: in the stream, with the time its (last) PutRecords was sent. */
export interface Ack {
  id: string;
  shardId: string;
  sequenceNumber: string;
  putAtMs: number;
}

export interface RetryPolicy {
  /** Sends of one record, the first included. */
  maxAttempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseMs: 100, capMs: 5_000 };

/** Entry errors Kinesis answers for a moment's trouble: the record may be sent again. */
export const RETRYABLE_ENTRY_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'InternalFailure',
  'KMSThrottlingException',
  'ServiceUnavailable',
]);

/** Whole-request errors that are the world's state, not a moment's trouble: the run stops. */
const FATAL_REQUEST_ERRORS = new Set([
  'ResourceNotFoundException',
  'ValidationException',
  'InvalidArgumentException',
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSNotFoundException',
  'KMSInvalidStateException',
  'KMSOptInRequired',
  'ResourceInUseException',
]);

export interface ProducerOptions {
  put: PutRecordsFn;
  source: RecordSource;
  /** Records per second at most. */
  rate: number;
  /** Stop after this many records. */
  total?: number;
  /** PutRecords requests in flight at once. */
  concurrency: number;
  /** A partly filled batch is sent after this long (so a slow rate does not wait for 500 records). */
  lingerMs?: number;
  retry?: RetryPolicy;
  limits?: BatchLimits;
  onAcknowledged?: (acks: Ack[]) => void;
  onWarning?: (message: string) => void;
  /** For tests: jitter's randomness and the backoff waits. */
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export type ProducerEnd = { state: 'completed' | 'stopped' | 'cancelled' } | { state: 'failed'; error: unknown };

const MIB = 1024 * 1024;

/** The error code the SDK gives a failed request (its name), or a network error's code. */
export function requestErrorCode(error: unknown): string {
  const e = error as { name?: string; code?: string; Code?: string };
  return e?.Code ?? e?.name ?? e?.code ?? 'Error';
}

/**
 * The producer: pulls records from a source at the set rate, packs them into
 * PutRecords requests within Kinesis's limits, keeps up to `concurrency`
 * requests in flight, and sends again only the records a request refused
 * (throttled or failed), with exponential backoff and jitter. Every record
 * ends acknowledged (with a sequence number) or failed; a graceful stop still
 * sends what it holds; a cancel abandons it (those count as failed: their
 * outcome is unknown).
 */
export class Producer {
  private rate: number;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly started = Date.now();
  private readonly stopper = new AbortController();
  private readonly wakers = new Set<() => void>();
  private stopping = false;
  private fatal: unknown;
  private sent = 0;
  private acknowledged = 0;
  private retried = 0;
  private throttled = 0;
  private failed = 0;
  private bytesAcknowledged = 0;
  private readonly samples: { at: number; acknowledged: number; bytes: number }[] = [];
  private warnings = 0;

  constructor(private readonly options: ProducerOptions) {
    this.rate = options.rate;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? sleep;
  }

  get targetRate(): number {
    return this.rate;
  }

  setRate(rate: number): void {
    this.rate = rate;
    this.wake();
  }

  /** Stops pulling records; what is buffered and in flight is still sent. */
  stop(): void {
    this.stopping = true;
    this.stopper.abort();
    this.wake();
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private wake(): void {
    for (const waker of this.wakers) waker();
  }

  /** Sleeps until `ms` passes, the rate changes, stop() or the signal. */
  private async idle(ms: number, signal: AbortSignal): Promise<void> {
    let waker: (() => void) | undefined;
    try {
      await sleep(ms, AbortSignal.any([signal, this.stopper.signal]), (resolve) => this.wakers.add((waker = resolve)));
    } finally {
      if (waker) this.wakers.delete(waker);
    }
  }

  counters(): IngestCounters {
    const now = Date.now();
    this.samples.push({ at: now, acknowledged: this.acknowledged, bytes: this.bytesAcknowledged });
    while (this.samples.length > 2 && now - this.samples[1]!.at >= 1000) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (now - first.at) / 1000;
    return {
      elapsedMs: now - this.started,
      sent: this.sent,
      acknowledged: this.acknowledged,
      retried: this.retried,
      throttled: this.throttled,
      failed: this.failed,
      inFlight: this.sent - this.acknowledged - this.failed,
      bytesAcknowledged: this.bytesAcknowledged,
      recordsPerSecond: seconds > 0 ? Math.round((this.acknowledged - first.acknowledged) / seconds) : 0,
      mibPerSecond: seconds > 0 ? Number(((this.bytesAcknowledged - first.bytes) / MIB / seconds).toFixed(3)) : 0,
      targetRate: this.rate,
    };
  }

  private warn(message: string): void {
    // A flood of the same trouble should not bury the operator: the first few, then a sample.
    this.warnings++;
    if (this.warnings <= 20 || this.warnings % 1000 === 0) this.options.onWarning?.(message);
  }

  async run(signal: AbortSignal): Promise<ProducerEnd> {
    const { source, total, concurrency } = this.options;
    const linger = this.options.lingerMs ?? 50;
    const batcher = new Batcher(this.options.limits ?? { records: KINESIS_LIMITS.recordsPerPut, bytes: KINESIS_LIMITS.bytesPerPut });
    const inFlight = new Set<Promise<void>>();
    let batchSince = 0;
    let pulled = 0;
    let ended = false;
    let tokens = 0;
    let refilled = Date.now();

    const dispatch = async (batch: OutRecord[]) => {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      this.sent += batch.length;
      const task = this.send(batch, signal)
        .catch((error: unknown) => {
          // Only a bug or the ledger's disk gets here; the run stops with it.
          this.fatal ??= error;
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    };

    while (!signal.aborted && !this.stopping && this.fatal === undefined && !ended && (total === undefined || pulled < total)) {
      const now = Date.now();
      // A token bucket holding at most a quarter second of records (and at least one).
      tokens = Math.min(Math.max(1, this.rate / 4), tokens + ((now - refilled) * this.rate) / 1000);
      refilled = now;
      const room = KINESIS_LIMITS.recordsPerPut - batcher.size;
      const want = Math.min(Math.floor(tokens), room, total === undefined ? Infinity : total - pulled);
      if (want <= 0) {
        if (batcher.size > 0 && now - batchSince >= linger) await dispatch(batcher.take());
        const untilToken = Math.ceil(((1 - tokens) * 1000) / this.rate);
        const untilLinger = batcher.size > 0 ? Math.max(1, batchSince + linger - now) : Infinity;
        await this.idle(Math.max(1, Math.min(untilToken, untilLinger, 250)), signal);
        continue;
      }
      const records = await source.read(want);
      if (records.length === 0) {
        ended = true;
        break;
      }
      pulled += records.length;
      tokens -= records.length;
      for (const record of records) {
        const problem = recordProblem(record);
        if (problem) {
          this.sent++;
          this.failed++;
          this.warn(`Record ${record.id} cannot be sent: ${problem}`);
          continue;
        }
        if (batcher.size === 0) batchSince = Date.now();
        const full = batcher.add(record);
        if (full) {
          if (batcher.size > 0) batchSince = Date.now();
          await dispatch(full);
        }
      }
      if (batcher.size > 0 && Date.now() - batchSince >= linger) await dispatch(batcher.take());
    }
    if (batcher.size > 0 && !signal.aborted && this.fatal === undefined) await dispatch(batcher.take());
    await Promise.all(inFlight);
    if (this.fatal !== undefined) return { state: 'failed', error: this.fatal };
    if (signal.aborted) return { state: 'cancelled' };
    if (this.stopping) return { state: 'stopped' };
    return { state: 'completed' };
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.retry.capMs, this.retry.baseMs * 2 ** (attempt - 1));
    return ceiling / 2 + (this.random() * ceiling) / 2;
  }

  /** Sends one batch until every record is acknowledged or given up on. */
  private async send(batch: OutRecord[], signal: AbortSignal): Promise<void> {
    let pending = batch;
    let attempt = 1;
    while (pending.length > 0) {
      if (signal.aborted || this.fatal !== undefined) {
        this.failed += pending.length;
        return;
      }
      const putAtMs = Date.now();
      let results: PutResultEntry[];
      try {
        results = await this.options.put(pending, signal);
        if (results.length !== pending.length)
          throw new Error(`PutRecords answered ${results.length} entries for ${pending.length} records`);
      } catch (error) {
        if (signal.aborted) {
          this.failed += pending.length;
          return;
        }
        const code = requestErrorCode(error);
        if (FATAL_REQUEST_ERRORS.has(code)) {
          this.fatal ??= error;
          this.failed += pending.length;
          return;
        }
        if (code === 'ProvisionedThroughputExceededException') this.throttled += pending.length;
        if (attempt >= this.retry.maxAttempts) {
          this.failed += pending.length;
          this.warn(`Gave up on ${pending.length} records after ${attempt} attempts: ${code}: ${(error as Error).message}`);
          return;
        }
        this.retried += pending.length;
        await this.sleep(this.backoff(attempt++), signal);
        continue;
      }
      const acks: Ack[] = [];
      const again: OutRecord[] = [];
      let ackedBytes = 0;
      results.forEach((result, i) => {
        const record = pending[i]!;
        if (result.SequenceNumber) {
          acks.push({ id: record.id, shardId: result.ShardId ?? '', sequenceNumber: result.SequenceNumber, putAtMs });
          ackedBytes += record.size;
        } else if (RETRYABLE_ENTRY_ERRORS.has(result.ErrorCode ?? '')) {
          if (result.ErrorCode === 'ProvisionedThroughputExceededException') this.throttled++;
          again.push(record);
        } else {
          this.failed++;
          this.warn(`Kinesis refused record ${record.id}: ${result.ErrorCode ?? 'no code'}: ${result.ErrorMessage ?? ''}`);
        }
      });
      if (acks.length > 0) {
        this.acknowledged += acks.length;
        this.bytesAcknowledged += ackedBytes;
        this.options.onAcknowledged?.(acks);
      }
      if (again.length === 0) return;
      if (attempt >= this.retry.maxAttempts) {
        this.failed += again.length;
        this.warn(`Gave up on ${again.length} records after ${attempt} attempts (throttled or failed each time)`);
        return;
      }
      this.retried += again.length;
      await this.sleep(this.backoff(attempt++), signal);
      pending = again;
    }
  }
}
