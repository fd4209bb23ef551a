import { useState } from 'react';
import type { RejectedLine } from '../../../../shared/contract';
import { useClient } from '../../bridge/client-context';
import { useAction } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { visible } from './format';

const SHOWN_LINES = 20;

/** The rejects folder of a run summary (s3://bucket/prefix/), split for the S3 operations. */
function folderOf(uri: unknown): { bucket: string; prefix: string } | undefined {
  const match = typeof uri === 'string' ? /^s3a?:\/\/([^/]+)\/(.+\/)$/.exec(uri) : null;
  return match ? { bucket: match[1]!, prefix: match[2]! } : undefined;
}

/**
 * What raw_to_parquet set aside, by reason (its summary's `rejected`), each
 * reason's first lines read from the run's rejects folder on demand.
 */
export function RejectsPanel({ summary }: { summary: Record<string, unknown> }) {
  const client = useClient();
  const { error, act } = useAction();
  const [shown, setShown] = useState<{ reason: string; lines: RejectedLine[] }>();
  const rejected = summary.rejected;
  const folder = folderOf(summary.rejects);
  if (!rejected || typeof rejected !== 'object' || Object.keys(rejected).length === 0) return null;
  const counts = Object.entries(rejected as Record<string, number>);

  const open = (reason: string) =>
    act(async () => {
      if (!folder) return;
      const lines = await client.call('pipeline.rejects', { ...folder, reason, limit: SHOWN_LINES });
      setShown({ reason, lines });
    });

  return (
    <details open className="small">
      <summary>Rejected lines by reason</summary>
      <table className="table small" aria-label="Rejects by reason">
        <thead>
          <tr>
            <th>Reason</th>
            <th className="num">Lines</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {counts.map(([reason, count]) => (
            <tr key={reason}>
              <td>
                <code>{reason}</code>
              </td>
              <td className="num">{count.toLocaleString()}</td>
              <td>
                {folder && (
                  <button type="button" onClick={() => void open(reason)}>
                    Show lines
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorMessage error={error} />
      {shown && (
        <>
          <h3 className="log-title">
            First {shown.lines.length} <code>{shown.reason}</code> line{shown.lines.length === 1 ? '' : 's'}
          </h3>
          <pre className="log" aria-label="Rejected lines">
            {shown.lines.map((l) => visible(l.line)).join('\n') || '(none found)'}
          </pre>
        </>
      )}
    </details>
  );
}
