import { useState } from 'react';
import { IAM_ROLE_ARN, isS3Prefix, unloadStatement, type UnloadTarget } from '../../../../shared/sql/unload';

/** Sends a Redshift result to S3 with UNLOAD instead of downloading it: Redshift writes it in parallel, nothing passes through the app. */
export function UnloadForm({ query, onRun, onClose }: { query: string; onRun: (sql: string) => void; onClose: () => void }) {
  const [s3Prefix, setS3Prefix] = useState('s3://');
  const [iamRole, setIamRole] = useState('');
  const [format, setFormat] = useState<UnloadTarget['format']>('PARQUET');
  const problem = !isS3Prefix(s3Prefix)
    ? 'An S3 prefix like s3://bucket/exports/name/'
    : !IAM_ROLE_ARN.test(iamRole)
      ? 'The ARN of a role Redshift may use to write to the bucket'
      : undefined;
  return (
    <form
      className="panel"
      aria-label="Unload to S3"
      onSubmit={(e) => {
        e.preventDefault();
        if (!problem) onRun(unloadStatement(query, { s3Prefix, iamRole, format }));
      }}
    >
      <h2>Unload the result to S3</h2>
      <div className="row">
        <label>
          S3 prefix <input value={s3Prefix} onChange={(e) => setS3Prefix(e.target.value.trim())} size={40} />
        </label>
        <label>
          IAM role{' '}
          <input
            value={iamRole}
            onChange={(e) => setIamRole(e.target.value.trim())}
            size={50}
            placeholder="arn:aws:iam::123456789012:role/…"
          />
        </label>
        <label>
          Format{' '}
          <select value={format} onChange={(e) => setFormat(e.target.value as UnloadTarget['format'])}>
            <option value="PARQUET">Parquet</option>
            <option value="CSV">CSV</option>
            <option value="JSON">JSON</option>
          </select>
        </label>
      </div>
      {problem && <p className="muted">{problem}</p>}
      <div className="row">
        <button type="submit" disabled={!!problem}>
          Run UNLOAD
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}
