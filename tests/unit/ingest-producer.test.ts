import { describe, expect, it } from 'vitest';
import { Batcher, outRecord, recordProblem, type OutRecord } from '../../electron/core/ingest/batcher.js';
import { Producer, type Ack, type PutRecordsFn, type PutResultEntry, type RecordSource } from '../../electron/core/ingest/producer.js';
import { generatorSource } from '../../electron/core/ingest/sources.js';
import { generatorFor } from '../../electron/core/ingest/service.js';
import { Faults } from '../../sandbox/gateway/faults.js';
import { KINESIS_LIMITS } from '../../shared/contract/index.js';

const MiB = 1024 * 1024;
const record = (id: string, bytes: number, key = id) => outRecord(id, 'x'.repeat(bytes), key);

/** A source of n small records with ids 1..n. */
function countingSource(n: number, bytes = 100): RecordSource {
  let next = 1;
  return {
    read(max) {
      const out: OutRecord[] = [];
      while (out.length < max && next <= n) out.push(record(String(next++), bytes));
      return out;
    },
  };
}

/** A fake Kinesis: acknowledges entries (sequence numbers count up), or refuses those `refuse` picks. */
function fakeKinesis(refuse: (call: number, index: number, r: OutRecord) => string | undefined = () => undefined) {
  const stored: string[] = [];
  const calls: OutRecord[][] = [];
  const put: PutRecordsFn = async (records) => {
    calls.push(records);
    const call = calls.length;
    await Promise.resolve();
    return records.map((r, i): PutResultEntry => {
      const code = refuse(call, i, r);
      if (code) return { ErrorCode: code, ErrorMessage: 'refused' };
      stored.push(r.id);
      return { SequenceNumber: String(stored.length), ShardId: `shardId-00000000000${stored.length % 2}` };
    });
  };
  return { put, stored, calls };
}

const noWait = () => Promise.resolve();

describe('batching within Kinesis limits', () => {
  it('closes a batch at 500 records', () => {
    const batcher = new Batcher();
    const batches: OutRecord[][] = [];
    for (let i = 0; i < 1234; i++) {
      const full = batcher.add(record(String(i), 10));
      if (full) batches.push(full);
    }
    batches.push(batcher.take());
    expect(batches.map((b) => b.length)).toEqual([500, 500, 234]);
  });

  it('closes a batch before it would pass 5 MiB, counting partition keys', () => {
    const batcher = new Batcher();
    const batches: OutRecord[][] = [];
    // 12 records of 1 MiB less 100 bytes (plus a key of 10 bytes each): 5 fit, the 6th would pass 5 MiB.
    for (let i = 0; i < 12; i++) {
      const full = batcher.add(record(`k${String(i).padStart(9, '0')}`, MiB - 100));
      if (full) batches.push(full);
    }
    batches.push(batcher.take());
    expect(batches.map((b) => b.length)).toEqual([5, 5, 2]);
    for (const batch of batches) expect(batch.reduce((s, r) => s + r.size, 0)).toBeLessThanOrEqual(KINESIS_LIMITS.bytesPerPut);
  });

  it('refuses a record over 1 MiB with its partition key, and bad partition keys', () => {
    expect(recordProblem(record('a', MiB - 1, 'a'))).toBeUndefined();
    expect(recordProblem(record('a', MiB, 'a'))).toMatch(/1048577 bytes/);
    expect(recordProblem(record('a', 10, ''))).toMatch(/partition key/);
    expect(recordProblem(record('a', 10, 'k'.repeat(257)))).toMatch(/partition key/);
    expect(recordProblem(record('a', 10, 'k'.repeat(256)))).toBeUndefined();
  });

  it('sends every record of a real run in batches that keep the limits', async () => {
    const kinesis = fakeKinesis();
    const generator = generatorFor({ seed: 3, peakHourUtc: 14, diurnalAmplitude: 0.6 }, 'rbatch0001', 1000);
    const producer = new Producer({
      put: kinesis.put,
      source: generatorSource(generator, 'record'),
      rate: 1_000_000,
      total: 5_000,
      concurrency: 4,
    });
    expect(await producer.run(new AbortController().signal)).toEqual({ state: 'completed' });
    expect(kinesis.stored).toHaveLength(5_000);
    for (const call of kinesis.calls) {
      expect(call.length).toBeLessThanOrEqual(500);
      expect(call.reduce((s, r) => s + r.size, 0)).toBeLessThanOrEqual(KINESIS_LIMITS.bytesPerPut);
    }
    expect(producer.counters()).toMatchObject({ sent: 5_000, acknowledged: 5_000, failed: 0, retried: 0, inFlight: 0 });
  });

  it('counts a record too large for Kinesis as failed without sending it', async () => {
    const kinesis = fakeKinesis();
    const records = [record('1', 10), record('2', MiB + 1), record('3', 10)];
    const producer = new Producer({
      put: kinesis.put,
      source: { read: (max) => records.splice(0, max) },
      rate: 1000,
      concurrency: 1,
      sleep: noWait,
      onWarning: () => undefined,
    });
    await producer.run(new AbortController().signal);
    expect(kinesis.stored).toEqual(['1', '3']);
    expect(producer.counters()).toMatchObject({ sent: 3, acknowledged: 2, failed: 1 });
  });
});

describe('retrying what Kinesis refused', () => {
  it('sends again only the refused entries, with growing backoff, until all are acknowledged exactly once', async () => {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    // Calls 1..20 throttle ~40% of entries; some InternalFailure too.
    const kinesis = fakeKinesis((call) => {
      if (call > 20) return undefined;
      const u = random();
      return u < 0.35 ? 'ProvisionedThroughputExceededException' : u < 0.4 ? 'InternalFailure' : undefined;
    });
    const waits: number[] = [];
    const acks: Ack[] = [];
    const producer = new Producer({
      put: kinesis.put,
      source: countingSource(3_000),
      rate: 1_000_000,
      concurrency: 1,
      sleep: async (ms) => void waits.push(ms),
      random: () => 0.5,
      onAcknowledged: (a) => acks.push(...a),
    });
    expect(await producer.run(new AbortController().signal)).toEqual({ state: 'completed' });
    // Exactly once, none lost.
    expect(new Set(kinesis.stored).size).toBe(3_000);
    expect(kinesis.stored).toHaveLength(3_000);
    expect(acks.map((a) => a.id).sort()).toEqual(kinesis.stored.slice().sort());
    const counters = producer.counters();
    expect(counters).toMatchObject({ sent: 3_000, acknowledged: 3_000, failed: 0, inFlight: 0 });
    // Every re-send was of a refused entry: calls carried 3,000 + retried records in all.
    expect(kinesis.calls.reduce((s, c) => s + c.length, 0)).toBe(3_000 + counters.retried);
    expect(counters.retried).toBeGreaterThan(500);
    expect(counters.throttled).toBeGreaterThan(300);
    // The retry of the first batch is smaller than the batch (only the refused entries).
    expect(kinesis.calls[1]!.length).toBeLessThan(500);
    expect(kinesis.calls[1]!.every((r) => kinesis.calls[0]!.includes(r))).toBe(true);
    // Backoff doubles (equal jitter at 0.5: 75% of 100, 200, 400 ms …).
    expect(waits.slice(0, 3)).toEqual([75, 150, 300]);
  });

  it('gives up after the attempts allowed, counting those records as failed', async () => {
    const kinesis = fakeKinesis((_call, _i, r) => (r.id === '7' ? 'ProvisionedThroughputExceededException' : undefined));
    const warnings: string[] = [];
    const producer = new Producer({
      put: kinesis.put,
      source: countingSource(10),
      rate: 1000,
      concurrency: 1,
      sleep: noWait,
      retry: { maxAttempts: 4, baseMs: 1, capMs: 10 },
      onWarning: (w) => warnings.push(w),
    });
    await producer.run(new AbortController().signal);
    expect(producer.counters()).toMatchObject({ sent: 10, acknowledged: 9, failed: 1, retried: 3, throttled: 4 });
    expect(kinesis.calls.filter((c) => c.some((r) => r.id === '7'))).toHaveLength(4);
    expect(warnings[0]).toMatch(/Gave up on 1 records after 4 attempts/);
  });

  it('does not retry an entry error that is not a moment’s trouble', async () => {
    const kinesis = fakeKinesis((_call, i) => (i === 0 ? 'KMSAccessDeniedException' : undefined));
    const producer = new Producer({
      put: kinesis.put,
      source: countingSource(3),
      rate: 1000,
      concurrency: 1,
      sleep: noWait,
      onWarning: () => undefined,
    });
    await producer.run(new AbortController().signal);
    expect(producer.counters()).toMatchObject({ acknowledged: 2, failed: 1, retried: 0 });
  });

  it('retries a request that failed as a whole with a throttling error, and stops the run on one that will not pass', async () => {
    let calls = 0;
    const throttledOnce: PutRecordsFn = async (records) => {
      if (calls++ === 0) throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
      return records.map((_, i) => ({ SequenceNumber: String(i + 1), ShardId: 'shardId-000000000000' }));
    };
    const ok = new Producer({ put: throttledOnce, source: countingSource(50), rate: 1000, concurrency: 1, sleep: noWait });
    expect(await ok.run(new AbortController().signal)).toEqual({ state: 'completed' });
    expect(ok.counters()).toMatchObject({ acknowledged: 50, retried: 50, failed: 0 });

    const gone: PutRecordsFn = async () => {
      throw Object.assign(new Error('Stream x not found'), { name: 'ResourceNotFoundException' });
    };
    const failing = new Producer({ put: gone, source: countingSource(10_000), rate: 1_000_000, concurrency: 2, sleep: noWait });
    const end = await failing.run(new AbortController().signal);
    expect(end.state).toBe('failed');
    expect(failing.counters().acknowledged).toBe(0);
    expect(failing.counters().sent).toBeLessThan(10_000);
  });
});

describe('rate control and stopping', () => {
  it('holds the rate, changes it while running, and a stop still sends what it holds', async () => {
    const kinesis = fakeKinesis();
    const producer = new Producer({ put: kinesis.put, source: countingSource(1_000_000), rate: 2_000, concurrency: 2, lingerMs: 20 });
    const run = producer.run(new AbortController().signal);
    await new Promise((r) => setTimeout(r, 1000));
    const atOneSecond = producer.counters().acknowledged;
    expect(atOneSecond).toBeGreaterThan(1_400);
    expect(atOneSecond).toBeLessThan(2_700);
    producer.setRate(200);
    const before = producer.counters().sent;
    await new Promise((r) => setTimeout(r, 1000));
    expect(producer.counters().sent - before).toBeLessThan(450);
    expect(producer.counters().targetRate).toBe(200);
    producer.stop();
    expect(await run).toEqual({ state: 'stopped' });
    const counters = producer.counters();
    expect(counters.inFlight).toBe(0);
    expect(counters.acknowledged).toBe(counters.sent);
    expect(kinesis.stored).toHaveLength(counters.sent);
  });

  it('sends a partly filled batch after the linger time at a slow rate', async () => {
    const kinesis = fakeKinesis();
    const producer = new Producer({ put: kinesis.put, source: countingSource(1_000_000), rate: 20, concurrency: 1, lingerMs: 50 });
    const controller = new AbortController();
    const run = producer.run(controller.signal);
    await new Promise((r) => setTimeout(r, 600));
    expect(kinesis.stored.length).toBeGreaterThan(3);
    expect(kinesis.calls.every((c) => c.length < 10)).toBe(true);
    controller.abort();
    expect((await run).state).toBe('cancelled');
  });
});

describe('the gateway’s injected throttling (sandbox fault injection)', () => {
  it('fails a share of PutRecords entries, forwards the rest, and merges the answers in order', () => {
    let n = 0;
    const faults = new Faults('token', () => (n++ % 2 === 0 ? 0.1 : 0.9));
    faults.set({ rules: [{ service: 'kinesis', operation: 'PutRecords', kind: 'partial', fraction: 0.5, calls: 1 }] });
    expect(faults.targets('kinesis')).toBe(true);
    expect(faults.targets('s3')).toBe(false);
    const body = JSON.stringify({
      StreamName: 's',
      Records: [
        { Data: 'YQ==', PartitionKey: '1' },
        { Data: 'Yg==', PartitionKey: '2' },
        { Data: 'Yw==', PartitionKey: '3' },
        { Data: 'ZA==', PartitionKey: '4' },
      ],
    });
    const injected = faults.take('kinesis', 'PutRecords', body);
    if (injected?.kind !== 'partial') throw new Error('expected a partial failure');
    const forwarded = JSON.parse(injected.body) as { Records: { PartitionKey: string }[] };
    expect(forwarded.Records.map((r) => r.PartitionKey)).toEqual(['2', '4']);
    const merged = JSON.parse(
      injected.merge(
        JSON.stringify({
          FailedRecordCount: 0,
          Records: [
            { SequenceNumber: '10', ShardId: 'a' },
            { SequenceNumber: '11', ShardId: 'b' },
          ],
        }),
      ),
    ) as { FailedRecordCount: number; Records: PutResultEntry[] };
    expect(merged.FailedRecordCount).toBe(2);
    expect(merged.Records.map((r) => r.SequenceNumber ?? r.ErrorCode)).toEqual([
      'ProvisionedThroughputExceededException',
      '10',
      'ProvisionedThroughputExceededException',
      '11',
    ]);
    // The rule was for one call only.
    expect(faults.take('kinesis', 'PutRecords', body)).toBeUndefined();
    expect(faults.targets('kinesis')).toBe(false);
  });

  it('fails whole calls with an error, and refuses rules or control without the token', () => {
    const faults = new Faults('secret-token');
    faults.set({
      rules: [
        { service: 'kinesis', operation: 'GetRecords', kind: 'error', errorCode: 'ProvisionedThroughputExceededException', calls: 2 },
      ],
    });
    expect(faults.take('kinesis', 'GetRecords', '{}')).toMatchObject({
      kind: 'error',
      status: 400,
      body: { __type: 'ProvisionedThroughputExceededException' },
    });
    expect(faults.take('kinesis', 'GetRecords', '{}')).toMatchObject({ kind: 'error' });
    expect(faults.take('kinesis', 'GetRecords', '{}')).toBeUndefined();
    expect(() => faults.set({ rules: [{ service: 'kinesis', operation: 'PutRecords', kind: 'explode' }] })).toThrow();
    const request = (token?: string) => ({ headers: token ? { 'x-tributary-fault-token': token } : {} }) as never;
    expect(faults.authorized(request('secret-token'))).toBe(true);
    expect(faults.authorized(request('secret-tokem'))).toBe(false);
    expect(faults.authorized(request())).toBe(false);
  });
});
