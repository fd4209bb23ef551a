import { ErrorMessage } from '../../components/ErrorMessage';
import { formatCount, formatMs, formatTime } from './format';
import type { OperationsTabProps } from './tab-props';
import { usePoll } from './use-poll';

const REFRESH_MS = 5000;

/** WLM queues with their slots and what waits and runs in them, and the query monitoring rules that fired. */
export default function Wlm({ connectionId, active }: OperationsTabProps) {
  const wlm = usePoll('warehouse.wlm', { connectionId }, active, () => REFRESH_MS);
  const data = wlm.data;
  return (
    <div className="ops-wlm">
      <ErrorMessage error={wlm.error} />
      <table className="table ops-table" aria-label="WLM queues">
        <thead>
          <tr>
            <th scope="col" className="num">
              Service class
            </th>
            <th scope="col">Queue</th>
            <th scope="col" className="num">
              Slots
            </th>
            <th scope="col" className="num">
              Running
            </th>
            <th scope="col" className="num">
              Queued
            </th>
            <th scope="col" className="num">
              Memory per slot
            </th>
            <th scope="col" className="num">
              Timeout
            </th>
          </tr>
        </thead>
        <tbody>
          {(data?.queues ?? []).map((q) => (
            <tr key={q.serviceClass}>
              <td className="num">{q.serviceClass}</td>
              <th scope="row">{q.name}</th>
              <td className="num">{q.slots}</td>
              <td className="num">{q.running}</td>
              <td className="num">{q.queued}</td>
              <td className="num">{q.memoryMb === null ? '—' : `${formatCount(q.memoryMb)} MB`}</td>
              <td className="num">{q.maxExecutionMs ? formatMs(q.maxExecutionMs) : 'none'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Query monitoring rule actions</h3>
      <table className="table ops-table" aria-label="Query monitoring rule actions">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Query</th>
            <th scope="col" className="num">
              Service class
            </th>
            <th scope="col">Rule</th>
            <th scope="col">Action</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {(data?.ruleActions ?? []).map((a, i) => (
            <tr key={i}>
              <td>{formatTime(a.at)}</td>
              <th scope="row">{a.queryId}</th>
              <td className="num">{a.serviceClass}</td>
              <td>{a.rule}</td>
              <td>{a.action}</td>
              <td>{a.value ?? '—'}</td>
            </tr>
          ))}
          {data && data.ruleActions.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No query monitoring rule has fired.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
