import { useState } from 'react';
import type { RunningQuery } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { ConfirmDialog } from './ConfirmDialog';
import { formatCost, formatCount, formatMs, priceLine } from './format';
import { Headings } from './Headings';
import type { OperationsTabProps } from './tab-props';
import { usePoll } from './use-poll';
import { useWatch } from './use-watch';

const REFRESH_MS = 2000;
/** While an action's effect is watched, the list is asked for this often, so "left after N ms" is close to the truth. */
const WATCH_REFRESH_MS = 200;

type Asking = { kind: 'cancel' | 'terminate'; query: RunningQuery };

/** Running and queued queries, live, with Cancel and Terminate session. */
export default function RunningQueries({ connectionId, active }: OperationsTabProps) {
  const client = useClient();
  const [asking, setAsking] = useState<Asking>();
  const [actionError, setActionError] = useState<AppError>();
  const watch = useWatch();
  const running = usePoll(
    'warehouse.running',
    { connectionId },
    active,
    () => (watch.active() ? WATCH_REFRESH_MS : REFRESH_MS),
    (answer, askedAt) =>
      watch.seen(askedAt, (w) =>
        answer.queries.some((q) => (w.verb === 'Cancelled' ? q.queryId === w.target : String(q.pid) === w.target)),
      ),
  );
  const queries = running.data?.queries;

  const act = async ({ kind, query }: Asking) => {
    setAsking(undefined);
    setActionError(undefined);
    try {
      if (kind === 'cancel') {
        watch.start({ verb: 'Cancelled', what: `query ${query.queryId}`, target: query.queryId });
        await client.call('warehouse.cancel', { connectionId, pid: query.pid });
      } else {
        watch.start({ verb: 'Terminated', what: `session ${query.pid}`, target: String(query.pid) });
        await client.call('warehouse.terminate', { connectionId, pid: query.pid });
      }
      running.refresh();
    } catch (caught) {
      setActionError(toAppError(caught));
    }
  };

  return (
    <div className="ops-running">
      <ErrorMessage error={running.error} />
      <ErrorMessage error={actionError} />
      <p className="muted small">
        {active ? `Refreshed every ${REFRESH_MS / 1000} s while shown` : 'Paused while hidden'}
        {running.data && ` · the views answered in ${running.data.tookMs} ms`} · {priceLine(running.data?.price)}
      </p>
      <p role="status" aria-live="polite" aria-label="Action outcome">
        {watch.watching ? `Watching ${watch.watching.what} leave the list…` : (watch.outcome ?? '')}
      </p>
      <div className="ops-scroll">
        <table className="table ops-table" aria-label="Running and queued queries">
          <Headings
            names={['User', 'Query', 'PID', 'Queue', 'State', 'Queued', 'Executing', 'Rows', 'Cost', 'SQL', 'Actions']}
            numeric={['PID', 'Queued', 'Executing', 'Rows', 'Cost']}
          />
          <tbody>
            {(queries ?? []).map((q) => (
              <tr key={`${q.pid}-${q.queryId}`}>
                <td>{q.user}</td>
                <th scope="row">{q.queryId}</th>
                <td className="num">{q.pid}</td>
                <td>{q.queue}</td>
                <td>{q.state}</td>
                <td className="num">{formatMs(q.queuedMs)}</td>
                <td className="num">{formatMs(q.executingMs)}</td>
                <td className="num">{formatCount(q.rows)}</td>
                <td className="num">{formatCost(q.cost)}</td>
                <td>
                  <code className="ops-sql" title={q.sql}>
                    {q.sql}
                  </code>
                </td>
                <td className="ops-actions">
                  <button type="button" aria-label={`Cancel query ${q.queryId}`} onClick={() => setAsking({ kind: 'cancel', query: q })}>
                    Cancel
                  </button>
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Terminate session ${q.pid}`}
                    onClick={() => setAsking({ kind: 'terminate', query: q })}
                  >
                    Terminate session
                  </button>
                </td>
              </tr>
            ))}
            {queries && queries.length === 0 && (
              <tr>
                <td colSpan={11} className="muted">
                  Nothing is running or queued.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {asking && (
        <ConfirmDialog
          title={asking.kind === 'cancel' ? `Cancel query ${asking.query.queryId}?` : `Terminate session ${asking.query.pid}?`}
          confirmLabel={
            asking.kind === 'cancel' ? `Yes, cancel query ${asking.query.queryId}` : `Yes, terminate session ${asking.query.pid}`
          }
          keepLabel={asking.kind === 'cancel' ? 'Keep it running' : 'Keep the session'}
          onConfirm={() => void act(asking)}
          onClose={() => setAsking(undefined)}
        >
          <p>
            {asking.kind === 'cancel'
              ? `PG_CANCEL_BACKEND(${asking.query.pid}) stops this query of ${asking.query.user}; its session stays open.`
              : `PG_TERMINATE_BACKEND(${asking.query.pid}) ends ${asking.query.user}'s session: the query stops and its open transaction rolls back.`}{' '}
            It is sent from a connection of the app’s own, not your Workbench session.
          </p>
          <pre className="ops-sql-block">{asking.query.sql}</pre>
        </ConfirmDialog>
      )}
    </div>
  );
}
