import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ChartSpec, EditorTab, EngineCapabilities, ExportProgress, SchemaTree, TextPosition } from '../../../shared/contract';
import type { AppError } from '../../../shared/errors';
import { useClient } from '../bridge/client-context';
import { toAppError, useAction, useCall, useStreamAction } from '../bridge/hooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { useFiles, type FileChoice } from '../components/FileField';
import { useSettings } from '../shell/settings-context';
import { ConnectionForm } from './workbench/ConnectionForm';
import { createSqlEditor, setCompletionSchema, type SqlEditor } from './workbench/monaco';
import { PlanTree } from './workbench/PlanTree';
import { RunCost } from './workbench/RunCost';
import { SidePanel } from './workbench/SidePanel';
import { UnloadForm } from './workbench/UnloadForm';
import { useRun, type StatementState } from './workbench/use-run';

// The grid and the charts are their own chunk, so the editor does not wait for them.
const loadResultsPane = () => import('./workbench/ResultsPane');
const ResultsPane = lazy(() => loadResultsPane().then((module) => ({ default: module.ResultsPane })));

const FIRST_TAB: EditorTab = {
  id: 't1',
  title: 'Query 1',
  sql: '-- Ctrl/Cmd+Enter runs the statement under the cursor; Shift+Ctrl/Cmd+Enter runs the script.\nSELECT current_user, version();\n',
};
const SAVE_TABS_AFTER_MS = 500;

export default function Workbench() {
  const client = useClient();
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<SqlEditor | null>(null);
  const { settings } = useSettings();
  const fontSize = settings?.editorFontSize ?? 13;
  const environments = useCall('environments.list', {});
  const connections = useCall('connections.list', {});
  const { error, act } = useAction();
  const [tabs, setTabs] = useState<EditorTab[]>();
  const [activeId, setActiveId] = useState<string>();
  const [adding, setAdding] = useState(false);
  const [maxRows, setMaxRows] = useState('');
  const [loadedSchema, setLoadedSchema] = useState<{ connectionId: string; tree: SchemaTree }>();
  const [schemaError, setSchemaError] = useState<AppError>();
  const [saves, setSaves] = useState(0);
  const [exportNote, setExportNote] = useState<string>();
  const files = useFiles();
  // An export goes on writing its file when the operator leaves the Workbench.
  const exporting = useStreamAction<'results.export', ExportProgress>({
    reduce: (_, progress) => progress,
    onSettled: (progress, failure) =>
      setExportNote(
        failure
          ? failure.code === 'CANCELLED'
            ? 'Export cancelled; the partial file was removed.'
            : failure.message
          : progress.kind === 'done'
            ? `Exported ${progress.rows.toLocaleString('en-US')} rows to ${progress.path}`
            : undefined,
      ),
    onUnmount: 'continue',
    whileRunning: 'ignore',
  });
  const [unloading, setUnloading] = useState(false);

  const active = tabs?.find((t) => t.id === activeId) ?? tabs?.[0];
  const connectionId = active?.connectionId ?? connections.data?.[0]?.id;
  const connection = connections.data?.find((c) => c.id === connectionId);
  const dialect = connection?.dialect ?? 'redshift';
  // What the connection's engine offers; with no connection chosen yet, the toolbar shows every button, as it always has.
  const can = (capability: keyof EngineCapabilities) => connection?.capabilities[capability] ?? true;

  const markError = useCallback((at: TextPosition, message: string) => editor.current?.markError(at, message), []);
  const { run, start, cancel, show } = useRun(markError);
  const schema = loadedSchema && loadedSchema.connectionId === connectionId ? loadedSchema.tree : undefined;
  useEffect(() => setCompletionSchema(schema), [schema]);

  // Tabs come back as they were left; every edit is saved shortly after typing stops.
  useEffect(() => {
    void client.call('queries.tabs', {}).then(
      (saved) => {
        setTabs(saved.tabs.length ? saved.tabs : [FIRST_TAB]);
        setActiveId(saved.activeId ?? saved.tabs[0]?.id ?? FIRST_TAB.id);
      },
      () => setTabs([FIRST_TAB]),
    );
  }, [client]);
  useEffect(() => {
    if (!tabs) return;
    const timer = setTimeout(
      () => void client.call('queries.saveTabs', { tabs, ...(activeId ? { activeId } : {}) }).catch(() => undefined),
      SAVE_TABS_AFTER_MS,
    );
    return () => clearTimeout(timer);
  }, [client, tabs, activeId]);

  const updateActive = useCallback(
    (patch: Partial<EditorTab>) => setTabs((all) => all?.map((t) => (t.id === (activeId ?? all[0]?.id) ? { ...t, ...patch } : t))),
    [activeId],
  );

  const ready = tabs !== undefined;
  useEffect(() => {
    if (!host.current || !ready) return;
    const created = createSqlEditor(host.current, '');
    editor.current = created;
    return () => {
      created.dispose();
      editor.current = null;
    };
  }, [ready]);
  // Fetched once the editor is up, so a first result does not wait for the grid's code either.
  useEffect(() => {
    if (ready) void loadResultsPane();
  }, [ready]);
  // The one editor shows the active tab's text; switching tabs swaps it.
  useEffect(() => {
    if (active) editor.current?.setText(active.sql);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the tab changes, not on each keystroke
  }, [active?.id, ready]);
  useEffect(() => editor.current?.onChange((sql) => updateActive({ sql })), [updateActive, ready]);
  useEffect(() => editor.current?.setDialect(dialect), [dialect, ready]);
  useEffect(() => editor.current?.setFontSize(fontSize), [fontSize, ready]);

  const loadSchema = useCallback(() => {
    if (!connectionId) return;
    setSchemaError(undefined);
    client.call('connections.schema', { id: connectionId }).then(
      (tree) => setLoadedSchema({ connectionId, tree }),
      (e: unknown) => setSchemaError(toAppError(e)),
    );
  }, [client, connectionId]);

  const execute = useCallback(
    (mode: 'statement' | 'script', wrap?: (sql: string) => string) => {
      const target = editor.current?.runTarget(mode);
      if (!target || !connectionId) return;
      editor.current?.clearMarks();
      // The note is about the result this run replaces.
      setExportNote(undefined);
      const limit = Number(maxRows);
      start({ connectionId, sql: wrap ? wrap(target.sql) : target.sql, origin: target.origin, ...(limit > 0 ? { maxRows: limit } : {}) });
    },
    [connectionId, maxRows, start],
  );
  useEffect(() => editor.current?.onRun((mode) => execute(mode)), [execute, ready]);

  const newTab = (sql = '', title?: string) => {
    const id = `t${Date.now().toString(36)}`;
    setTabs((all) => [
      ...(all ?? []),
      { id, title: title ?? `Query ${(all?.length ?? 0) + 1}`, sql, ...(connectionId ? { connectionId } : {}) },
    ]);
    setActiveId(id);
  };
  const closeTab = (id: string) =>
    setTabs((all) => {
      const rest = (all ?? []).filter((t) => t.id !== id);
      if (id === activeId) setActiveId(rest[0]?.id);
      return rest.length ? rest : [FIRST_TAB];
    });

  const shown: StatementState | undefined = run.shown !== undefined ? run.statements[run.shown] : undefined;
  const result = shown?.result;
  const source = useMemo(
    () =>
      result
        ? {
            columns: result.columns,
            total: result.total,
            complete: result.complete,
            firstRows: result.firstRows,
            fetch: result.reader.fetch,
            setView: result.reader.setView,
          }
        : undefined,
    [result],
  );

  const exportResult = async (format: 'csv' | 'jsonl' | 'parquet') => {
    // A second export while one runs keeps the note and the running one as they are.
    if (!result || exporting.running) return;
    setExportNote(undefined);
    // The desktop app asks where in its own dialog (which asks before replacing); the web host writes into the workspace.
    let file: FileChoice | null | undefined;
    if (files.naming?.kind === 'dialog') {
      try {
        file = await files.choose({
          purpose: 'save',
          title: 'Export the whole result',
          suggestedName: `tributary-${result.resultId}.${format}`,
        });
      } catch (caught) {
        setExportNote(toAppError(caught).message);
        return;
      }
      if (!file) return;
    }
    exporting.start(
      'results.export',
      { resultId: result.resultId, format, ...(file ? { path: file.ref } : {}) },
      { kind: 'progress', path: '', rows: 0, total: result.total, bytes: 0 },
    );
  };

  const environmentId = environments.data?.activeId ?? 'sandbox';
  return (
    <section aria-label="SQL workbench" className="workbench">
      <div className="toolbar" role="toolbar" aria-label="Editor">
        <label>
          Connection{' '}
          <select aria-label="Connection" value={connectionId ?? ''} onChange={(e) => updateActive({ connectionId: e.target.value })}>
            {(connections.data ?? []).map((c) => (
              <option key={c.id} value={c.id} title={c.target}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => connections.reload()} title="Look again for connections (e.g. a new EMR cluster)">
          ↻
        </button>
        <button type="button" onClick={() => setAdding(true)}>
          New connection
        </button>
        <button type="button" onClick={() => execute('statement')} disabled={run.running || !connectionId} title="Ctrl/Cmd+Enter">
          Run
        </button>
        <button type="button" onClick={() => execute('script')} disabled={run.running || !connectionId} title="Shift+Ctrl/Cmd+Enter">
          Run script
        </button>
        {can('cancel') && (
          <button type="button" onClick={cancel} disabled={!run.running}>
            Cancel
          </button>
        )}
        {can('explain') && (
          <button type="button" onClick={() => execute('statement', (sql) => `EXPLAIN ${sql}`)} disabled={run.running || !connectionId}>
            Explain
          </button>
        )}
        <button type="button" onClick={() => editor.current?.formatText()}>
          Format
        </button>
        <label title="Stop reading after this many rows (optional)">
          Row limit{' '}
          <input
            aria-label="Row limit"
            inputMode="numeric"
            size={8}
            value={maxRows}
            onChange={(e) => setMaxRows(e.target.value.replace(/\D/g, ''))}
            placeholder="none"
          />
        </label>
        <button
          type="button"
          onClick={() =>
            void act(async () => {
              if (!active) return;
              await client.call('queries.save', {
                name: active.title,
                sql: active.sql,
                ...(connectionId ? { connectionId } : {}),
                ...(active.chart ? { chart: active.chart } : {}),
              });
              setSaves((n) => n + 1);
            })
          }
        >
          Save query
        </button>
      </div>
      <ErrorMessage error={error ?? connections.error} />
      {adding && (
        <ConnectionForm
          environmentId={environmentId}
          onSaved={(list) => {
            connections.set(list);
            setAdding(false);
          }}
          onClose={() => setAdding(false)}
        />
      )}
      <div className="workbench-body">
        <SidePanel
          connectionId={connectionId}
          schema={schema}
          schemaError={schemaError}
          onReloadSchema={loadSchema}
          onOpen={(sql, title) => newTab(sql, title)}
          runs={run.finished + saves}
        />
        <div className="workbench-main">
          <div className="editor-tabs" role="tablist" aria-label="Editor tabs">
            {(tabs ?? []).map((t) => (
              <span key={t.id} className="editor-tab" data-active={t.id === active?.id}>
                <button
                  role="tab"
                  aria-selected={t.id === active?.id}
                  onClick={() => setActiveId(t.id)}
                  onDoubleClick={() => {
                    const title = window.prompt('Tab name', t.title)?.trim();
                    if (title) setTabs((all) => all?.map((x) => (x.id === t.id ? { ...x, title: title.slice(0, 100) } : x)));
                  }}
                >
                  {t.title}
                </button>
                <button type="button" className="link" aria-label={`Close ${t.title}`} onClick={() => closeTab(t.id)}>
                  ×
                </button>
              </span>
            ))}
            <button type="button" className="link" onClick={() => newTab()} aria-label="New tab">
              +
            </button>
          </div>
          <div ref={host} className="editor" role="region" aria-label="SQL text" />
          <RunLog
            statements={run.statements}
            running={run.running}
            failure={run.failure}
            shown={run.shown}
            onShow={show}
            {...(run.connectionId && connections.data?.find((c) => c.id === run.connectionId)?.dialect === 'redshift'
              ? { costOn: run.connectionId }
              : {})}
          />
          {shown && result && /^\s*EXPLAIN\b/i.test(shown.sql) && <PlanTree reader={result.reader} complete={result.complete} />}
          {source && result && (
            <Suspense fallback={<p role="status">Loading the results view…</p>}>
              <ResultsPane
                key={result.resultId}
                source={source}
                chart={active?.chart}
                onChartChange={(chart: ChartSpec) => updateActive({ chart })}
                onExport={(format) => void exportResult(format)}
                {...(exporting.running && exporting.state
                  ? {
                      exportProgress: { rows: exporting.state.rows, total: exporting.state.total, path: exporting.state.path },
                      onCancelExport: exporting.cancel,
                    }
                  : {})}
              />
            </Suspense>
          )}
          {result && shown && can('unload') && run.statements.length > 0 && !run.running && (
            <button type="button" className="link" onClick={() => setUnloading((open) => !open)}>
              Unload this result to S3 instead…
            </button>
          )}
          {unloading && shown && connectionId && (
            <UnloadForm
              query={shown.sql}
              onRun={(sql) => {
                setUnloading(false);
                start({ connectionId, sql, origin: shown.start });
              }}
              onClose={() => setUnloading(false)}
            />
          )}
          {exportNote && (
            <p className="muted" role="status">
              {exportNote}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}

/** What each statement of the last run did: command, rows, time, notices, or the error. */
function RunLog({
  statements,
  running,
  failure,
  shown,
  onShow,
  costOn,
}: {
  statements: StatementState[];
  running: boolean;
  failure: string | undefined;
  shown: number | undefined;
  onShow: (index: number) => void;
  /** The Redshift connection whose price each finished statement is costed at. */
  costOn?: string;
}) {
  if (!statements.length && !failure) return running ? <p role="status">Running…</p> : null;
  return (
    <div className="run-log" role="log" aria-label="Run messages">
      {failure && (
        <div className="error" role="alert">
          {failure}
        </div>
      )}
      <ol className="plain">
        {statements.map((s) => (
          <li key={s.index} data-status={s.status} data-shown={s.index === shown}>
            <button type="button" className="link" onClick={() => onShow(s.index)} disabled={!s.result} title={s.sql}>
              {s.sql.replace(/\s+/g, ' ').slice(0, 90)}
            </button>{' '}
            <span className="muted">
              {s.status === 'running' && (s.result ? `${s.result.total.toLocaleString('en-US')} rows so far…` : 'running…')}
              {s.status === 'done' &&
                `${s.command ?? ''}${s.result ? ` · ${s.result.total.toLocaleString('en-US')} rows` : ''}${s.rowsAffected !== undefined ? ` · ${s.rowsAffected} rows affected` : ''} · ${s.durationMs} ms`}
              {s.status === 'cancelled' && 'cancelled'}
            </span>
            {s.status === 'done' && costOn && s.durationMs !== undefined && <RunCost connectionId={costOn} durationMs={s.durationMs} />}
            {s.error && (
              <div className="error" role="alert">
                {s.error.at ? `Line ${s.error.at.line}, column ${s.error.at.column}: ` : ''}
                {s.error.message}
                {s.error.code ? <span className="muted"> ({s.error.code})</span> : null}
              </div>
            )}
            {s.notices.map((n, i) => (
              <div key={i} className="muted small" data-level={n.level}>
                {n.level.toUpperCase()}: {n.message}
              </div>
            ))}
          </li>
        ))}
      </ol>
    </div>
  );
}
