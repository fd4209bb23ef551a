import { useState } from 'react';
import type { CopyOutcome, InputOf, TableFromParquet } from '../../../../shared/contract';
import type { RpcClient } from '../../../../shared/rpc-client';
import { useClient } from '../../bridge/client-context';
import { useAction, useCall } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { CellTable } from './CellTable';
import { CURATED_PREFIX } from './facts';
import { count } from './format';

type Format = 'parquet' | 'csv' | 'json';

/** The first Parquet object under a prefix (depth first, a bounded number of listings): the schema to create a table from. */
async function firstParquet(client: RpcClient, bucket: string, prefix: string): Promise<string | undefined> {
  const queue = [prefix];
  for (let asked = 0; queue.length && asked < 20; asked++) {
    const at = queue.shift()!;
    const page = await client.call('pipeline.list', { bucket, prefix: at, limit: 200 });
    const hit = page.objects.find((o) => o.key.endsWith('.parquet') && o.size > 0);
    if (hit) return hit.key;
    queue.unshift(...page.prefixes);
  }
  return undefined;
}

const splitUri = (uri: string): { bucket: string; prefix: string } | undefined => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return match ? { bucket: match[1]!, prefix: match[2]! } : undefined;
};

export function CopyWizard({
  bucket,
  connectionId,
  onLoaded,
}: {
  bucket: string | undefined;
  connectionId: string | undefined;
  onLoaded: () => void;
}) {
  const client = useClient();
  const { error, act } = useAction();
  // The role candidates come from provisioning's options when that is available; an ARN can always be typed.
  const options = useCall('provision.options', {});
  const [sourceDraft, setSource] = useState<string>();
  const [browse, setBrowse] = useState<{ prefix: string; prefixes: string[]; objects: number }>();
  const [table, setTable] = useState('access_logs');
  const [schema, setSchema] = useState('');
  const [format, setFormat] = useState<Format>('parquet');
  const [iamRole, setIamRole] = useState('');
  const [ignoreHeader, setIgnoreHeader] = useState('');
  const [delimiter, setDelimiter] = useState('');
  const [maxError, setMaxError] = useState('');
  const [create, setCreate] = useState(false);
  const [proposal, setProposal] = useState<TableFromParquet>();
  const [ddl, setDdl] = useState('');
  const [sql, setSql] = useState<string>();
  const [outcome, setOutcome] = useState<CopyOutcome>();
  const [running, setRunning] = useState(false);

  const candidates = options.data?.roles.redshiftCandidates ?? [];
  // Until edited: the curated data of the picked bucket, and the first role provisioning knows of.
  const source = sourceDraft ?? (bucket ? `s3://${bucket}/${CURATED_PREFIX}` : '');
  const role = iamRole || candidates[0]?.arn || '';

  const spec = (): InputOf<'pipeline.copyPreview'> => ({
    table,
    ...(schema ? { schema } : {}),
    source,
    format,
    iamRole: role,
    ...(format === 'csv' && ignoreHeader ? { ignoreHeader: Number(ignoreHeader) } : {}),
    ...(format === 'csv' && delimiter ? { delimiter } : {}),
    ...(maxError ? { maxError: Number(maxError) } : {}),
  });

  const browseTo = (prefix: string) =>
    act(async () => {
      if (!bucket) return;
      const page = await client.call('pipeline.list', { bucket, prefix, limit: 200 });
      setBrowse({ prefix, prefixes: page.prefixes, objects: page.objects.length });
    });

  const propose = () =>
    act(async () => {
      const at = splitUri(source);
      if (!at) return;
      const key = at.prefix.endsWith('.parquet') ? at.prefix : await firstParquet(client, at.bucket, at.prefix);
      if (!key) throw new Error(`No Parquet object under ${source}`);
      const answer = await client.call('pipeline.tableFromParquet', {
        source: `s3://${at.bucket}/${key}`,
        table,
        ...(schema ? { schema } : {}),
      });
      setProposal(answer);
      setDdl(answer.ddl);
    });

  const run = () =>
    act(async () => {
      if (!connectionId) return;
      setRunning(true);
      setOutcome(undefined);
      try {
        const answer = await client.call('pipeline.copyRun', {
          ...spec(),
          connectionId,
          ...(create && ddl.trim() ? { createTable: ddl } : {}),
        });
        setOutcome(answer);
        setSql(answer.sql);
        // The Redshift stage reads the warehouse's own load history again: it now holds this load.
        onLoaded();
      } finally {
        setRunning(false);
      }
    });

  if (!bucket) return <p className="muted">Pick a bucket above: the COPY reads from it.</p>;

  return (
    <div className="copy-wizard">
      <section className="panel" aria-label="COPY wizard">
        <h2>COPY into Redshift</h2>
        <ol className="copy-steps">
          <li>
            <h3>Source</h3>
            <div className="row">
              <label className="grow">
                S3 prefix or object
                <input value={source} onChange={(e) => setSource(e.target.value)} spellCheck={false} className="wide" />
              </label>
              <button
                type="button"
                onClick={() =>
                  void browseTo(splitUri(source)?.bucket === bucket ? (splitUri(source)?.prefix ?? '').replace(/[^/]*$/, '') : '')
                }
              >
                Browse…
              </button>
            </div>
            {browse && (
              <div className="copy-browse" role="group" aria-label="Pick a prefix">
                <p className="small">
                  <code>
                    s3://{bucket}/{browse.prefix}
                  </code>{' '}
                  · {browse.objects} objects here{' '}
                  <button type="button" onClick={() => setSource(`s3://${bucket}/${browse.prefix}`)}>
                    Use this prefix
                  </button>{' '}
                  {browse.prefix && (
                    <button type="button" className="link" onClick={() => void browseTo(browse.prefix.replace(/[^/]*\/$/, ''))}>
                      up
                    </button>
                  )}{' '}
                  <button type="button" className="link" onClick={() => setBrowse(undefined)}>
                    close
                  </button>
                </p>
                <ul className="plain small">
                  {browse.prefixes.map((p) => (
                    <li key={p}>
                      <button type="button" className="link" onClick={() => void browseTo(p)}>
                        {p.slice(browse.prefix.length)}
                      </button>
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </li>
          <li>
            <h3>Target table</h3>
            <div className="row">
              <label>
                <span>
                  Schema <span className="muted">(optional)</span>
                </span>
                <input value={schema} onChange={(e) => setSchema(e.target.value)} spellCheck={false} />
              </label>
              <label>
                Table
                <input value={table} onChange={(e) => setTable(e.target.value)} spellCheck={false} />
              </label>
              <label>
                <input type="checkbox" checked={create} onChange={(e) => setCreate(e.target.checked)} /> Create it from the Parquet schema
              </label>
              {create && (
                <button type="button" onClick={() => void propose()}>
                  Propose CREATE TABLE
                </button>
              )}
            </div>
            {create && proposal && (
              <div className="small">
                <p className="muted">
                  From <code>{proposal.source}</code>
                  {proposal.distKey ? ` · DISTKEY ${proposal.distKey}` : ''}
                  {proposal.sortKey ? ` · SORTKEY ${proposal.sortKey}` : ''}
                </p>
                {proposal.reasons.length > 0 && (
                  <ul>
                    {proposal.reasons.map((r, i) => (
                      <li key={i}>{r}</li>
                    ))}
                  </ul>
                )}
              </div>
            )}
            {create && (
              <textarea
                aria-label="CREATE TABLE statement"
                className="sql-text"
                rows={Math.min(14, Math.max(4, ddl.split('\n').length + 1))}
                value={ddl}
                onChange={(e) => setDdl(e.target.value)}
                spellCheck={false}
                placeholder="CREATE TABLE … (propose one from the Parquet schema, or write it)"
              />
            )}
          </li>
          <li>
            <h3>Format and role</h3>
            <div className="row">
              <label>
                Format
                <select value={format} onChange={(e) => setFormat(e.target.value as Format)}>
                  <option value="parquet">Parquet</option>
                  <option value="csv">CSV</option>
                  <option value="json">JSON (auto)</option>
                </select>
              </label>
              {format === 'csv' && (
                <>
                  <label>
                    Header lines
                    <input
                      type="number"
                      min={0}
                      value={ignoreHeader}
                      onChange={(e) => setIgnoreHeader(e.target.value)}
                      style={{ width: 70 }}
                    />
                  </label>
                  <label>
                    Delimiter
                    <input value={delimiter} maxLength={1} onChange={(e) => setDelimiter(e.target.value)} style={{ width: 40 }} />
                  </label>
                </>
              )}
              <label>
                MAXERROR
                <input type="number" min={0} value={maxError} onChange={(e) => setMaxError(e.target.value)} style={{ width: 80 }} />
              </label>
              <label className="grow">
                IAM role
                <input
                  list="copy-roles"
                  value={role}
                  onChange={(e) => setIamRole(e.target.value.trim())}
                  placeholder="arn:aws:iam::123456789012:role/…"
                  spellCheck={false}
                  className="wide"
                />
                <datalist id="copy-roles">
                  {candidates.map((c) => (
                    <option key={c.arn} value={c.arn}>
                      {c.name}
                    </option>
                  ))}
                </datalist>
              </label>
            </div>
          </li>
          <li>
            <h3>Preview and run</h3>
            <div className="row">
              <button type="button" onClick={() => void act(async () => setSql((await client.call('pipeline.copyPreview', spec())).sql))}>
                Preview COPY
              </button>
              <button type="button" disabled={!connectionId || running} onClick={() => void run()}>
                {running ? 'Running…' : 'Run COPY'}
              </button>
              {!connectionId && <span className="muted small">Pick a Redshift connection above to run it.</span>}
            </div>
            {sql && (
              <pre className="log" aria-label="COPY statement">
                {sql}
              </pre>
            )}
          </li>
        </ol>
        <ErrorMessage error={error} />
      </section>
      {outcome && <Outcome outcome={outcome} />}
    </div>
  );
}

function Outcome({ outcome }: { outcome: CopyOutcome }) {
  return (
    <section className="panel" aria-label="COPY outcome" data-ok={outcome.ok}>
      <h2>{outcome.ok ? 'Loaded' : 'COPY failed'}</h2>
      {outcome.ok ? (
        <p role="status">
          {outcome.rowsLoaded !== undefined ? `${count(outcome.rowsLoaded)} rows loaded` : 'Loaded'}
          {outcome.created ? ' · table created' : ''}
        </p>
      ) : (
        <p role="alert" className="error-text">
          {outcome.error}
          {outcome.created ? ' (the table was created)' : ''}
        </p>
      )}
      {outcome.messages.length > 0 && (
        <ul className="small">
          {outcome.messages.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
      {!outcome.ok && outcome.loadErrors && (
        <>
          <h3>
            {outcome.loadErrors.source} · {count(outcome.loadErrors.total)} rows
            {outcome.loadErrors.rows.length < outcome.loadErrors.total ? ` (first ${outcome.loadErrors.rows.length})` : ''}
          </h3>
          <CellTable label="Load errors" columns={outcome.loadErrors.columns} rows={outcome.loadErrors.rows} />
        </>
      )}
    </section>
  );
}
