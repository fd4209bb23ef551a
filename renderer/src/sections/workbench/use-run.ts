import { useCallback, useState } from 'react';
import type { RunChunk, TextPosition } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import type { RpcClient } from '../../../../shared/rpc-client';
import { useClient } from '../../bridge/client-context';
import { useStreamAction } from '../../bridge/hooks';
import { resultReader, type ResultState } from './result-source';

export interface StatementState {
  index: number;
  sql: string;
  start: TextPosition;
  status: 'running' | 'done' | 'error' | 'cancelled';
  command?: string;
  rowsAffected?: number;
  durationMs?: number;
  error?: { message: string; code?: string; at?: TextPosition };
  notices: { level: string; message: string }[];
  result?: ResultState;
}

/** What one run's chunks have told so far. */
interface RunProgress {
  statements: StatementState[];
  /** The statement whose result the pane shows: the last one with rows, unless the operator picked another. */
  shown?: number;
  /** A failure before any statement ran (no connection, nothing to run…). */
  failure?: string;
  /** The connection the run went to (the picker may have moved on since). */
  connectionId?: string;
}

export interface RunState extends RunProgress {
  running: boolean;
  /** Runs finished so far, so history can follow. */
  finished: number;
}

/** Folds one chunk of a run into its statements; the run's reader for each result comes from `client`. */
function applyChunk(run: RunProgress, chunk: RunChunk, client: RpcClient): RunProgress {
  const statements = [...run.statements];
  const at = (index: number) => statements[index];
  const update = (index: number, patch: Partial<StatementState>) => {
    const current = at(index);
    if (current) statements[index] = { ...current, ...patch };
  };
  let shown = run.shown;
  switch (chunk.kind) {
    case 'statement':
      statements[chunk.index] = { index: chunk.index, sql: chunk.sql, start: chunk.start, status: 'running', notices: [] };
      break;
    case 'result':
      update(chunk.index, {
        result: {
          resultId: chunk.resultId,
          columns: chunk.columns,
          total: chunk.rows.length,
          complete: false,
          firstRows: chunk.rows,
          reader: resultReader(client, chunk.resultId),
        },
      });
      shown = chunk.index;
      break;
    case 'progress': {
      const owner = statements.find((s) => s.result?.resultId === chunk.resultId);
      if (owner?.result) update(owner.index, { result: { ...owner.result, total: chunk.rows } });
      break;
    }
    case 'notice':
      update(chunk.index, { notices: [...(at(chunk.index)?.notices ?? []), { level: chunk.level, message: chunk.message }] });
      break;
    case 'done': {
      const result = at(chunk.index)?.result;
      update(chunk.index, {
        status: 'done',
        command: chunk.command,
        durationMs: chunk.durationMs,
        ...(chunk.rowsAffected !== undefined ? { rowsAffected: chunk.rowsAffected } : {}),
        ...(result ? { result: { ...result, total: chunk.rows ?? result.total, complete: true } } : {}),
      });
      break;
    }
    case 'error':
      update(chunk.index, {
        status: 'error',
        error: { message: chunk.message, ...(chunk.code ? { code: chunk.code } : {}), ...(chunk.at ? { at: chunk.at } : {}) },
      });
      shown = shown ?? chunk.index;
      break;
  }
  return { ...run, statements, ...(shown !== undefined ? { shown } : {}) };
}

/** A run that ended by a cancel or a failure: what was still running says so, or the run itself failed before any statement. */
function settleRun(run: RunProgress, failure: AppError | undefined): RunProgress {
  if (!failure) return run;
  const cancelled = failure.code === 'CANCELLED';
  return {
    ...run,
    statements: run.statements.map((s) =>
      s.status === 'running'
        ? { ...s, status: cancelled ? 'cancelled' : 'error', ...(cancelled ? {} : { error: { message: failure.message } }) }
        : s,
    ),
    ...(run.statements.length === 0 && !cancelled ? { failure: failure.message } : {}),
  };
}

const NOT_RUN: RunProgress = { statements: [] };

/**
 * One run at a time per editor: its statements, their results and errors, and cancel. A run goes on when
 * the operator leaves the Workbench, as a query in psql goes on while its terminal is hidden.
 */
export function useRun(onError: (at: TextPosition, message: string) => void) {
  const client = useClient();
  const [finished, setFinished] = useState(0);
  const action = useStreamAction<'queries.run', RunProgress>({
    reduce: (run, chunk) => {
      if (chunk.kind === 'error' && chunk.at) onError(chunk.at, chunk.message);
      return applyChunk(run, chunk, client);
    },
    settle: settleRun,
    onSettled: () => setFinished((n) => n + 1),
    onUnmount: 'continue',
    whileRunning: 'ignore',
  });
  const { start: startAction, cancel, update } = action;

  const start = useCallback(
    (input: { connectionId: string; sql: string; origin: TextPosition; maxRows?: number }) =>
      startAction('queries.run', input, { ...NOT_RUN, connectionId: input.connectionId }),
    [startAction],
  );
  const show = useCallback((index: number) => update((run) => ({ ...run, shown: index })), [update]);
  const run: RunState = { ...(action.state ?? NOT_RUN), running: action.running, finished };
  return { run, start, cancel, show };
}
