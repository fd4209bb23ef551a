import type {
  Cell,
  ColumnMeta,
  ConnectionInfo,
  ConnectionSpec,
  EngineInfo,
  RunChunk,
  TextPosition,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import { follow } from '../events.js';
import type { Logger } from '../../../shared/node/log.js';
import type { ResultRegistry } from '../results/registry.js';
import type { ResultSet } from '../results/result-set.js';
import { StatementError, type Engine, type StatementSink } from '../engines/engine.js';
import type { QueryHistory } from './history.js';
import type { SavedWork } from './saved.js';
import { inEditor, positionAt, splitStatements } from '../../../shared/sql/split.js';
import { maskValues, secretValues } from '../../../shared/node/redact.js';

/** Rows sent with the result's first chunk, so the grid shows them without asking. */
const FIRST_ROWS = 200;
const PROGRESS_EVERY_MS = 250;

/** Where the workbench gets a connection's engine: the saved and built-in connections, behind an interface. */
export interface EngineSource {
  /** The registered engines, as the connection form offers them. */
  engines(): EngineInfo[];
  engine(id: string, signal: AbortSignal): Promise<{ engine: Engine; info: ConnectionInfo }>;
  list(signal: AbortSignal): Promise<ConnectionInfo[]>;
  save(input: { id?: string; name: string; environmentId: string; spec: ConnectionSpec }): Promise<{ id: string; route: string }>;
  remove(id: string): Promise<void>;
  /** Closes open engines. */
  drop(): Promise<void>;
}

export interface WorkbenchDeps {
  connections: EngineSource;
  results: ResultRegistry;
  history: QueryHistory;
  saved: SavedWork;
  log: Logger;
}

interface RunInput {
  connectionId: string;
  sql: string;
  origin: TextPosition;
  maxRows?: number;
}

/**
 * Runs SQL on a connection's engine and streams what happens, statement by
 * statement; rows go to the result store, and the UI reads them back in
 * windows, so no result's size reaches the renderer's memory.
 */
export class WorkbenchService {
  private readonly busy = new Set<string>();

  constructor(private readonly deps: WorkbenchDeps) {}

  async *run(input: RunInput, signal: AbortSignal): AsyncGenerator<RunChunk> {
    const { engine, info } = await this.deps.connections.engine(input.connectionId, signal);
    const statements = splitStatements(input.sql, engine.dialect);
    if (statements.length === 0) throw new AppError('VALIDATION', 'Nothing to run: the text holds only comments.');
    if (this.busy.has(info.id)) throw new AppError('CONFLICT', `A statement is still running on ${info.name}; cancel it or wait for it.`);
    this.busy.add(info.id);

    const work = async (push: (chunk: RunChunk) => void) => {
      for (const [index, statement] of statements.entries()) {
        push({
          kind: 'statement',
          index,
          count: statements.length,
          // What ran, as history keeps it: the editor has the text itself, secrets and all.
          sql: this.deps.log.redact(statement.sql),
          start: inEditor(statement.start, input.origin),
          end: inEditor(statement.end, input.origin),
        });
        const started = Date.now();
        // Servers quote a statement's secrets back without their names: in errors, notices, and Spark's SET answer.
        const secrets = secretValues(statement.sql);
        const echoFree = (text: string) => this.deps.log.redact(maskValues(text, secrets));
        let result: ResultSet | undefined;
        let shown = false;
        let lastProgress = 0;
        const progress = (set: ResultSet) => push({ kind: 'progress', resultId: set.id, rows: set.total, bytes: set.bytes });
        const sink: StatementSink = {
          columns: (columns: ColumnMeta[]) => {
            result = this.deps.results.create(columns);
          },
          rows: async (rows: Cell[][]) => {
            const set = result!;
            const batch = secrets.length ? rows.map((row) => row.map((cell) => cell && maskValues(cell, secrets))) : rows;
            if (!shown) {
              shown = true;
              push({ kind: 'result', index, resultId: set.id, columns: set.columns, rows: batch.slice(0, FIRST_ROWS) });
            }
            await set.append(batch);
            if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
              lastProgress = Date.now();
              progress(set);
            }
          },
          notice: (level, message) => push({ kind: 'notice', index, level, message: echoFree(message) }),
        };
        try {
          const outcome = await engine.execute(statement.sql, sink, signal, input.maxRows);
          if (result) {
            await result.finish();
            if (!shown) push({ kind: 'result', index, resultId: result.id, columns: result.columns, rows: [] });
            progress(result);
          }
          const durationMs = Date.now() - started;
          push({
            kind: 'done',
            index,
            command: outcome.command,
            durationMs,
            ...(result ? { rows: result.total } : {}),
            ...(outcome.rowsAffected !== undefined ? { rowsAffected: outcome.rowsAffected } : {}),
          });
          await this.remember(info, statement.sql, started, {
            ...(result ? { rows: result.total } : {}),
            ...(outcome.rowsAffected !== undefined ? { rowsAffected: outcome.rowsAffected } : {}),
          });
        } catch (error) {
          await result?.finish().catch(() => undefined);
          const failure = describeFailure(error, input.sql, statement.offset, input.origin);
          failure.message = echoFree(failure.message);
          push({ kind: 'error', index, ...failure });
          await this.remember(info, statement.sql, started, { error: failure.message });
          // A script stops at its first failing statement, as psql -v ON_ERROR_STOP=1 does.
          return;
        }
      }
    };

    try {
      yield* follow<RunChunk>((push, end) => {
        void work(push)
          .catch((error: unknown) => this.deps.log.error('workbench', 'A run failed unexpectedly', error))
          .finally(() => {
            this.busy.delete(info.id);
            end();
          });
        return () => undefined;
      }, signal);
    } finally {
      // Cancelled: the engine is stopping the server's work; the connection is free once it has.
      if (signal.aborted) this.deps.log.info('workbench', `Run on ${info.name} cancelled`);
    }
  }

  private remember(
    info: { id: string; name: string },
    sql: string,
    started: number,
    outcome: { rows?: number; rowsAffected?: number; error?: string },
  ): Promise<void> {
    return this.deps.history
      .add({
        connectionId: info.id,
        connectionName: info.name,
        sql,
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        ...outcome,
      })
      .catch((error: unknown) => this.deps.log.warn('workbench', 'Could not write the query history', error));
  }

  handlers(): HandlerGroup {
    const { connections, history, saved } = this.deps;
    return {
      'connections.engines': () => connections.engines(),
      'connections.list': (_input, { signal }) => connections.list(signal),
      'connections.save': async (input, { signal }) => {
        await connections.save(input);
        return connections.list(signal);
      },
      'connections.remove': async ({ id }, { signal }) => {
        await connections.remove(id);
        return connections.list(signal);
      },
      'connections.test': async ({ id }, { signal }) => {
        const started = Date.now();
        const { engine } = await connections.engine(id, signal);
        const serverVersion = await engine.serverVersion(signal);
        return { serverVersion, latencyMs: Date.now() - started };
      },
      'connections.schema': async ({ id }, { signal }) => (await connections.engine(id, signal)).engine.schema(signal),
      'queries.run': (input, { signal }) => this.run(input, signal),
      'queries.history': (input) => history.list(input),
      'queries.clearHistory': async () => {
        await history.clear();
        return null;
      },
      'queries.saved': () => saved.list(),
      'queries.save': (input) => saved.save(input),
      'queries.forget': ({ id }) => saved.forget(id),
      'queries.tabs': () => saved.tabs(),
      'queries.saveTabs': async (input) => {
        await saved.saveTabs(input);
        return null;
      },
    };
  }

  dispose(): Promise<void> {
    return this.deps.connections.drop();
  }
}

function describeFailure(
  error: unknown,
  script: string,
  statementOffset: number,
  origin: TextPosition,
): { message: string; code?: string; at?: TextPosition } {
  if (error instanceof StatementError) {
    return {
      message: error.message,
      ...(error.code ? { code: error.code } : {}),
      ...(error.offset !== undefined ? { at: inEditor(positionAt(script, statementOffset + error.offset), origin) } : {}),
    };
  }
  if (error instanceof AppError) return { message: error.message, code: error.code };
  return { message: error instanceof Error ? error.message : String(error) };
}
