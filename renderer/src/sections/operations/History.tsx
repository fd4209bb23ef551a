import { useState } from 'react';
import type { HistoryView } from '../../../../shared/contract';
import { useCall } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { PlanNodes } from '../workbench/PlanTree';
import { formatCost, formatCount, formatMs, formatTime, priceLine } from './format';
import { Headings } from './Headings';
import type { OperationsTabProps } from './tab-props';

const views: { id: HistoryView; label: string; none: string }[] = [
  { id: 'recent', label: 'Recent', none: 'No queries in the history yet.' },
  { id: 'slowest', label: 'Slowest', none: 'No query has finished yet.' },
  { id: 'queued', label: 'Most queued', none: 'No query waited in a WLM queue.' },
  { id: 'failed', label: 'Failed', none: 'No query failed.' },
];

/** Recent queries from the warehouse's own history, four ways, each one click from its plan and steps. */
export default function History({ connectionId }: OperationsTabProps) {
  const [view, setView] = useState<HistoryView>('recent');
  const [queryId, setQueryId] = useState<string>();
  const history = useCall('warehouse.history', { connectionId, view, limit: 50 });
  const data = history.data;
  return (
    <div className="ops-history">
      <ErrorMessage error={history.error} />
      <div className="row" role="group" aria-label="Which queries">
        {views.map((v) => (
          <button key={v.id} type="button" aria-pressed={view === v.id} onClick={() => setView(v.id)}>
            {v.label}
          </button>
        ))}
        <button type="button" onClick={history.reload}>
          Refresh
        </button>
      </div>
      <p className="muted small">
        {data && `From ${data.source}. `}
        {priceLine(data?.price)}
      </p>
      <div className="ops-scroll">
        <table className="table ops-table" aria-label="Query history">
          <Headings
            names={['Query', 'Started', 'User', 'Status', 'Elapsed', 'Queued', 'Rows', 'Cost', 'SQL']}
            numeric={['Elapsed', 'Queued', 'Rows', 'Cost']}
          />
          <tbody>
            {(data?.queries ?? []).map((q) => (
              <tr key={q.queryId} aria-selected={q.queryId === queryId}>
                <th scope="row">
                  <button
                    type="button"
                    className="link"
                    aria-label={`Plan and steps of query ${q.queryId}`}
                    onClick={() => setQueryId(q.queryId)}
                  >
                    {q.queryId}
                  </button>
                </th>
                <td>{formatTime(q.startedAt)}</td>
                <td>{q.user}</td>
                <td>{q.status}</td>
                <td className="num">{formatMs(q.elapsedMs)}</td>
                <td className="num">{formatMs(q.queuedMs)}</td>
                <td className="num">{formatCount(q.rows)}</td>
                <td className="num">{formatCost(q.cost)}</td>
                <td>
                  <code className="ops-sql" title={q.sql}>
                    {q.sql}
                  </code>
                  {q.error && <div className="field-error small">{q.error}</div>}
                </td>
              </tr>
            ))}
            {data && data.queries.length === 0 && (
              <tr>
                <td colSpan={9} className="muted">
                  {views.find((v) => v.id === view)?.none}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {queryId && <QueryDetail key={queryId} connectionId={connectionId} queryId={queryId} onClose={() => setQueryId(undefined)} />}
    </div>
  );
}

function QueryDetail({ connectionId, queryId, onClose }: { connectionId: string; queryId: string; onClose: () => void }) {
  const detail = useCall('warehouse.queryDetail', { connectionId, queryId });
  const data = detail.data;
  return (
    <section className="panel ops-detail" aria-label={`Query ${queryId}`}>
      <div className="row">
        <h3>Query {queryId}</h3>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorMessage error={detail.error} />
      {data && (
        <>
          <pre className="ops-sql-block">{data.sql}</pre>
          <h4>Plan</h4>
          {data.plan.length ? <PlanNodes plan={data.plan} /> : <p className="muted">The warehouse kept no plan for this query.</p>}
          <h4>Steps</h4>
          <table className="table ops-table" aria-label="Query steps">
            <Headings
              names={['Stream', 'Segment', 'Step', 'Operation', 'Table', 'Time', 'Rows', 'Bytes', 'To disk', 'Alert']}
              numeric={['Stream', 'Segment', 'Step', 'Time', 'Rows', 'Bytes']}
            />
            <tbody>
              {data.steps.map((s, i) => (
                <tr key={i}>
                  <td className="num">{s.stream ?? '—'}</td>
                  <td className="num">{s.segment}</td>
                  <td className="num">{s.step}</td>
                  <td>{s.name}</td>
                  <td>{s.table ?? '—'}</td>
                  <td className="num">{formatMs(s.durationMs)}</td>
                  <td className="num">{formatCount(s.rows)}</td>
                  <td className="num">{formatCount(s.bytes)}</td>
                  <td>{s.diskBased ? 'yes' : 'no'}</td>
                  <td>{s.alert ?? ''}</td>
                </tr>
              ))}
              {data.steps.length === 0 && (
                <tr>
                  <td colSpan={10} className="muted">
                    The warehouse kept no steps for this query.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <p className="muted small">From {data.source}.</p>
        </>
      )}
    </section>
  );
}
