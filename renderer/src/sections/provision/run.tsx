import { useCallback } from 'react';
import type { ProvisionChunk, ProvisionFailure, ResourceRef, SavedConnectionRef } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useStreamAction } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDuration } from './format';
import { useNow } from './visibility';

type StepChunk = Extract<ProvisionChunk, { kind: 'step' }>;

export interface RunState {
  status: 'running' | 'done' | 'failed' | 'error' | 'cancelled';
  startedAt: number;
  endedAt?: number;
  runId?: string;
  /** What the run will create, as the core described it. */
  plan: string[];
  /** Steps in the order first seen; the same step of two resources (EMR and Redshift both create-cluster) are two entries. */
  steps: StepChunk[];
  /** AWS's own state last reported (ACTIVE, WAITING, available…). */
  awsState?: string;
  elapsedMs?: number;
  resources: ResourceRef[];
  connections: SavedConnectionRef[];
  keyFile?: string;
  notes: string[];
  failure?: ProvisionFailure;
  halfCreated: ResourceRef[];
  error?: AppError;
}

type Start =
  | { op: 'provision.create'; input: { spec: never } }
  | { op: 'provision.pipeline'; input: { spec: never } }
  | { op: 'provision.cleanup'; input: { runId: string } };
type RunOp = Start['op'];

function runStep(state: RunState, chunk: ProvisionChunk): RunState {
  switch (chunk.kind) {
    case 'started':
      return { ...state, runId: chunk.runId, plan: chunk.plan };
    case 'step':
      return {
        ...state,
        steps: mergeStep(state.steps, chunk),
        awsState: chunk.awsState ?? state.awsState,
        elapsedMs: chunk.elapsedMs,
        resources:
          chunk.resource && !state.resources.some((r) => r.type === chunk.resource!.type && r.id === chunk.resource!.id)
            ? [...state.resources, chunk.resource]
            : state.resources,
      };
    case 'done':
      return {
        ...state,
        status: 'done',
        endedAt: Date.now(),
        runId: chunk.runId,
        elapsedMs: chunk.elapsedMs,
        resources: chunk.resources,
        connections: chunk.connections,
        keyFile: chunk.keyFile,
        notes: chunk.notes,
      };
    case 'failed':
      return {
        ...state,
        status: 'failed',
        endedAt: Date.now(),
        runId: chunk.runId,
        elapsedMs: chunk.elapsedMs,
        failure: chunk.failure,
        halfCreated: chunk.halfCreated,
      };
  }
}

function runSettled(state: RunState, error: AppError | undefined): RunState {
  if (state.status !== 'running') return state;
  if (!error) return { ...state, status: 'done', endedAt: Date.now() };
  return { ...state, status: error.code === 'CANCELLED' ? 'cancelled' : 'error', endedAt: Date.now(), error };
}

/** Follows one provisioning stream (create, pipeline or cleanup) into a RunState; cancelled when the component goes away. */
export function useProvisionRun(onSettled?: (run: RunState) => void): {
  run: RunState | undefined;
  start: (start: Start) => void;
  cancel: () => void;
} {
  const action = useStreamAction<RunOp, RunState>({
    reduce: runStep,
    settle: runSettled,
    ...(onSettled ? { onSettled: (run: RunState) => onSettled(run) } : {}),
  });
  const { start: startRun } = action;
  const start = useCallback(
    ({ op, input }: Start) =>
      startRun(op, input as never, {
        status: 'running',
        startedAt: Date.now(),
        plan: [],
        steps: [],
        resources: [],
        connections: [],
        notes: [],
        halfCreated: [],
      }),
    [startRun],
  );
  return { run: action.state, start, cancel: action.cancel };
}

const terminal = (state: StepChunk['state']) => state === 'done' || state === 'skipped' || state === 'failed';

/** Puts a step chunk on the entry it updates: the same step of the same resource, or the latest unfinished one of that name not yet tied to a resource. */
function mergeStep(steps: StepChunk[], chunk: StepChunk): StepChunk[] {
  let at = chunk.resource
    ? steps.findIndex((s) => s.step === chunk.step && s.resource?.id === chunk.resource!.id && s.resource.type === chunk.resource!.type)
    : -1;
  if (at < 0) {
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i]!;
      if (s.step === chunk.step && !terminal(s.state) && (!s.resource || !chunk.resource)) {
        at = i;
        break;
      }
    }
  }
  if (at < 0) return [...steps, chunk];
  const next = steps.slice();
  next[at] = { ...chunk, resource: chunk.resource ?? steps[at]!.resource };
  return next;
}

const stateLabel: Record<StepChunk['state'], string> = {
  running: 'Running',
  waiting: 'Waiting',
  done: 'Done',
  skipped: 'Skipped',
  failed: 'Failed',
};

/** A run's step list, elapsed time and outcome; a failed create or pipeline offers to clean up what it created. */
export function RunView({
  run,
  label,
  onCancel,
  allowCleanup = true,
  onCleanedUp,
}: {
  run: RunState;
  label: string;
  onCancel?: () => void;
  allowCleanup?: boolean;
  onCleanedUp?: () => void;
}) {
  const now = useNow(run.status === 'running');
  const elapsed = (run.endedAt ?? now) - run.startedAt;
  const cleanup = useProvisionRun(onCleanedUp ? () => onCleanedUp() : undefined);
  const canCleanUp =
    allowCleanup && (run.status === 'failed' || run.status === 'cancelled' || run.status === 'error') && run.runId !== undefined;

  return (
    <section className="run" aria-label={label}>
      <div className="run-head">
        <strong>
          {run.status === 'running'
            ? 'In progress'
            : run.status === 'done'
              ? 'Finished'
              : run.status === 'cancelled'
                ? 'Cancelled'
                : 'Failed'}
        </strong>
        <span role="timer" aria-label="Elapsed time">
          {formatDuration(elapsed)}
        </span>
        {run.awsState && run.resources.length <= 1 && (
          <span>
            AWS state: <code>{run.awsState}</code>
          </span>
        )}
        {run.status === 'running' && onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {run.plan.length > 0 && (
        <ul className="plan" aria-label="Plan">
          {run.plan.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
      )}
      <ol className="steps" aria-label="Steps">
        {run.steps.map((step, i) => (
          <li key={i} data-state={step.state}>
            <span className="step-state">{stateLabel[step.state]}</span> <span className="step-name">{step.step}</span>
            {step.resource && <span className="muted"> ({step.resource.name})</span>}
            {step.message && <span className="muted"> — {step.message}</span>}
            {step.awsState && (
              <span>
                {' '}
                (<code>{step.awsState}</code>)
              </span>
            )}
            {terminal(step.state) && <span className="muted"> · at {formatDuration(step.elapsedMs)}</span>}
          </li>
        ))}
      </ol>
      <div role="status" aria-label="Outcome">
        {run.status === 'done' && (
          <p className="outcome ok">
            Ready{run.awsState && run.resources.length <= 1 ? ` (${run.awsState})` : ''} after {formatDuration(run.elapsedMs ?? elapsed)}:{' '}
            {run.resources.map((r) => `${r.name}${r.id !== r.name ? ` (${r.id})` : ''}`).join(', ') || 'nothing to create'}.
          </p>
        )}
        {run.status === 'failed' && run.failure && (
          <div className="error">
            <strong>Failed after {formatDuration(run.elapsedMs ?? elapsed)}</strong>
            <p>
              {run.failure.message}
              {run.failure.awsCode && (
                <>
                  {' '}
                  <span className="muted">
                    (AWS: <code>{run.failure.awsCode}</code>
                    {run.failure.action ? ` on ${run.failure.action}` : ''})
                  </span>
                </>
              )}
            </p>
            {run.halfCreated.length > 0 ? (
              <p>Half-created: {run.halfCreated.map((r) => `${r.type} ${r.name}`).join(', ')}.</p>
            ) : (
              <p className="muted">Nothing was left behind.</p>
            )}
          </div>
        )}
      </div>
      {run.status === 'error' && <ErrorMessage error={run.error} />}
      {run.status === 'done' && (run.connections.length > 0 || run.keyFile || run.notes.length > 0) && (
        <ul className="plain" aria-label="What was saved">
          {run.connections.map((c) => (
            <li key={c.id}>
              Saved connection <strong>{c.name}</strong> ({c.engine}), reached {c.route}.
            </li>
          ))}
          {run.keyFile && (
            <li>
              Private key saved to <code>{run.keyFile}</code> (readable by you only).
            </li>
          )}
          {run.notes.map((note, i) => (
            <li key={i} className="muted">
              {note}
            </li>
          ))}
        </ul>
      )}
      {canCleanUp && (run.halfCreated.length > 0 || run.status !== 'failed') && (
        <button
          type="button"
          disabled={cleanup.run?.status === 'running'}
          onClick={() => cleanup.start({ op: 'provision.cleanup', input: { runId: run.runId! } })}
        >
          Clean up what was created
        </button>
      )}
      {cleanup.run && <RunView run={cleanup.run} label="Clean-up progress" allowCleanup={false} />}
    </section>
  );
}
