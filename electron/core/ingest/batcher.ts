import { KINESIS_LIMITS } from '../../../shared/contract/index.js';

/** One record on its way to Kinesis. */
export interface OutRecord {
  id: string;
  data: Buffer;
  partitionKey: string;
  /** Data plus partition key, in bytes: what Kinesis counts against its limits. */
  size: number;
}

export function outRecord(id: string, text: string, partitionKey: string): OutRecord {
  const data = Buffer.from(text, 'utf8');
  return { id, data, partitionKey, size: data.length + Buffer.byteLength(partitionKey, 'utf8') };
}

/** Why a record can never be sent, or undefined when it can. */
export function recordProblem(record: OutRecord, limits = KINESIS_LIMITS): string | undefined {
  if (record.partitionKey.length === 0 || record.partitionKey.length > limits.partitionKeyChars)
    return `partition key of ${record.partitionKey.length} characters (1 to ${limits.partitionKeyChars})`;
  if (record.size > limits.bytesPerRecord) return `${record.size} bytes with its partition key (at most ${limits.bytesPerRecord})`;
  return undefined;
}

export interface BatchLimits {
  records: number;
  bytes: number;
}

/**
 * Packs records into PutRecords requests within Kinesis's limits: at most 500
 * records and 5 MiB (data plus partition keys) per request. `add` answers the
 * batch that the record did not fit into (full), if any; `take` empties it.
 */
export class Batcher {
  private records: OutRecord[] = [];
  private bytes = 0;

  constructor(private readonly limits: BatchLimits = { records: KINESIS_LIMITS.recordsPerPut, bytes: KINESIS_LIMITS.bytesPerPut }) {}

  get size(): number {
    return this.records.length;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /** Adds a record that recordProblem() accepted; returns the previous batch when the record starts a new one. */
  add(record: OutRecord): OutRecord[] | undefined {
    let full: OutRecord[] | undefined;
    if (this.records.length > 0 && (this.records.length >= this.limits.records || this.bytes + record.size > this.limits.bytes))
      full = this.take();
    this.records.push(record);
    this.bytes += record.size;
    // A batch at the record limit is full now; no need to wait for the next record to find out.
    if (!full && this.records.length >= this.limits.records) return this.take();
    return full;
  }

  take(): OutRecord[] {
    const batch = this.records;
    this.records = [];
    this.bytes = 0;
    return batch;
  }
}
