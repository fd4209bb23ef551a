import { useCallback, useRef, useState } from 'react';
import type { RunChunk, TextPosition } from '../../../../shared/contract';
import type { StreamHandle } from '../../../../shared/rpc-client';
import { useClient } from '../../bridge/client-context';
import { toAppError } from '../../bridge/hooks';
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

export interface RunState {
  running: boolean;
  statements: StatementState[];
  /** The statement whose result the pane shows: the last one with rows, unless the operator picked another. */
  shown?: number;
  /** A failure before any statement ran (no connection, nothing to run…). */
  failure?: string;
  /** Runs finished so far, so history can follow. */
  finished: number;
}

const initial: RunState = { running: false, statements: [], finished: 0 };

/** One run at a time per editor: its statements, their results and errors, and cancel. */
export function useRun(onError: (at: TextPosition, message: string) => void) {
  const client = useClient();
  const [state, setState] = useState<RunState>(initial);
  const handle = useRef<StreamHandle | undefined>(undefined);

  const apply = useCallback(
    (chunk: RunChunk) =>
      setState((run) => {
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
      }),
    [client],
  );

  const start = useCallback(
    (input: { connectionId: string; sql: string; origin: TextPosition; maxRows?: number }) => {
      if (handle.current) return;
      setState((run) => ({ running: true, statements: [], finished: run.finished }));
      const stream = client.stream('queries.run', input, {
        onChunk: (chunk) => {
          apply(chunk);
          if (chunk.kind === 'error' && chunk.at) onError(chunk.at, chunk.message);
        },
      });
      handle.current = stream;
      stream.done
        .catch((error: unknown) => {
          const appError = toAppError(error);
          setState((run) => ({
            ...run,
            statements: run.statements.map((s) =>
              s.status === 'running'
                ? {
                    ...s,
                    status: appError.code === 'CANCELLED' ? 'cancelled' : 'error',
                    ...(appError.code === 'CANCELLED' ? {} : { error: { message: appError.message } }),
                  }
                : s,
            ),
            ...(run.statements.length === 0 && appError.code !== 'CANCELLED' ? { failure: appError.message } : {}),
          }));
        })
        .finally(() => {
          handle.current = undefined;
          setState((run) => ({ ...run, running: false, finished: run.finished + 1 }));
        });
    },
    [apply, client, onError],
  );

  const cancel = useCallback(() => handle.current?.cancel(), []);
  const show = useCallback((index: number) => setState((run) => ({ ...run, shown: index })), []);
  return { run: state, start, cancel, show };
}
