import { useState } from 'react';
import type { NodeDisk, TableFixResult, TableHealthRow, TableProblem, TableProblemKind } from '../../../../shared/contract';
import { useClient } from '../../bridge/client-context';
import { useAction, useCall } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatCount as count } from './format';
import { Headings } from './Headings';
import type { OperationsTabProps } from './tab-props';

const PROBLEM_NAMES: Record<TableProblemKind, string> = {
  skew: 'Skewed distribution',
  unsorted: 'Unsorted rows',
  'deleted-rows': 'Deleted rows',
  'stale-stats': 'Stale statistics',
  unencoded: 'Not compressed',
};

/** A node's share of disk at which its bar turns to a warning (AWS advises 20% free). */
const DISK_HIGH = 0.8;

const percent = (value: number | null) => (value === null ? '—' : `${Math.round(value * 100) / 100}%`);
const ratio = (value: number | null) => (value === null ? '—' : (Math.round(value * 100) / 100).toString());
const tableName = (row: TableHealthRow) => `${row.schema}.${row.table}`;

/** What a fix changed, field by field, as the operator reads them in the list. */
function changes(before: TableHealthRow, after: TableHealthRow): { label: string; before: string; after: string }[] {
  const fields: [string, (row: TableHealthRow) => string][] = [
    ['Distribution', (row) => row.diststyle],
    ['skew_rows', (row) => ratio(row.skewRows)],
    ['Unsorted', (row) => percent(row.unsorted)],
    ['Stats off', (row) => percent(row.statsOff)],
    ['Rows', (row) => count(row.rows)],
    ['Size (MB)', (row) => count(row.sizeMb)],
    ['Encoded', (row) => (row.encoded ? 'yes' : 'no')],
  ];
  return fields
    .map(([label, read]) => ({ label, before: read(before), after: read(after) }))
    .filter((change) => change.before !== change.after);
}

function DiskBars({ nodes }: { nodes: NodeDisk[] }) {
  return (
    <ul className="disk-bars" aria-label="Disk use per node">
      {nodes.map((node) => {
        const share = node.capacityMb > 0 ? node.usedMb / node.capacityMb : 0;
        return (
          <li key={node.node}>
            <span>Node {node.node}</span>
            <meter
              aria-label={`Node ${node.node} disk`}
              min={0}
              max={node.capacityMb}
              value={node.usedMb}
              high={node.capacityMb * DISK_HIGH}
              optimum={0}
            />
            <span className="num">
              {count(node.usedMb)} / {count(node.capacityMb)} MB ({Math.round(share * 100)}%)
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** A measured value, marked when a problem of the table is about it. */
function Measure({ text, problem }: { text: string; problem: TableProblem | undefined }) {
  return (
    <td className={problem ? 'num over' : 'num'} title={problem?.reason}>
      {text}
    </td>
  );
}

/**
 * Every table of the warehouse with svv_table_info's measures, most trouble first, each problem with the
 * statement that fixes it: shown first, run only on Run, then the table's new measures beside the old.
 */
export default function TableHealth({ connectionId }: OperationsTabProps) {
  const client = useClient();
  const health = useCall('warehouse.tableHealth', { connectionId });
  const { error, act } = useAction();
  const [shown, setShown] = useState<{ row: TableHealthRow; problem: TableProblem }>();
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<TableFixResult>();

  const run = (row: TableHealthRow, problem: TableProblem) =>
    act(async () => {
      setRunning(true);
      try {
        const answer = await client.call('warehouse.fixTable', { connectionId, tableId: row.tableId, fix: problem.fix.kind });
        setResult(answer);
        setShown(undefined);
        health.reload();
      } finally {
        setRunning(false);
      }
    });

  const of = (row: TableHealthRow, kind: TableProblemKind) => row.problems.find((problem) => problem.kind === kind);
  const data = health.data;

  return (
    <div className="table-health">
      <div className="row">
        <button type="button" onClick={health.reload}>
          Refresh
        </button>
        {data && (
          <span className="muted">
            {count(data.tables.length)} table{data.tables.length === 1 ? '' : 's'}, most trouble first
          </span>
        )}
      </div>
      <ErrorMessage error={health.error} />
      {data && (
        <>
          <h3>Disk</h3>
          <DiskBars nodes={data.nodes} />
          {data.diskWarning && (
            <p className="error" role="alert">
              {data.diskWarning}
            </p>
          )}
          <h3>Tables</h3>
          <table className="table ops-table" aria-label="Table health">
            <Headings
              names={[
                'Table',
                'Size (MB)',
                'Rows',
                'skew_rows',
                'Unsorted',
                'Stats off',
                'Distribution',
                'Sort key',
                'Encoded',
                'Problems',
              ]}
              numeric={['Size (MB)', 'Rows', 'skew_rows', 'Unsorted', 'Stats off']}
            />
            <tbody>
              {data.tables.length === 0 && (
                <tr>
                  <td colSpan={10} className="muted">
                    No tables in this database yet: create one in the Workbench, or load one with COPY in the Pipeline.
                  </td>
                </tr>
              )}
              {data.tables.map((row) => (
                <tr key={row.tableId} aria-label={tableName(row)}>
                  <td>
                    <code>{tableName(row)}</code>
                  </td>
                  <td className="num">{count(row.sizeMb)}</td>
                  <td className="num">{count(row.rows)}</td>
                  <Measure text={ratio(row.skewRows)} problem={of(row, 'skew')} />
                  <Measure text={percent(row.unsorted)} problem={of(row, 'unsorted')} />
                  <Measure text={percent(row.statsOff)} problem={of(row, 'stale-stats')} />
                  <td>{row.diststyle}</td>
                  <td>{row.sortkey ?? '—'}</td>
                  <td className={of(row, 'unencoded') ? 'over' : undefined}>{row.encoded ? 'yes' : 'no'}</td>
                  <td>
                    {row.problems.length === 0 ? (
                      <span className="muted">healthy</span>
                    ) : (
                      <ul className="problems">
                        {row.problems.map((problem) => (
                          <li key={problem.kind}>
                            <span title={problem.reason}>{PROBLEM_NAMES[problem.kind]}</span>{' '}
                            <button
                              type="button"
                              aria-label={`Show fix: ${PROBLEM_NAMES[problem.kind]} of ${tableName(row)}`}
                              onClick={() => {
                                setShown({ row, problem });
                                setResult(undefined);
                              }}
                            >
                              Show fix
                            </button>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {shown && (
        <section className="panel fix" aria-label={`Fix for ${tableName(shown.row)}`}>
          <h3>
            {PROBLEM_NAMES[shown.problem.kind]} of <code>{tableName(shown.row)}</code>
          </h3>
          <p>{shown.problem.reason}</p>
          <pre aria-label="Fix statement">{shown.problem.fix.statement}</pre>
          <div className="row">
            <button type="button" className="primary" disabled={running} onClick={() => void run(shown.row, shown.problem)}>
              {running ? 'Running…' : 'Run'}
            </button>
            <button type="button" disabled={running} onClick={() => setShown(undefined)}>
              Cancel
            </button>
          </div>
        </section>
      )}
      <ErrorMessage error={error} />
      {result && (
        <section className="panel fix" aria-label={`Fixed ${tableName(result.before)}`}>
          <h3>
            Ran on <code>{tableName(result.before)}</code>
          </h3>
          <pre>{result.statement}</pre>
          {result.after ? (
            <table className="table ops-table" aria-label="Before and after">
              <Headings names={['Measure', 'Before', 'After']} numeric={['Before', 'After']} />
              <tbody>
                {changes(result.before, result.after).map((change) => (
                  <tr key={change.label} aria-label={change.label}>
                    <td>{change.label}</td>
                    <td className="num">{change.before}</td>
                    <td className="num">{change.after}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">The table no longer appears in svv_table_info.</p>
          )}
        </section>
      )}
    </div>
  );
}
