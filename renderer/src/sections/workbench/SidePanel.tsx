import { useEffect, useState } from 'react';
import type { SchemaTree } from '../../../../shared/contract';
import { useClient } from '../../bridge/client-context';
import { useAction, useCall } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import type { AppError } from '../../../../shared/errors';

type Panel = 'schema' | 'history' | 'saved';

export interface SidePanelProps {
  connectionId: string | undefined;
  schema: SchemaTree | undefined;
  schemaError: AppError | undefined;
  onReloadSchema: () => void;
  /** Puts text into the editor (a history entry, a saved query, a table name). */
  onOpen: (sql: string, title?: string) => void;
  /** Bumped after each run or save, so history and saved queries show it. */
  runs: number;
}

/** Schema browser, query history and saved queries, beside the editor. */
export function SidePanel({ connectionId, schema, schemaError, onReloadSchema, onOpen, runs }: SidePanelProps) {
  const [panel, setPanel] = useState<Panel>('schema');
  const [search, setSearch] = useState('');
  const [confirmClear, setConfirmClear] = useState(false);
  const client = useClient();
  const clearing = useAction();
  const history = useCall('queries.history', { ...(connectionId ? { connectionId } : {}), ...(search ? { search } : {}), limit: 200 });
  const saved = useCall('queries.saved', {});
  const { reload } = history;
  const { reload: reloadSaved } = saved;
  useEffect(() => {
    reload();
    reloadSaved();
  }, [runs, reload, reloadSaved]);

  return (
    <aside className="side-panel" aria-label="Schema, history and saved queries">
      <div role="tablist" className="side-tabs">
        {(['schema', 'history', 'saved'] as const).map((id) => (
          <button key={id} role="tab" aria-selected={panel === id} onClick={() => setPanel(id)}>
            {id === 'schema' ? 'Schema' : id === 'history' ? 'History' : 'Saved'}
          </button>
        ))}
      </div>
      {panel === 'schema' && (
        <div role="tabpanel" aria-label="Schema">
          <button type="button" className="link" onClick={onReloadSchema} disabled={!connectionId}>
            Refresh
          </button>
          <ErrorMessage error={schemaError} />
          {schema?.schemas.map((s) => (
            <details key={s.name} open={s.name === 'public' || s.name === 'default'}>
              <summary>{s.name}</summary>
              {s.tables.map((t) => (
                <details key={t.name} className="schema-table">
                  <summary title={t.details}>
                    {t.name} <span className="muted">{t.kind !== 'table' ? t.kind : ''}</span>
                  </summary>
                  {t.details && <div className="muted small">{t.details}</div>}
                  <ul className="plain">
                    {t.columns.map((c) => (
                      <li key={c.name}>
                        <button
                          type="button"
                          className="link"
                          onClick={() => onOpen(`SELECT * FROM ${s.name}.${t.name} LIMIT 100;`, t.name)}
                          title="Open a SELECT of this table"
                        >
                          {c.name}
                        </button>{' '}
                        <span className="muted">{c.type}</span> {c.notes && <span className="badge">{c.notes}</span>}
                      </li>
                    ))}
                  </ul>
                </details>
              ))}
            </details>
          ))}
        </div>
      )}
      {panel === 'history' && (
        <div role="tabpanel" aria-label="History">
          <input
            type="search"
            placeholder="Search history"
            aria-label="Search history"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          {confirmClear ? (
            <div role="group" aria-label="Confirm clearing the history" className="row">
              <span>Delete every past run of every connection?</span>
              <button
                type="button"
                onClick={() =>
                  void clearing.act(async () => {
                    await client.call('queries.clearHistory', { confirm: 'clear' });
                    setConfirmClear(false);
                    reload();
                  })
                }
              >
                Delete history
              </button>
              <button type="button" onClick={() => setConfirmClear(false)}>
                Keep it
              </button>
            </div>
          ) : (
            <button type="button" className="link" onClick={() => setConfirmClear(true)}>
              Clear history
            </button>
          )}
          <ErrorMessage error={clearing.error} />
          <ul className="plain history">
            {(history.data ?? []).map((h) => (
              <li key={h.id}>
                <button type="button" className="link" onClick={() => onOpen(h.sql)} title={h.sql}>
                  {h.sql.slice(0, 80)}
                </button>
                <div className="muted small">
                  {new Date(h.startedAt).toLocaleString()} · {h.durationMs} ms
                  {h.rows !== undefined ? ` · ${h.rows.toLocaleString('en-US')} rows` : ''}
                  {h.rowsAffected !== undefined ? ` · ${h.rowsAffected} affected` : ''}
                  {h.error ? ` · failed: ${h.error.slice(0, 80)}` : ''}
                </div>
              </li>
            ))}
          </ul>
        </div>
      )}
      {panel === 'saved' && (
        <div role="tabpanel" aria-label="Saved queries">
          <ul className="plain">
            {(saved.data ?? []).map((q) => (
              <li key={q.id}>
                <button type="button" className="link" onClick={() => onOpen(q.sql, q.name)}>
                  {q.name}
                </button>
              </li>
            ))}
          </ul>
          {saved.data?.length === 0 && <p className="muted">Save a query from the toolbar to keep it here.</p>}
        </div>
      )}
    </aside>
  );
}
