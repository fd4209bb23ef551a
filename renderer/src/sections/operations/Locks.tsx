import { useState } from 'react';
import type { BlockingNode } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { ConfirmDialog } from './ConfirmDialog';
import { formatTime } from './format';
import { Headings } from './Headings';
import type { OperationsTabProps } from './tab-props';
import { usePoll } from './use-poll';
import { useWatch } from './use-watch';

const REFRESH_MS = 2000;
const WATCH_REFRESH_MS = 250;

/** Sessions, the table locks they hold and want, and the blocking chains as trees with the action that frees each. */
export default function Locks({ connectionId, active }: OperationsTabProps) {
  const client = useClient();
  const [asking, setAsking] = useState<BlockingNode>();
  const [actionError, setActionError] = useState<AppError>();
  const watch = useWatch();
  const locks = usePoll(
    'warehouse.locks',
    { connectionId },
    active,
    () => (watch.active() ? WATCH_REFRESH_MS : REFRESH_MS),
    (answer, askedAt) => watch.seen(askedAt, (w) => answer.chains.some((root) => String(root.pid) === w.target)),
  );
  const data = locks.data;

  const terminate = async (holder: BlockingNode) => {
    setAsking(undefined);
    setActionError(undefined);
    watch.start({ verb: 'Terminated', what: `holder ${holder.pid}`, target: String(holder.pid) });
    try {
      await client.call('warehouse.terminate', { connectionId, pid: holder.pid });
      locks.refresh();
    } catch (caught) {
      setActionError(toAppError(caught));
    }
  };

  return (
    <div className="ops-locks">
      <ErrorMessage error={locks.error} />
      <ErrorMessage error={actionError} />
      <p role="status" aria-live="polite" aria-label="Action outcome">
        {watch.watching ? `Watching the chain of ${watch.watching.what} clear…` : (watch.outcome ?? '')}
      </p>
      <section aria-labelledby="chains-title">
        <h3 id="chains-title">Blocking chains</h3>
        {data && data.chains.length === 0 && <p className="muted">No session is waiting for a lock.</p>}
        {data && data.chains.length > 0 && (
          <ul className="lock-tree" role="tree" aria-label="Blocking chains">
            {data.chains.map((root) => (
              <ChainNode key={root.pid} node={root} root onTerminate={setAsking} />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="sessions-title">
        <h3 id="sessions-title">Sessions</h3>
        <table className="table ops-table" aria-label="Sessions">
          <Headings names={['PID', 'User', 'Database', 'Since', 'Locks']} />
          <tbody>
            {(data?.sessions ?? []).map((s) => {
              const held = (data?.locks ?? []).filter((l) => l.pid === s.pid);
              return (
                <tr key={s.pid}>
                  <th scope="row">{s.pid}</th>
                  <td>{s.user}</td>
                  <td>{s.database}</td>
                  <td>{formatTime(s.startedAt)}</td>
                  <td>
                    {held.map((l, i) => (
                      <div key={i} className="small">
                        {l.granted ? 'holds' : 'waits for'} {l.mode} on {l.relation}
                      </div>
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      {asking && (
        <ConfirmDialog
          title={`Terminate holder (pid ${asking.pid})?`}
          confirmLabel={`Yes, terminate session ${asking.pid}`}
          keepLabel="Keep the session"
          onConfirm={() => void terminate(asking)}
          onClose={() => setAsking(undefined)}
        >
          <p>
            PG_TERMINATE_BACKEND({asking.pid}) ends {asking.user}&apos;s session: its open transaction rolls back and its {asking.mode} on{' '}
            {asking.relation} is released, so the {countWaiters(asking)} session(s) waiting behind it can go on.
          </p>
          {asking.sql && <pre className="ops-sql-block">{asking.sql}</pre>}
        </ConfirmDialog>
      )}
    </div>
  );
}

function countWaiters(node: BlockingNode): number {
  return node.waiters.reduce((sum, w) => sum + 1 + countWaiters(w), 0);
}

function ChainNode({ node, root, onTerminate }: { node: BlockingNode; root?: boolean; onTerminate: (node: BlockingNode) => void }) {
  return (
    <li role="treeitem" aria-expanded={node.waiters.length ? true : undefined} aria-label={`${root ? 'Holder' : 'Waiter'} pid ${node.pid}`}>
      <span className="lock-node">
        <strong>pid {node.pid}</strong> ({node.user}) {root ? 'holds' : 'waits for'} {node.mode} on <code>{node.relation}</code>
        {node.waitingSince && <span className="muted small"> since {formatTime(node.waitingSince)}</span>}
        {node.sql && <code className="ops-sql small"> {node.sql}</code>}
        {root && (
          <button type="button" className="danger" onClick={() => onTerminate(node)}>
            Terminate holder (pid {node.pid})
          </button>
        )}
      </span>
      {node.waiters.length > 0 && (
        <ul role="group">
          {node.waiters.map((waiter) => (
            <ChainNode key={waiter.pid} node={waiter} onTerminate={onTerminate} />
          ))}
        </ul>
      )}
    </li>
  );
}
