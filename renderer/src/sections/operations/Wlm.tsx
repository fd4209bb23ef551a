import { ErrorMessage } from '../../components/ErrorMessage';
import { formatCount, formatMs, formatTime } from './format';
import { Headings } from './Headings';
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
        <Headings
          names={['Service class', 'Queue', 'Slots', 'Running', 'Queued', 'Memory per slot', 'Timeout']}
          numeric={['Service class', 'Slots', 'Running', 'Queued', 'Memory per slot', 'Timeout']}
        />
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
        <Headings names={['When', 'Query', 'Service class', 'Rule', 'Action', 'Value']} numeric={['Service class']} />
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
