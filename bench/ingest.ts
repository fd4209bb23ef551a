import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { sandboxClientConfig } from '../sandbox/client/constants.js';
import { readLedger } from '../electron/core/ingest/ledger.js';
import { Producer, type PutRecordsFn } from '../electron/core/ingest/producer.js';
import { generatorFor } from '../electron/core/ingest/service.js';
import { generatorSource } from '../electron/core/ingest/sources.js';
import { listShards } from '../electron/core/ingest/tail.js';
import { compareWithLedger, streamIdCounts } from '../electron/core/ingest/verify.js';
import { faultTokenPath, setGatewayFaults } from '../sandbox/client/faults.js';
import { contract, type IngestSummary, type InputOf } from '../shared/contract/index.js';
import { recordIdOf } from '../shared/pipeline/access-log.js';
import { numberArg, round, stringArg } from './args.js';
import { benchSandbox } from './sandbox.js';

const GET_RECORDS_INTERVAL_MS = 200; // 5 GetRecords per second per shard, Kinesis's limit

/**
 * Generator → producer (the app's core, `ingest.start`) → the sandbox's Kinesis.
 * Phase 1 sends `--records` (default 30,000) as fast as the stream takes them:
 * records/s, MiB/s and this process's CPU seconds per 100,000 records (the
 * sandbox runs in its own processes). Phase 2 sends `--latency-records`
 * (default 2,500) at `--latency-rate` (default 500/s, well within what the sandbox takes) while a reader polls
 * every shard at GetRecords' limit: end-to-end latency from PutRecords to the
 * record being readable. Then the whole stream is read back from TRIM_HORIZON
 * and every record id counted against the runs' ledgers: lost and duplicated.
 * The sandbox's emulator (moto) is what limits the throughput: it scans a
 * shard's records for each put and each read, and snapshots its whole state
 * while puts go on, so it slows as the stream grows (about 4,000 records/s on
 * a fresh stream, a few hundred past 100,000 records); `producer_alone_*`
 * shows what the generator and producer do against an instant Kinesis.
 * Options: `--shards N` (default 4), `--throttle F` (inject throttling of a
 * share F of PutRecords entries in phase 1), `--data-dir DIR` (use the sandbox
 * already running there instead of starting one).
 */
export async function runIngestBench(args: string[]) {
  const records = numberArg(args, '--records', 30_000);
  const shards = numberArg(args, '--shards', 4);
  const latencyRecords = numberArg(args, '--latency-records', 2_500);
  const latencyRate = numberArg(args, '--latency-rate', 500);
  const throttleArg = stringArg(args, '--throttle');
  const throttle = throttleArg === undefined ? 0 : Number(throttleArg);
  const { dataDir, run, core, appDir, stop } = await benchSandbox(args, 'ingest');
  const kinesis = new KinesisClient(sandboxClientConfig(run));
  const signal = new AbortController().signal;
  const faultToken = readFileSync(faultTokenPath(join(dataDir, 'sandbox', 'state')), 'utf8').trim();
  try {
    const stream = `bench-ingest-${Date.now().toString(36)}`;
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
    for (;;) {
      const status = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus;
      if (status === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(`stream ${stream}: ${shards} shards`);

    const ingest = async (input: InputOf<'ingest.start'>): Promise<{ runId: string; summary: IngestSummary }> => {
      let runId = '';
      let summary: IngestSummary | undefined;
      for await (const chunk of core.handlers['ingest.start'](contract['ingest.start'].input.parse(input), { signal })) {
        if (chunk.kind === 'started') runId = chunk.runId;
        if (chunk.kind === 'warning') console.log(`warning: ${chunk.message}`);
        if (chunk.kind === 'done') summary = chunk.summary;
      }
      return { runId, summary: summary! };
    };

    // Phase 0: the generator and producer alone, against a Kinesis that acknowledges at once: what this side can do.
    const instant: PutRecordsFn = async (batch) =>
      batch.map((_, i) => ({ SequenceNumber: String(i + 1), ShardId: 'shardId-000000000000' }));
    const alone = new Producer({
      put: instant,
      source: generatorSource(generatorFor({ seed: 1, peakHourUtc: 14, diurnalAmplitude: 0.6 }, 'rbench0000', 1_000_000), 'record'),
      rate: 1_000_000,
      total: records,
      concurrency: 8,
    });
    const aloneCpu = process.cpuUsage();
    const aloneStart = performance.now();
    await alone.run(signal);
    const aloneSeconds = (performance.now() - aloneStart) / 1000;
    const aloneUsage = process.cpuUsage(aloneCpu);
    const aloneCpuSeconds = (aloneUsage.user + aloneUsage.system) / 1e6;
    console.log(
      `generator + producer alone (no network): ${(records / aloneSeconds).toFixed(0)} records/s, ${aloneCpuSeconds.toFixed(2)} CPU s`,
    );

    // Phase 1: throughput and CPU through the app's core to the sandbox's Kinesis.
    if (throttle > 0)
      await setGatewayFaults(run.endpoint, faultToken, [
        { service: 'kinesis', operation: 'PutRecords', kind: 'partial', fraction: throttle, match: stream },
      ]);
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    const bulk = await ingest({ stream, source: { generator: { seed: 1 } }, recordsPerSecond: 1_000_000, total: records, concurrency: 8 });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    if (throttle > 0) await setGatewayFaults(run.endpoint, faultToken, []);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const recordsPerSecond = bulk.summary.acknowledged / seconds;
    const mibPerSecond = bulk.summary.bytesAcknowledged / 2 ** 20 / seconds;
    console.log(
      `bulk: ${bulk.summary.acknowledged} records, ${(bulk.summary.bytesAcknowledged / 2 ** 20).toFixed(1)} MiB in ${seconds.toFixed(2)} s: ${recordsPerSecond.toFixed(0)} records/s, ${mibPerSecond.toFixed(2)} MiB/s, ${cpuSeconds.toFixed(2)} CPU s (retried ${bulk.summary.retried}, throttled ${bulk.summary.throttled}, failed ${bulk.summary.failed})`,
    );

    // Phase 2: end-to-end latency, with a reader at GetRecords' limit on every shard.
    const readAt = new Map<string, number>();
    const stopReading = new AbortController();
    const shardIds = (await listShards(kinesis, stream, signal)).map((s) => s.shardId);
    const decoder = new TextDecoder();
    // Iterators first (LATEST is "after what is there now"), then one polling loop per shard.
    const iterators = await Promise.all(
      shardIds.map(
        async (shardId) =>
          (await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'LATEST' })))
            .ShardIterator,
      ),
    );
    const readers = iterators.map(async (first) => {
      let iterator = first;
      while (iterator && !stopReading.signal.aborted) {
        const polled = performance.now();
        const answer = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        const now = Date.now();
        for (const record of answer.Records ?? []) {
          const id = recordIdOf(decoder.decode(record.Data));
          if (id && !readAt.has(id)) readAt.set(id, now);
        }
        iterator = answer.NextShardIterator;
        await new Promise((r) => setTimeout(r, Math.max(0, GET_RECORDS_INTERVAL_MS - (performance.now() - polled))));
      }
    });
    const paced = await ingest({ stream, source: { generator: { seed: 2 } }, recordsPerSecond: latencyRate, total: latencyRecords });
    const deadline = Date.now() + 30_000;
    while (readAt.size < paced.summary.acknowledged && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    stopReading.abort();
    await Promise.all(readers);
    const latencies: number[] = [];
    for await (const entry of readLedger(join(appDir, 'ingest', `${paced.runId}.ids`))) {
      const at = readAt.get(entry.id);
      if (at !== undefined) latencies.push(at - entry.putAtMs);
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
    console.log(
      `latency: ${latencies.length} of ${paced.summary.acknowledged} records read live at ${latencyRate}/s; PutRecords → readable p50 ${pct(50)} ms, p95 ${pct(95)} ms, p99 ${pct(99)} ms`,
    );

    // Loss and duplication over the whole stream, by record id.
    const { counts, records: inStream, withoutId } = await streamIdCounts(kinesis, stream, signal);
    const reports = await Promise.all(
      [bulk, paced].map((r) => compareWithLedger(join(appDir, 'ingest', `${r.runId}.ids`), r.runId, counts)),
    );
    const lost = reports.reduce((s, r) => s + r.lost, 0);
    const duplicated = reports.reduce((s, r) => s + r.duplicated, 0);
    const acknowledged = reports.reduce((s, r) => s + r.acknowledged, 0);
    console.log(
      `read back: ${inStream} records in the stream (${withoutId} without an id) for ${acknowledged} acknowledged: ${lost} lost, ${duplicated} duplicated`,
    );

    return {
      bench: 'ingest',
      records,
      shards,
      records_per_s: Math.round(recordsPerSecond),
      mib_per_s: round(mibPerSecond, 2),
      cpu_s_per_100k: round((cpuSeconds / bulk.summary.acknowledged) * 100_000, 2),
      e2e_latency_ms: pct(50),
      e2e_latency_ms_p95: pct(95),
      e2e_latency_ms_p99: pct(99),
      lost,
      duplicated,
      retried: bulk.summary.retried,
      producer_alone_records_per_s: Math.round(records / aloneSeconds),
      producer_alone_cpu_s_per_100k: round((aloneCpuSeconds / records) * 100_000, 2),
      failed: bulk.summary.failed + paced.summary.failed,
      ...(throttle > 0 ? { throttle, throttled: bulk.summary.throttled } : {}),
    };
  } finally {
    kinesis.destroy();
    await stop();
  }
}
