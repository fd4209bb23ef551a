import type { ConnectionSpec, ProvisionChunk, ResourceRef, SavedConnectionRef } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/node/log.js';
import { sleep } from '../../../shared/node/sleep.js';
import type { AwsScope } from '../aws/clients.js';
import { ProvisionError } from '../aws/errors.js';
import type { WarehouseLogin } from './ports.js';

type StepChunk = Extract<ProvisionChunk, { kind: 'step' }>;

/** What one resource module needs while it creates, waits and deletes. */
export interface RunContext {
  /** The environment's AWS: every client a resource module uses comes from it. */
  scope: AwsScope;
  signal: AbortSignal;
  log: Logger;
  dataDir: string;
  /** Milliseconds since the run started. */
  elapsed(): number;
  /** Records a resource as created, before anything else happens, so a failure leaves nothing untracked. */
  created(ref: ResourceRef, extra?: { keep?: boolean; keyFile?: string }): Promise<void>;
  /** Remembers a key pair's private key file for SSH sessions to its clusters. */
  rememberKeyFile(keyName: string, file: string): Promise<void>;
  /** Saves a SQL connection (a password goes to the secret store, never back out). */
  saveConnection(input: { name: string; spec: ConnectionSpec }): Promise<SavedConnectionRef>;
  /** A saved Redshift connection's login, its password from the secret store (see RedshiftLogins). */
  redshiftLogin(connectionId: string): Promise<WarehouseLogin>;
  /** The account id (STS), for the ARNs a resource names; undefined when STS does not answer. */
  accountId(): Promise<string | undefined>;
  /** How often a wait polls: quick on the sandbox, gentle on AWS. */
  pace: { firstMs: number; maxMs: number };
}

/** What a resource module returns once its resource is usable. */
export interface Created {
  resource: ResourceRef;
  notes: string[];
  connections: SavedConnectionRef[];
  keyFile?: string;
}

export function step(
  ctx: RunContext,
  name: string,
  state: StepChunk['state'],
  message: string,
  extra: { resource?: ResourceRef; awsState?: string } = {},
): StepChunk {
  return { kind: 'step', step: name, state, elapsedMs: ctx.elapsed(), message, ...extra };
}

/**
 * The pace of one wait: the first pause, then ×1.5 up to the cap. A cancel
 * ends a pause at once, as a CANCELLED failure of the run.
 */
function backoff(ctx: RunContext, timeoutMs: number) {
  const start = Date.now();
  let delay = ctx.pace.firstMs;
  return {
    overdue: () => Date.now() - start > timeoutMs,
    async pause(): Promise<void> {
      await sleep(delay, ctx.signal);
      if (ctx.signal.aborted) throw new AppError('CANCELLED', 'Cancelled');
      delay = Math.min(ctx.pace.maxMs, Math.round(delay * 1.5));
    },
  };
}

export interface Probe {
  /** AWS's own word for the state. */
  state: string;
  ready: boolean;
  /** Set when the resource will never become ready (e.g. TERMINATED_WITH_ERRORS), with AWS's reason. */
  failed?: string;
}

/**
 * Polls until the resource is usable, with backoff, yielding a `waiting` step
 * each time AWS's state changes and at least every 15 s so the elapsed time moves.
 */
export async function* waitUntil(
  ctx: RunContext,
  name: string,
  resource: ResourceRef,
  probe: () => Promise<Probe>,
  timeoutMs: number,
): AsyncGenerator<StepChunk, Probe> {
  const pace = backoff(ctx, timeoutMs);
  let last = '';
  let lastYield = 0;
  for (;;) {
    const seen = await probe();
    if (seen.failed) throw new ProvisionError({ reason: 'failed', message: seen.failed, awsCode: seen.state });
    if (seen.ready) return seen;
    if (seen.state !== last || Date.now() - lastYield > 15_000) {
      yield step(ctx, name, 'waiting', `${resource.name} is ${seen.state}`, { resource, awsState: seen.state });
      last = seen.state;
      lastYield = Date.now();
    }
    if (pace.overdue()) {
      throw new ProvisionError({
        reason: 'timeout',
        message: `${resource.name} was still ${seen.state} after ${Math.round(timeoutMs / 60_000)} minutes; it may still become ready: check it in the inventory.`,
      });
    }
    await pace.pause();
  }
}

/** Polls until `gone` says the resource has gone away (deletion), with the same backoff. */
export async function* waitGone(
  ctx: RunContext,
  name: string,
  what: string,
  probe: () => Promise<string | undefined>,
  timeoutMs: number,
): AsyncGenerator<{ state: string; elapsedMs: number; message: string }, void> {
  const pace = backoff(ctx, timeoutMs);
  let last = '';
  for (;;) {
    const state = await probe();
    if (state === undefined) return;
    if (state !== last) {
      yield { state, elapsedMs: ctx.elapsed(), message: `${what} is ${state}` };
      last = state;
    }
    if (pace.overdue())
      throw new ProvisionError({
        reason: 'timeout',
        message: `${what} was still ${state} after ${Math.round(timeoutMs / 60_000)} minutes (${name}).`,
      });
    await pace.pause();
  }
}
