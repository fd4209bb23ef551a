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
import { AppError, isAppError } from '../../../shared/errors.js';
import { awsClientConfig } from '../aws/clients.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import type { Logger } from '../../../shared/node/log.js';
import { explainAwsError } from '../aws/errors.js';
import type { EnvironmentsService } from '../environments/service.js';
import { AccessLogGenerator } from './generator.js';
import { Ledger } from './ledger.js';
import { streamMetrics } from './metrics.js';
import { Producer, requestErrorCode, type ProducerEnd } from './producer.js';
import { generatorSource, replayFiles, replaySource, type ReplaySource } from './sources.js';
import { listShards, tailStream } from './tail.js';

export interface IngestDeps {
  dataDir: string;
  version: string;
  environments: EnvironmentsService;
  log: Logger;
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
  error: z.string().optional(),
});

/** Unique across runs and machines: time (sortable) and 40 random bits. */
export function newRunId(): string {
  return `r${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

/** An AWS error as the operator should read it, with the code the UI branches on. */
export function kinesisProblem(error: unknown, stream: string): AppError {
  if (isAppError(error)) return error;
  const code = requestErrorCode(error);
  const message = (error as Error)?.message ?? String(error);
  switch (code) {
    case 'ResourceNotFoundException':
      return new AppError('NOT_FOUND', `No Kinesis stream ${stream} in this environment (${message})`);
    case 'ResourceInUseException':
      return new AppError('CONFLICT', `Stream ${stream} is busy: ${message}`);
    case 'InvalidArgumentException':
    case 'ValidationException':
      return new AppError('VALIDATION', message);
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'TimeoutError':
      return new AppError('UNAVAILABLE', `The Kinesis endpoint does not answer: ${message}`);
    default:
      return new AppError('UNAVAILABLE', `Kinesis: ${code}: ${message}`);
  }
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
}

/**
 * Fills Kinesis streams of the active environment with access logs and reads
 * them back: runs (a producer each, with a ledger of acknowledged ids under
 * `<data dir>/ingest/<runId>.ids` and its summary in `<runId>.json`), and
 * the stream tail.
 */
export class IngestService {
  private readonly active = new Map<string, ActiveRun>();
  /** Aborted when the core closes: every run ends with it. */
  private readonly closing = new AbortController();
  readonly dir: string;

  constructor(private readonly deps: IngestDeps) {
    this.dir = join(deps.dataDir, 'ingest');
  }

  /** Main-side only: where a run's acknowledged ids are (never sent to the renderer). */
  ledgerPath(runId: string): string {
    return join(this.dir, `${runId}.ids`);
  }

  private async kinesis(): Promise<{ kinesis: KinesisClient; environmentId: string }> {
    const active = await this.deps.environments.active();
    const { target } = await this.deps.environments.target(active.id);
    return { kinesis: new KinesisClient(awsClientConfig(target, this.deps.version)), environmentId: active.id };
  }

  dispose(): void {
    this.closing.abort();
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
    for (const [runId, { info, producer }] of this.active) {
      const c = producer.counters();
      runs.set(runId, {
        ...info,
        state: producer.isStopping ? 'stopping' : 'running',
        sent: c.sent,
        acknowledged: c.acknowledged,
        retried: c.retried,
        failed: c.failed,
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
    const { kinesis } = await this.kinesis();
    try {
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
    } catch (error) {
      throw kinesisProblem(error, '');
    } finally {
      kinesis.destroy();
    }
  }

  async shards(stream: string, signal: AbortSignal) {
    const { kinesis } = await this.kinesis();
    try {
      return await listShards(kinesis, stream, signal);
    } catch (error) {
      throw kinesisProblem(error, stream);
    } finally {
      kinesis.destroy();
    }
  }

  async metrics(stream: string, minutes: number, signal: AbortSignal): Promise<StreamMetrics> {
    const active = await this.deps.environments.active();
    const { target } = await this.deps.environments.target(active.id);
    const cloudwatch = new CloudWatchClient(awsClientConfig(target, this.deps.version));
    try {
      return await streamMetrics(cloudwatch, stream, minutes, signal);
    } catch (error) {
      throw explainAwsError(error, 'cloudwatch:GetMetricData', `reading the CloudWatch metrics of ${stream}`).toAppError();
    } finally {
      cloudwatch.destroy();
    }
  }

  async *tail(input: ParsedInputOf<'ingest.tail'>, signal: AbortSignal) {
    const { kinesis } = await this.kinesis();
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
      kinesis.destroy();
    }
  }

  preview(options: GeneratorOptions, count: number): { lines: string[] } {
    const generator = generatorFor(options, 'preview', 10);
    return { lines: Array.from({ length: count }, () => generator.next().line) };
  }

  async *start(input: ParsedInputOf<'ingest.start'>, signal: AbortSignal): AsyncGenerator<IngestChunk> {
    const { kinesis, environmentId } = await this.kinesis();
    let replay: ReplaySource | undefined;
    let ledger: Ledger | undefined;
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
      const files = 'replay' in input.source ? await replayFiles(input.source.replay.path) : undefined;
      const source = files
        ? (replay = replaySource(files, runId, input.partitionKey))
        : generatorSource(
            generatorFor((input.source as { generator: GeneratorOptions }).generator, runId, input.recordsPerSecond),
            input.partitionKey,
          );

      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      ledger = new Ledger(this.ledgerPath(runId));
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
        environmentId,
        source: files ? 'replay' : 'generator',
        state: 'running',
        startedAt: new Date().toISOString(),
        sent: 0,
        acknowledged: 0,
        retried: 0,
        failed: 0,
      };
      await this.saveRun(info);
      this.active.set(runId, { info, producer });
      this.deps.log.info(
        'ingest',
        `Run ${runId}: ${info.source} to ${input.stream} (${shards} shards) at up to ${input.recordsPerSecond} records/s${input.total ? `, ${input.total} records` : ''}`,
      );

      let end: ProducerEnd | undefined;
      const finished = producer.run(AbortSignal.any([signal, this.closing.signal])).then(
        (result) => (end = result),
        (error: unknown): ProducerEnd => (end = { state: 'failed', error }),
      );
      let summary: IngestSummary | undefined;
      try {
        yield { kind: 'started', runId, stream: input.stream, shards, source: info.source, targetRate: producer.targetRate };
        while (end === undefined) {
          await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, PROGRESS_MS))]);
          for (const message of warnings.splice(0)) yield { kind: 'warning', message };
          if (end === undefined && !signal.aborted) yield { kind: 'progress', counters: producer.counters() };
        }
      } finally {
        // A consumer that leaves without cancelling stops the run gracefully; a cancel aborts it (the producer sees the signal).
        if (end === undefined && !signal.aborted) producer.stop();
        const done = await finished;
        this.active.delete(runId);
        await openLedger.close().catch((error: unknown) => this.deps.log.warn('ingest', `Ledger of ${runId} did not close cleanly`, error));
        ledger = undefined;
        const counters = producer.counters();
        const error = done.state === 'failed' ? kinesisProblem(done.error, input.stream).message : undefined;
        Object.assign(info, {
          state: done.state,
          finishedAt: new Date().toISOString(),
          sent: counters.sent,
          acknowledged: counters.acknowledged,
          retried: counters.retried,
          failed: counters.failed,
          ...(error ? { error } : {}),
        });
        await this.saveRun(info).catch((e: unknown) => this.deps.log.warn('ingest', `Could not save the summary of ${runId}`, e));
        this.deps.log.info(
          'ingest',
          `Run ${runId} ${done.state}: ${counters.acknowledged} acknowledged, ${counters.retried} retried, ${counters.failed} failed${error ? `: ${error}` : ''}`,
        );
        const seconds = counters.elapsedMs / 1000;
        summary = {
          ...counters,
          state: done.state,
          averageRecordsPerSecond: seconds > 0 ? Math.round(counters.acknowledged / seconds) : 0,
          averageMibPerSecond: seconds > 0 ? Number((counters.bytesAcknowledged / 2 ** 20 / seconds).toFixed(3)) : 0,
          skipped: replay?.skipped ?? 0,
          ...(error ? { error } : {}),
        };
      }
      yield { kind: 'done', summary: summary! };
    } finally {
      replay?.close();
      await ledger?.close().catch(() => undefined);
      kinesis.destroy();
    }
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
