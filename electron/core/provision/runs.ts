import type { PipelineSpec, ProvisionChunk, ResourceRef, ResourceSpec } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { explainAwsError, ProvisionError } from '../aws/errors.js';
import { step, type Created, type RunContext } from './context.js';
import * as emr from './emr.js';
import * as kinesis from './kinesis.js';
import type { LedgerRun } from './ledger.js';
import { newestRelease } from './options.js';
import { derive, describeSpec } from './preview.js';
import type { Provisioning } from './provisioning.js';
import * as redshift from './redshift.js';
import { createOne, deleteOne } from './resources.js';
import * as s3 from './s3.js';

/** Cleanup deletes in this order, so nothing is deleted while something still uses it. */
// A Firehose stream goes first: it writes to the bucket and reads the stream.
const CLEANUP_ORDER: ResourceRef['type'][] = [
  'firehose-stream',
  'redshift-workgroup',
  'redshift-namespace',
  'redshift-cluster',
  'emr-cluster',
  's3-bucket',
  'kinesis-stream',
  'iam-role',
  'ec2-key-pair',
];

/**
 * The runs that create (one resource, or the pipeline from one prefix) and the
 * cleanup of a run. Every resource is written to the ledger the moment AWS
 * accepts it, so a failure or a cancel half-way leaves nothing untracked.
 */
export class ProvisionRuns {
  constructor(private readonly base: Provisioning) {}

  create(spec: ResourceSpec, signal: AbortSignal): AsyncGenerator<ProvisionChunk> {
    return this.run(spec.kind, spec.pipeline, [describeSpec(spec)], signal, async function* (ctx) {
      return [yield* createOne(spec, ctx)];
    });
  }

  async *pipeline(spec: PipelineSpec, signal: AbortSignal): AsyncGenerator<ProvisionChunk> {
    const scope = await this.base.aws();
    const accountId = await this.base.accountId(scope, signal);
    const release = await newestRelease(scope, signal).catch(() => undefined);
    const specs = derive(spec, scope.region, {
      sandbox: scope.sandbox,
      ...(accountId ? { accountId } : {}),
      ...(release ? { releaseLabel: release.newest } : {}),
    });
    const plan = [specs.kinesis, specs.s3, specs.emr, specs.redshift].map(describeSpec);
    yield* this.run('pipeline', spec.prefix, plan, signal, async function* (ctx) {
      const stream = yield* kinesis.createStream(specs.kinesis, ctx);
      const bucket = yield* s3.createBucket(specs.s3, ctx);
      // EMR (its logs on the bucket) and Redshift (its COPY role on the bucket) are independent: both are waited for at once.
      const [cluster, warehouse] = yield* together(emr.createCluster(specs.emr, ctx), redshift.createWarehouse(specs.redshift, ctx));
      if (!ctx.scope.sandbox)
        warehouse.notes.push(
          `Open an SSH session to ${specs.emr.name}'s master under Sessions: it carries the Spark SQL tunnel (10001) and a tunnel to ${specs.redshift.identifier}.`,
        );
      return [stream, bucket, cluster, warehouse];
    });
  }

  async *cleanup(runId: string, signal: AbortSignal): AsyncGenerator<ProvisionChunk> {
    const { ledger } = this.base;
    const run = await ledger.run(runId);
    if (!run) throw new AppError('NOT_FOUND', `No provisioning run ${runId}`);
    const ctx = this.base.context(await this.base.aws(run.environmentId), signal);
    const targets = run.resources
      .filter((r) => r.status === 'created' && !r.keep)
      .sort((a, b) => CLEANUP_ORDER.indexOf(a.type) - CLEANUP_ORDER.indexOf(b.type));
    yield { kind: 'started', runId, environmentId: run.environmentId, plan: targets.map((r) => `Delete ${r.type} ${r.name}`) };
    const left: ResourceRef[] = [];
    let lastFailure: ProvisionError | undefined;
    for (const r of targets) {
      const resource = { type: r.type, id: r.id, name: r.name };
      yield step(ctx, `delete-${r.type}`, 'running', `Deleting ${r.type} ${r.name}`, { resource });
      try {
        for await (const seen of deleteOne(ctx, resource, undefined, r.keyFile))
          yield step(ctx, `delete-${r.type}`, 'waiting', seen.message, { resource, ...(seen.state ? { awsState: seen.state } : {}) });
        await ledger.deleted(r.type, r.id);
        yield step(ctx, `delete-${r.type}`, 'done', `Deleted ${r.name}`, { resource });
      } catch (error) {
        const explained = explainAwsError(error, `delete ${r.type}`, `deleting ${r.name}`);
        if (explained.failure.reason === 'not-found') {
          await ledger.deleted(r.type, r.id);
          yield step(ctx, `delete-${r.type}`, 'skipped', `${r.name} was already gone`, { resource });
          continue;
        }
        lastFailure = explained;
        left.push(resource);
        yield step(ctx, `delete-${r.type}`, 'failed', explained.message, { resource });
        if (signal.aborted) break;
      }
    }
    if (left.length && lastFailure) {
      yield { kind: 'failed', runId, elapsedMs: ctx.elapsed(), failure: lastFailure.failure, halfCreated: left };
      return;
    }
    await ledger.finish(runId, 'cleaned');
    yield {
      kind: 'done',
      runId,
      elapsedMs: ctx.elapsed(),
      resources: targets.map(({ type, id, name }) => ({ type, id, name })),
      connections: [],
      notes: run.resources.some((r) => r.keep) ? ['EMR’s default roles stay: other clusters use them.'] : [],
    };
  }

  /** One run: started, the body's steps, then done, or failed with AWS's reason and what it half-created. */
  private async *run(
    kind: LedgerRun['kind'],
    pipeline: string | undefined,
    plan: string[],
    signal: AbortSignal,
    body: (ctx: RunContext) => AsyncGenerator<ProvisionChunk, Created[]>,
  ): AsyncGenerator<ProvisionChunk> {
    const { ledger, log } = this.base;
    const scope = await this.base.aws();
    const run = await ledger.start({
      environmentId: scope.environment.id,
      region: scope.region,
      kind,
      ...(pipeline ? { pipeline } : {}),
    });
    const ctx = this.base.context(scope, signal, run.id);
    yield { kind: 'started', runId: run.id, environmentId: scope.environment.id, plan };
    try {
      const created = yield* body(ctx);
      await ledger.finish(run.id, 'done');
      const keyFile = created.find((c) => c.keyFile)?.keyFile;
      yield {
        kind: 'done',
        runId: run.id,
        elapsedMs: ctx.elapsed(),
        resources: created.map((c) => c.resource),
        connections: created.flatMap((c) => c.connections),
        notes: created.flatMap((c) => c.notes),
        ...(keyFile ? { keyFile } : {}),
      };
    } catch (error) {
      const failure = (error instanceof ProvisionError ? error : explainAwsError(error, kind, `provisioning ${kind}`)).failure;
      const reason = signal.aborted ? { ...failure, reason: 'cancelled' as const, message: `Cancelled: ${failure.message}` } : failure;
      log.warn('provision', `Run ${run.id} failed: ${reason.message}`);
      await ledger.finish(run.id, 'failed', reason.message);
      const halfCreated = ((await ledger.run(run.id))?.resources ?? [])
        .filter((r) => r.status === 'created' && !r.keep)
        .map(({ type, id, name }) => ({ type, id, name }));
      yield { kind: 'failed', runId: run.id, elapsedMs: ctx.elapsed(), failure: reason, halfCreated };
    }
  }
}

/**
 * Runs several creations at once, passing on their chunks as they come, and
 * returns their results in order once all have settled; the first failure is
 * thrown then, so what the others created is recorded too.
 */
async function* together<A, B>(
  a: AsyncGenerator<ProvisionChunk, A>,
  b: AsyncGenerator<ProvisionChunk, B>,
): AsyncGenerator<ProvisionChunk, [A, B]> {
  const gens = [a, b] as AsyncGenerator<ProvisionChunk, unknown>[];
  const results: unknown[] = [];
  const errors: unknown[] = [];
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<ProvisionChunk, unknown> } | { i: number; error: unknown }>>();
  const pull = (i: number) =>
    pending.set(
      i,
      gens[i]!.next().then(
        (r) => ({ i, r }),
        (error: unknown) => ({ i, error }),
      ),
    );
  gens.forEach((_, i) => pull(i));
  while (pending.size) {
    const next = await Promise.race(pending.values());
    pending.delete(next.i);
    if ('error' in next) errors[next.i] = next.error;
    else if (next.r.done) results[next.i] = next.r.value;
    else {
      yield next.r.value;
      pull(next.i);
    }
  }
  const failed = errors.find((e) => e !== undefined);
  if (failed !== undefined) throw failed;
  return results as [A, B];
}
