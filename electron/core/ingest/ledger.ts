import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Ack } from './producer.js';

/**
 * The acknowledged-id ledger of one run: an append-only text file, one line per
 * record Kinesis acknowledged, `<id>\t<shardId>\t<sequenceNumber>\t<putAtMs>`.
 * Checking a stage downstream for loss and duplication is comparing its ids
 * with these; putAtMs gives end-to-end latency.
 */
export class Ledger {
  private readonly out: WriteStream;
  private failure: Error | undefined;

  constructor(readonly path: string) {
    this.out = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.out.on('error', (error) => (this.failure = error));
  }

  append(acks: Ack[]): void {
    if (this.failure) throw this.failure;
    let text = '';
    for (const ack of acks) text += `${ack.id}\t${ack.shardId}\t${ack.sequenceNumber}\t${ack.putAtMs}\n`;
    this.out.write(text);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}

export interface LedgerEntry {
  id: string;
  shardId: string;
  sequenceNumber: string;
  putAtMs: number;
}

export async function* readLedger(path: string): AsyncGenerator<LedgerEntry> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const [id, shardId, sequenceNumber, putAt] = line.split('\t');
    yield { id: id!, shardId: shardId ?? '', sequenceNumber: sequenceNumber ?? '', putAtMs: Number(putAt) };
  }
}
