import { Suspense, useState } from 'react';
import { useCall } from '../bridge/hooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { operationsTabs } from './operations/tabs';
import { usePageVisible } from './provision/visibility';

/** A Redshift warehouse operated from its system views: one connection at a time, one tab shown. */
export default function Operations() {
  const connections = useCall('connections.list', {});
  const redshift = (connections.data ?? []).filter((c) => c.dialect === 'redshift');
  const [connectionId, setConnectionId] = useState<string>();
  const [current, setCurrent] = useState(operationsTabs[0]!.id);
  // A tab is mounted once it is first shown, and then kept: its state survives switching away.
  const [shown, setShown] = useState<ReadonlySet<string>>(() => new Set([current]));
  const show = (id: string) => {
    setCurrent(id);
    setShown((all) => new Set(all).add(id));
  };
  const visible = usePageVisible();
  const chosen = redshift.find((c) => c.id === connectionId) ?? redshift[0];

  return (
    <div className="operations">
      <ErrorMessage error={connections.error} />
      <div className="row">
        <label>
          Redshift connection{' '}
          <select value={chosen?.id ?? ''} onChange={(e) => setConnectionId(e.target.value)} disabled={redshift.length === 0}>
            {redshift.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        {chosen && <span className="muted small">{chosen.target}</span>}
      </div>
      {connections.data && redshift.length === 0 && (
        <p className="muted">No Redshift connection in this environment yet: add one in the Workbench (or start the sandbox).</p>
      )}
      {chosen && (
        <section className="panel" aria-label="Operations">
          <div role="tablist" aria-label="What to see" className="wizard-tabs">
            {operationsTabs.map((tab, index) => (
              <button
                key={tab.id}
                type="button"
                role="tab"
                id={`ops-tab-${tab.id}`}
                aria-selected={current === tab.id}
                aria-controls={`ops-panel-${tab.id}`}
                tabIndex={current === tab.id ? 0 : -1}
                onClick={() => show(tab.id)}
                onKeyDown={(e) => {
                  const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
                  if (!step) return;
                  const next = operationsTabs[(index + step + operationsTabs.length) % operationsTabs.length]!;
                  show(next.id);
                  document.getElementById(`ops-tab-${next.id}`)?.focus();
                }}
              >
                {tab.title}
              </button>
            ))}
          </div>
          {operationsTabs.map((tab) => (
            <div key={tab.id} role="tabpanel" id={`ops-panel-${tab.id}`} aria-labelledby={`ops-tab-${tab.id}`} hidden={current !== tab.id}>
              {shown.has(tab.id) && (
                <Suspense fallback={<p className="muted">Loading…</p>}>
                  <tab.component key={chosen.id} connectionId={chosen.id} active={visible && current === tab.id} />
                </Suspense>
              )}
            </div>
          ))}
        </section>
      )}
    </div>
  );
}
