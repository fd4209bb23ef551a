import { useCallback, useEffect, useRef, useState } from 'react';
import type { InventoryDeleteChunk, InventoryItem } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useCall, useStream, useStreamAction } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDuration, formatUsd } from './format';
import { useNow, usePageVisible } from './visibility';

const typeNames: Record<InventoryItem['type'], string> = {
  'kinesis-stream': 'Kinesis stream',
  'firehose-stream': 'Firehose stream',
  's3-bucket': 'S3 bucket',
  'emr-cluster': 'EMR cluster',
  'redshift-cluster': 'Redshift cluster',
  'redshift-namespace': 'Redshift Serverless namespace',
  'redshift-workgroup': 'Redshift Serverless workgroup',
};

/** How often the inventory is read again while the window is shown. */
const WATCH_SECONDS = 10;

interface Notification {
  id: number;
  at: number;
  message: string;
}

/** Everything the pipeline uses in the environment, read again every few seconds while the window is visible; state changes become notifications. */
export function Inventory({ refreshKey }: { refreshKey: number }) {
  const visible = usePageVisible();
  // A one-off read on mount, after each create or delete, and on Refresh; the watch replaces it as it reads again.
  const list = useCall('inventory.list', {});
  const { reload, set: setData } = list;
  const data = list.data;
  const [notifications, setNotifications] = useState<Notification[]>([]);
  const [deleting, setDeleting] = useState<InventoryItem>();
  const nextId = useRef(1);

  const notify = useCallback((message: string) => {
    const id = nextId.current++;
    setNotifications((all) => [{ id, at: Date.now(), message }, ...all].slice(0, 20));
  }, []);

  const firstKey = useRef(refreshKey);
  useEffect(() => {
    if (refreshKey !== firstKey.current) reload();
  }, [refreshKey, reload]);

  // The watch runs only while the window is shown: hidden, it is cancelled, and nothing polls AWS.
  const watchError = useStream('inventory.watch', visible ? { intervalSeconds: WATCH_SECONDS } : undefined, (chunk) => {
    if (chunk.kind === 'inventory') setData(chunk.inventory);
    else notify(chunk.message || `${typeNames[chunk.item.type]} ${chunk.item.name}: ${chunk.from ?? 'new'} → ${chunk.to ?? 'gone'}`);
  });
  const error = watchError ?? list.error;

  const items = data?.items ?? [];
  return (
    <section className="panel inventory" aria-labelledby="inventory-title">
      <div className="inventory-head">
        <h2 id="inventory-title">Inventory</h2>
        <span className="muted small">
          {data ? `${data.environmentId} · ${data.region} · checked ${new Date(data.checkedAt).toLocaleTimeString()}` : 'Reading…'}
          {visible ? ` · refreshed every ${WATCH_SECONDS} s while this window is shown` : ' · paused while the window is hidden'}
        </span>
        <button type="button" onClick={reload}>
          Refresh inventory
        </button>
      </div>
      <ErrorMessage error={error} />
      {data && data.problems.length > 0 && (
        <ul className="field-problems" aria-label="What could not be read">
          {data.problems.map((p, i) => (
            <li key={i} className="field-warning">
              {p}
            </li>
          ))}
        </ul>
      )}
      <table className="table inventory-table" aria-label="Resources in this environment">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">Age</th>
            <th scope="col">Size</th>
            <th scope="col" className="num">
              $/h
            </th>
            <th scope="col" className="num">
              $ so far
            </th>
            <th scope="col">Tagged</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={`${item.type}:${item.id}`}>
              <td>{typeNames[item.type]}</td>
              <th scope="row">
                {item.name}
                {item.id !== item.name && <span className="muted small"> {item.id}</span>}
              </th>
              <td>
                <code>{item.state}</code>
              </td>
              <td>{formatDuration(item.ageMs)}</td>
              <td>{item.size}</td>
              <td className="num">{formatUsd(item.costPerHour)}</td>
              <td className="num">{formatUsd(item.costSoFar)}</td>
              <td>{item.managed ? `Tributary${item.pipeline ? ` (${item.pipeline})` : ''}` : 'Untagged'}</td>
              <td>
                {item.deletable && (
                  <button
                    type="button"
                    className="danger"
                    aria-label={`${item.type === 'emr-cluster' ? 'Terminate' : 'Delete'} ${typeNames[item.type]} ${item.name}`}
                    onClick={() => setDeleting(item)}
                  >
                    {item.type === 'emr-cluster' ? 'Terminate' : 'Delete'}
                  </button>
                )}
              </td>
            </tr>
          ))}
          {data && items.length === 0 && (
            <tr>
              <td colSpan={9} className="muted">
                Nothing the pipeline uses was found in this environment.
              </td>
            </tr>
          )}
        </tbody>
        {data && (
          <tfoot>
            <tr>
              <th scope="row" colSpan={5}>
                Total ({items.length} resource{items.length === 1 ? '' : 's'}; price table of {data.priceTableDate})
              </th>
              <td className="num">{formatUsd(data.totalPerHour)}</td>
              <td className="num">{formatUsd(data.totalSoFar)}</td>
              <td colSpan={2} />
            </tr>
          </tfoot>
        )}
      </table>
      <section aria-labelledby="notifications-title" className="notifications">
        <h3 id="notifications-title">Notifications</h3>
        <ul role="log" aria-live="polite" aria-label="State changes" className="plain">
          {notifications.map((n) => (
            <li key={n.id}>
              <span className="muted small">{new Date(n.at).toLocaleTimeString()}</span> {n.message}
            </li>
          ))}
          {notifications.length === 0 && <li className="muted">State changes seen while this window is open show here.</li>}
        </ul>
      </section>
      {deleting && (
        <DeleteDialog
          item={deleting}
          onClose={(deleted) => {
            setDeleting(undefined);
            if (deleted) {
              notify(`${typeNames[deleting.type]} ${deleting.name} ${deleting.type === 'emr-cluster' ? 'terminated' : 'deleted'}.`);
              reload();
            }
          }}
        />
      )}
    </section>
  );
}

interface DeleteState {
  status: 'running' | 'done' | 'error';
  startedAt: number;
  endedAt?: number;
  steps: Record<string, Extract<InventoryDeleteChunk, { kind: 'step' }>>;
  order: string[];
  progress?: Extract<InventoryDeleteChunk, { kind: 'progress' }>;
  snapshot?: string;
  error?: AppError;
}

function deleteStep(current: DeleteState, chunk: InventoryDeleteChunk): DeleteState {
  if (chunk.kind === 'step')
    return {
      ...current,
      steps: { ...current.steps, [chunk.step]: chunk },
      order: current.order.includes(chunk.step) ? current.order : [...current.order, chunk.step],
    };
  if (chunk.kind === 'progress') return { ...current, progress: chunk };
  return { ...current, status: 'done', endedAt: Date.now(), snapshot: chunk.snapshot };
}

function deleteSettled(current: DeleteState, error: AppError | undefined): DeleteState {
  if (error) return { ...current, status: 'error', endedAt: Date.now(), error };
  return current.status === 'running' ? { ...current, status: 'done', endedAt: Date.now() } : current;
}

/** Terminate/delete after the resource's name is typed; Redshift offers a final snapshot, a bucket is emptied first with a progress bar. */
function DeleteDialog({ item, onClose }: { item: InventoryItem; onClose: (deleted: boolean) => void }) {
  const [typed, setTyped] = useState('');
  const [snapshot, setSnapshot] = useState(true);
  const [snapshotId, setSnapshotId] = useState('');
  const { state, start: startDelete } = useStreamAction<'inventory.delete', DeleteState>({ reduce: deleteStep, settle: deleteSettled });
  const input = useRef<HTMLInputElement>(null);
  const now = useNow(state?.status === 'running');
  const verb = item.type === 'emr-cluster' ? 'Terminate' : 'Delete';
  const what = `${typeNames[item.type]} ${item.name}`;
  const matches = typed === item.confirmWith;

  useEffect(() => input.current?.focus(), []);

  const start = () =>
    startDelete(
      'inventory.delete',
      {
        type: item.type,
        id: item.id,
        confirm: typed,
        ...(item.type === 'redshift-cluster'
          ? { finalSnapshot: snapshot, ...(snapshot && snapshotId ? { finalSnapshotIdentifier: snapshotId } : {}) }
          : {}),
      },
      { status: 'running', startedAt: Date.now(), steps: {}, order: [] },
    );

  const elapsed = state ? (state.endedAt ?? now) - state.startedAt : 0;
  return (
    <div className="overlay">
      <div
        className="dialog delete-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="delete-title"
        onKeyDown={(e) => {
          if (e.key === 'Escape' && state?.status !== 'running') onClose(state?.status === 'done');
        }}
      >
        <h2 id="delete-title">
          {verb} {what}
        </h2>
        {!state && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (matches) start();
            }}
          >
            <p>
              {item.type === 's3-bucket'
                ? 'Every object and object version in the bucket is deleted first, then the bucket. This cannot be undone.'
                : item.type === 'kinesis-stream'
                  ? 'The stream and every record it holds are deleted. This cannot be undone.'
                  : item.type === 'emr-cluster'
                    ? 'The cluster and its instances are terminated; data on its HDFS is lost.'
                    : item.type === 'redshift-workgroup'
                      ? 'The workgroup and its endpoint are deleted; its namespace and data stay.'
                      : item.type === 'redshift-namespace'
                        ? 'Its workgroup is deleted first, then the namespace with its databases and users. This cannot be undone.'
                        : 'The cluster is deleted; keep a final snapshot to restore it later.'}{' '}
              It costs {formatUsd(item.costPerHour)}/h now ({item.size}).
            </p>
            <label className="block">
              <span>
                Type <code>{item.confirmWith}</code> to confirm
              </span>
              <input
                ref={input}
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
                spellCheck={false}
                autoComplete="off"
                aria-label={`Type ${item.confirmWith} to confirm`}
              />
            </label>
            {typed !== '' && !matches && <p className="field-error">That is not the name; type {item.confirmWith} exactly.</p>}
            {item.type === 'redshift-cluster' && (
              <>
                <label className="block">
                  <input type="checkbox" checked={snapshot} onChange={(e) => setSnapshot(e.target.checked)} /> Take a final snapshot
                </label>
                {snapshot && (
                  <label className="block">
                    Snapshot name (optional){' '}
                    <input
                      value={snapshotId}
                      onChange={(e) => setSnapshotId(e.target.value)}
                      placeholder={`${item.name}-final`}
                      autoComplete="off"
                    />
                  </label>
                )}
              </>
            )}
            <div className="row">
              <button type="submit" className="danger" disabled={!matches}>
                {verb} {item.name}
              </button>
              <button type="button" onClick={() => onClose(false)}>
                Cancel
              </button>
            </div>
          </form>
        )}
        {state && (
          <div aria-label="Delete progress" role="group">
            <p>
              Elapsed{' '}
              <span role="timer" aria-label="Elapsed time">
                {formatDuration(elapsed)}
              </span>
            </p>
            <ol className="steps">
              {state.order.map((name) => {
                const step = state.steps[name]!;
                return (
                  <li key={name} data-state={step.state}>
                    <span className="step-state">{step.state}</span> <span className="step-name">{name}</span>
                    {step.message && <span className="muted"> — {step.message}</span>}
                    {step.awsState && (
                      <span>
                        {' '}
                        (<code>{step.awsState}</code>)
                      </span>
                    )}
                  </li>
                );
              })}
            </ol>
            {state.progress && (
              <div className="progress-row">
                <progress
                  aria-label={item.type === 's3-bucket' ? 'Emptying the bucket' : state.progress.step}
                  max={state.progress.total ?? undefined}
                  value={state.progress.total !== undefined ? state.progress.done : undefined}
                />
                <span>
                  {state.progress.message ||
                    `${state.progress.done}${state.progress.total !== undefined ? ` of ${state.progress.total}` : ''}`}
                </span>
              </div>
            )}
            <div role="status" aria-label="Delete outcome">
              {state.status === 'done' && (
                <p className="outcome ok">
                  {verb === 'Terminate' ? 'Terminated' : 'Deleted'} {item.name} after {formatDuration(elapsed)}.
                  {state.snapshot ? ` Final snapshot: ${state.snapshot}.` : ''}
                </p>
              )}
            </div>
            <ErrorMessage error={state.error} />
            <div className="row">
              {state.status === 'running' ? (
                <span className="muted">Working…</span>
              ) : (
                <button type="button" onClick={() => onClose(state.status === 'done')}>
                  Close
                </button>
              )}
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
