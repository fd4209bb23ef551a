import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import type {
  GeneratorOptions,
  IngestChunk,
  IngestRun,
  IngestSummary,
  ParsedInputOf,
  StreamMetrics,
  StreamSummary,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { AwsAccess } from '../aws/clients.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import type { Logger } from '../../../shared/node/log.js';
import { sleep } from '../../../shared/node/sleep.js';
import { explainAwsError } from '../aws/errors.js';
import { AccessLogGenerator } from './generator.js';
import { LEDGER_LIMITS, Ledger, pruneLedgers, type LedgerLimits } from './ledger.js';
import { streamMetrics } from './metrics.js';
import { kinesisProblem } from './kinesis-problem.js';
import { Producer, type ProducerEnd } from './producer.js';
import { generatorSource, replayFiles, replaySource, type ReplaySource } from './sources.js';
import { listShards, tailStream } from './tail.js';
import type { FileAccess } from '../storage/file-access.js';

export interface IngestDeps {
  dataDir: string;
  aws: AwsAccess;
  log: Logger;
  /** Where replayed log files are read from. */
  files: FileAccess;
  /** The ledgers' disk caps; tests make them small. */
  ledgerLimits?: LedgerLimits;
}

const PROGRESS_MS = 250;

const runSchema = z.object({
  runId: z.string(),
  stream: z.string(),
  environmentId: z.string(),
  source: z.enum(['generator', 'replay']),
  state: z.enum(['running', 'stopping', 'completed', 'stopped', 'cancelled', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  sent: z.number(),
  acknowledged: z.number(),
  retried: z.number(),
  failed: z.number(),
  // Summaries written before ledgers were capped have none.
  ledgerDropped: z.number().default(0),
  error: z.string().optional(),
});

const formatBytes = (bytes: number) => (bytes >= 2 ** 20 ? `${Math.round(bytes / 2 ** 20)} MiB` : `${Math.round(bytes / 1024)} KiB`);

/** Unique across runs and machines: time (sortable) and 40 random bits. */
export function newRunId(): string {
  return `r${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

/** The generator's options with the run's own defaults filled in. */
export function generatorFor(options: GeneratorOptions, runId: string, recordsPerSecond: number, nowMs = Date.now()): AccessLogGenerator {
  return new AccessLogGenerator({
    seed: options.seed,
    runId,
    startMs: options.start ? Date.parse(options.start) : Math.floor(nowMs / 1000) * 1000,
    simulatedRate: options.simulatedRate ?? recordsPerSecond,
    peakHourUtc: options.peakHourUtc,
    diurnalAmplitude: options.diurnalAmplitude,
    ...(options.errorBurst ? { errorBurst: options.errorBurst } : {}),
  });
}

interface ActiveRun {
  info: IngestRun;
  producer: Producer;
  ledger: Ledger;
  /** Settles once the run has ended and its ledger and summary are written, whether or not anyone still reads its stream. */
  ended: Promise<IngestSummary>;
}

/**
 * Fills Kinesis streams of the active environment with access logs and reads
 * them back: runs (a producer each, with a ledger of acknowledged ids under
 * `<data dir>/ingest/<runId>.ids` and `.ids.1`, capped by bytes, and its summary in `<runId>.json`), and
 * the stream tail. `dispose` ends every run and tail it started.
 */
export class IngestService {
  private readonly active = new Map<string, ActiveRun>();
  /** The clients of the tails being read: a tail waiting on its reader holds one until it is read again or disposed. */
  private readonly tails = new Set<KinesisClient>();
  private readonly closing = new AbortController();
  readonly dir: string;

  constructor(private readonly deps: IngestDeps) {
    this.dir = join(deps.dataDir, 'ingest');
  }

  private get limits(): LedgerLimits {
    return this.deps.ledgerLimits ?? LEDGER_LIMITS;
  }

  /**
   * Keeps all ledgers in the folder within the total cap: the oldest finished runs' ledgers are deleted until those
   * left, plus the full cap of every running run and of the one starting, fit. Two runs starting at once may each
   * miss the other's share; the next start makes up for it. A ledger that cannot be deleted does not stop the run.
   */
  private async makeRoomForLedger(): Promise<void> {
    const { perRunBytes, totalBytes } = this.limits;
    const budget = totalBytes - (this.active.size + 1) * perRunBytes;
    try {
      const pruned = await pruneLedgers(this.dir, budget, new Set(this.active.keys()));
      if (pruned.runIds.length > 0)
        this.deps.log.warn(
          'ingest',
          `Deleted the ledgers of ${pruned.runIds.length} oldest runs (${pruned.runIds.join(', ')}; ${formatBytes(pruned.bytes)}) to keep all ledgers within ${formatBytes(totalBytes)}`,
        );
    } catch (error) {
      this.deps.log.warn('ingest', `Could not keep the ledgers within ${formatBytes(totalBytes)}`, error);
    }
  }

  /** Main-side only: where a run's newest acknowledged ids are (never sent to the renderer); readLedger also reads the older segment. */
  ledgerPath(runId: string): string {
    return join(this.dir, `${runId}.ids`);
  }

  /** The request's signal, also aborted when the service is disposed. */
  private until(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, this.closing.signal]);
  }

  /** Aborts every run and tail, and waits until each run has written its ledger and summary. */
  async dispose(): Promise<void> {
    this.closing.abort();
    for (const kinesis of this.tails) kinesis.destroy();
    this.tails.clear();
    await Promise.allSettled([...this.active.values()].map((run) => run.ended));
  }

  private async saveRun(info: IngestRun): Promise<void> {
    await writeFileAtomic(join(this.dir, `${info.runId}.json`), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  }

  async runs(): Promise<IngestRun[]> {
    const runs = new Map<string, IngestRun>();
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      let parsed;
      try {
        parsed = runSchema.safeParse(JSON.parse(await readFile(join(this.dir, name), 'utf8')));
      } catch {
        continue; // torn or hand-edited: not a run to list
      }
      if (!parsed.success) continue;
      const run: IngestRun = parsed.data;
      // A run file left "running" by a process that is gone ended with it.
      if ((run.state === 'running' || run.state === 'stopping') && !this.active.has(run.runId)) run.state = 'cancelled';
      runs.set(run.runId, run);
    }
    for (const [runId, { info, producer, ledger }] of this.active) {
      const c = producer.counters();
      runs.set(runId, {
        ...info,
        state: producer.isStopping ? 'stopping' : 'running',
        sent: c.sent,
        acknowledged: c.acknowledged,
        retried: c.retried,
        failed: c.failed,
        ledgerDropped: ledger.dropped,
      });
    }
    return [...runs.values()].sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
  }

  stop(runId: string): { stopping: boolean } {
    const run = this.active.get(runId);
    if (!run) throw new AppError('NOT_FOUND', `No running ingest run ${runId}`);
    run.producer.stop();
    return { stopping: true };
  }

  setRate(runId: string, rate: number): { targetRate: number } {
    const run = this.active.get(runId);
    if (!run) throw new AppError('NOT_FOUND', `No running ingest run ${runId}`);
    run.producer.setRate(rate);
    return { targetRate: rate };
  }

  async streams(signal: AbortSignal): Promise<StreamSummary[]> {
    const aws = await this.deps.aws.aws();
    return aws
      .use(KinesisClient, async (kinesis) => {
        const out: StreamSummary[] = [];
        let nextToken: string | undefined;
        do {
          const page = await kinesis.send(new ListStreamsCommand(nextToken ? { NextToken: nextToken } : {}), { abortSignal: signal });
          for (const s of page.StreamSummaries ?? []) {
            out.push({
              name: s.StreamName ?? '',
              status: s.StreamStatus ?? '',
              ...(s.StreamARN ? { arn: s.StreamARN } : {}),
              ...(s.StreamModeDetails?.StreamMode ? { mode: s.StreamModeDetails.StreamMode } : {}),
            });
          }
          if (!page.StreamSummaries) for (const name of page.StreamNames ?? []) out.push({ name, status: '' });
          nextToken = page.HasMoreStreams ? page.NextToken : undefined;
        } while (nextToken);
        return out;
      })
      .catch((error: unknown) => {
        throw kinesisProblem(error, '');
      });
  }

  async shards(stream: string, signal: AbortSignal) {
    const aws = await this.deps.aws.aws();
    return aws
      .use(KinesisClient, (kinesis) => listShards(kinesis, stream, signal))
      .catch((error: unknown) => {
        throw kinesisProblem(error, stream);
      });
  }

  async metrics(stream: string, minutes: number, signal: AbortSignal): Promise<StreamMetrics> {
    const aws = await this.deps.aws.aws();
    return aws
      .use(CloudWatchClient, (cloudwatch) => streamMetrics(cloudwatch, stream, minutes, signal))
      .catch((error: unknown) => {
        throw explainAwsError(error, 'cloudwatch:GetMetricData', `reading the CloudWatch metrics of ${stream}`).toAppError();
      });
  }

  async *tail(input: ParsedInputOf<'ingest.tail'>, requestSignal: AbortSignal) {
    const signal = this.until(requestSignal);
    const kinesis = (await this.deps.aws.aws()).client(KinesisClient);
    this.tails.add(kinesis);
    try {
      yield* tailStream(
        kinesis,
        {
          stream: input.stream,
          from: input.from,
          limit: input.limit,
          ...(input.shardId ? { shardId: input.shardId } : {}),
          ...(input.timestamp ? { timestamp: input.timestamp } : {}),
        },
        signal,
      );
    } catch (error) {
      if (signal.aborted) return;
      throw kinesisProblem(error, input.stream);
    } finally {
      this.tails.delete(kinesis);
      kinesis.destroy();
    }
  }

  preview(options: GeneratorOptions, count: number): { lines: string[] } {
    const generator = generatorFor(options, 'preview', 10);
    return { lines: Array.from({ length: count }, () => generator.next().line) };
  }

  async *start(input: ParsedInputOf<'ingest.start'>, requestSignal: AbortSignal): AsyncGenerator<IngestChunk> {
    const signal = this.until(requestSignal);
    // The operator's files are checked before anything reaches AWS.
    const files =
      'replay' in input.source
        ? await replayFiles(await this.deps.files.forRead(input.source.replay.path, 'file or folder'), (path) =>
            this.deps.files.isAppData(path),
          )
        : undefined;
    const aws = await this.deps.aws.aws();
    const kinesis = aws.client(KinesisClient);
    // Until the run is registered these are this generator's to release; then the run's end releases them.
    let replay: ReplaySource | undefined;
    let ledger: Ledger | undefined;
    let run: ActiveRun | undefined;
    try {
      let shards: number;
      try {
        const summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: input.stream }), { abortSignal: signal }))
          .StreamDescriptionSummary;
        const status = summary?.StreamStatus ?? '';
        if (status !== 'ACTIVE' && status !== 'UPDATING')
          throw new AppError('CONFLICT', `Stream ${input.stream} is ${status}; records can be put once it is ACTIVE.`);
        shards = summary?.OpenShardCount ?? 0;
      } catch (error) {
        throw kinesisProblem(error, input.stream);
      }
      const runId = newRunId();
      const source = files
        ? (replay = replaySource(files, runId, input.partitionKey))
        : generatorSource(
            generatorFor((input.source as { generator: GeneratorOptions }).generator, runId, input.recordsPerSecond),
            input.partitionKey,
          );

      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await this.makeRoomForLedger();
      ledger = new Ledger(this.ledgerPath(runId), this.limits.perRunBytes);
      const openLedger = ledger;
      const warnings: string[] = [];
      const producer = new Producer({
        put: async (records, abortSignal) => {
          const answer = await kinesis.send(
            new PutRecordsCommand({
              StreamName: input.stream,
              Records: records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
            }),
            { abortSignal },
          );
          return answer.Records ?? [];
        },
        source,
        rate: input.recordsPerSecond,
        ...(input.total !== undefined ? { total: input.total } : {}),
        concurrency: input.concurrency,
        onAcknowledged: (acks) => openLedger.append(acks),
        onWarning: (message) => warnings.push(message),
      });
      const info: IngestRun = {
        runId,
        stream: input.stream,
        environmentId: aws.environment.id,
        source: files ? 'replay' : 'generator',
        state: 'running',
        startedAt: new Date().toISOString(),
        sent: 0,
        acknowledged: 0,
        retried: 0,
        failed: 0,
        ledgerDropped: 0,
      };
      await this.saveRun(info);
      this.deps.log.info(
        'ingest',
        `Run ${runId}: ${info.source} to ${input.stream} (${shards} shards) at up to ${input.recordsPerSecond} records/s${input.total ? `, ${input.total} records` : ''}`,
      );

      // The producer's end stops the progress loop at once; the run's end (ledger and summary written) follows it.
      const produced = new AbortController();
      const finished = producer
        .run(signal)
        .catch((error: unknown): ProducerEnd => ({ state: 'failed', error }))
        .finally(() => produced.abort());
      const release = { kinesis, ledger: openLedger, ...(replay ? { replay } : {}) };
      run = { info, producer, ledger: openLedger, ended: this.finish(info, producer, finished, release) };
      this.active.set(runId, run);
      ledger = replay = undefined;

      try {
        yield { kind: 'started', runId, stream: input.stream, shards, source: info.source, targetRate: producer.targetRate };
        while (!produced.signal.aborted) {
          await sleep(PROGRESS_MS, produced.signal);
          for (const message of warnings.splice(0)) yield { kind: 'warning', message };
          if (!produced.signal.aborted && !signal.aborted) yield { kind: 'progress', counters: producer.counters() };
        }
      } finally {
        // A consumer that leaves without cancelling stops the run gracefully; a cancel aborts it (the producer sees the signal).
        if (!produced.signal.aborted && !signal.aborted) producer.stop();
      }
      yield { kind: 'done', summary: await run.ended };
    } finally {
      if (run) await run.ended;
      else {
        replay?.close();
        await ledger?.close().catch(() => undefined);
        kinesis.destroy();
      }
    }
  }

  /** When the producer has ended: releases the run's ledger, source and client, and writes its summary. Never rejects. */
  private async finish(
    info: IngestRun,
    producer: Producer,
    finished: Promise<ProducerEnd>,
    release: { kinesis: KinesisClient; ledger: Ledger; replay?: ReplaySource },
  ): Promise<IngestSummary> {
    const { runId, stream } = info;
    const done = await finished;
    this.active.delete(runId);
    release.replay?.close();
    release.kinesis.destroy();
    await release.ledger.close().catch((error: unknown) => this.deps.log.warn('ingest', `Ledger of ${runId} did not close cleanly`, error));
    const counters = producer.counters();
    const ledgerDropped = release.ledger.dropped;
    if (ledgerDropped > 0)
      this.deps.log.warn(
        'ingest',
        `Ledger of ${runId} kept within ${formatBytes(this.limits.perRunBytes)}: its ${ledgerDropped} oldest acknowledged ids were dropped, so checks against it cover the newest ${counters.acknowledged - ledgerDropped} only`,
      );
    const error = done.state === 'failed' ? kinesisProblem(done.error, stream).message : undefined;
    Object.assign(info, {
      state: done.state,
      finishedAt: new Date().toISOString(),
      sent: counters.sent,
      acknowledged: counters.acknowledged,
      retried: counters.retried,
      failed: counters.failed,
      ledgerDropped,
      ...(error ? { error } : {}),
    });
    await this.saveRun(info).catch((e: unknown) => this.deps.log.warn('ingest', `Could not save the summary of ${runId}`, e));
    this.deps.log.info(
      'ingest',
      `Run ${runId} ${done.state}: ${counters.acknowledged} acknowledged, ${counters.retried} retried, ${counters.failed} failed${error ? `: ${error}` : ''}`,
    );
    const seconds = counters.elapsedMs / 1000;
    return {
      ...counters,
      state: done.state,
      averageRecordsPerSecond: seconds > 0 ? Math.round(counters.acknowledged / seconds) : 0,
      averageMibPerSecond: seconds > 0 ? Number((counters.bytesAcknowledged / 2 ** 20 / seconds).toFixed(3)) : 0,
      skipped: release.replay?.skipped ?? 0,
      ledgerDropped,
      ...(error ? { error } : {}),
    };
  }

  handlers(): HandlerGroup {
    return {
      'ingest.start': (input, { signal }) => this.start(input, signal),
      'ingest.stop': ({ runId }) => this.stop(runId),
      'ingest.setRate': ({ runId, recordsPerSecond }) => this.setRate(runId, recordsPerSecond),
      'ingest.runs': () => this.runs(),
      'ingest.preview': ({ generator, count }) => this.preview(generator, count),
      'ingest.streams': (_input, { signal }) => this.streams(signal),
      'ingest.shards': ({ stream }, { signal }) => this.shards(stream, signal),
      'ingest.metrics': ({ stream, minutes }, { signal }) => this.metrics(stream, minutes, signal),
      'ingest.tail': (input, { signal }) => this.tail(input, signal),
    };
  }
}
