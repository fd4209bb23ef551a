import { useCallback, useEffect, useState } from 'react';
import type { S3Entry, S3Listing, S3Preview, TransferChunk } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError, useStreamAction } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { FileField, useFiles, type FileChoice } from '../../components/FileField';
import { CellTable } from './CellTable';
import { bytes, time } from './format';

interface Transfer {
  kind: 'upload' | 'download';
  key: string;
  /** The local file as the operator named it (`file.ref` is what the core checks). */
  file: FileChoice;
  bytes: number;
  total?: number;
  done?: string;
  error?: AppError;
}

function transferStep(current: Transfer, chunk: TransferChunk): Transfer {
  return chunk.kind === 'progress'
    ? { ...current, bytes: chunk.bytes, ...(chunk.total !== undefined ? { total: chunk.total } : {}) }
    : { ...current, bytes: chunk.bytes, total: current.total ?? chunk.bytes, done: chunk.location };
}

const baseName = (key: string) => key.replace(/\/$/, '').split('/').at(-1) ?? key;
const parentOf = (prefix: string) => prefix.replace(/[^/]*\/$/, '');

export function S3Browser({
  bucket,
  jumpTo,
  onChanged,
}: {
  bucket: string | undefined;
  jumpTo: { prefix: string; at: number };
  onChanged: () => void;
}) {
  const client = useClient();
  const files = useFiles();
  // The operator's own navigation, until a stage link jumps somewhere newer.
  const [nav, setNav] = useState<{ at: number; prefix: string }>();
  const prefix = nav && nav.at >= jumpTo.at ? nav.prefix : jumpTo.prefix;
  const setPrefix = (next: string) => setNav({ at: jumpTo.at, prefix: next });
  const [listed, setListing] = useState<{ where: string; page: S3Listing }>();
  const [listError, setListError] = useState<AppError>();
  const [generation, setGeneration] = useState(0);
  const [picked, setSelected] = useState<{ where: string; entry: S3Entry }>();
  const [preview, setPreview] = useState<S3Preview>();
  const [previewError, setPreviewError] = useState<AppError>();
  const [uploadFile, setUploadFile] = useState<FileChoice>();
  const [uploadName, setUploadName] = useState('');
  const [downloadFile, setDownloadFile] = useState<FileChoice>();
  // Leaving the browser does not cancel a transfer: the object or the file still lands.
  const transfers = useStreamAction<'pipeline.upload' | 'pipeline.download', Transfer>({
    reduce: transferStep,
    settle: (current, error) => (error ? { ...current, error } : current),
    onSettled: (current, error) => {
      if (!error && current.kind === 'upload') {
        setGeneration((g) => g + 1);
        onChanged();
      }
    },
    onUnmount: 'continue',
  });
  const transfer = transfers.state;

  const where = `${bucket ?? ''}/${prefix}`;
  const listing = listed?.where === where ? listed.page : undefined;
  const selected = picked && picked.where === where ? picked.entry : undefined;

  useEffect(() => {
    if (!bucket) return;
    const controller = new AbortController();
    client.call('pipeline.list', { bucket, prefix }, controller.signal).then(
      (page) => {
        setListing({ where: `${bucket}/${prefix}`, page });
        setListError(undefined);
      },
      (caught: unknown) => !controller.signal.aborted && setListError(toAppError(caught)),
    );
    return () => controller.abort();
  }, [client, bucket, prefix, generation]);

  const more = () => {
    if (!bucket || !listing?.nextToken) return;
    client.call('pipeline.list', { bucket, prefix, token: listing.nextToken }).then(
      (page) =>
        setListing((current) =>
          current && current.where === where
            ? {
                where,
                page: {
                  ...page,
                  prefixes: [...current.page.prefixes, ...page.prefixes],
                  objects: [...current.page.objects, ...page.objects],
                },
              }
            : { where, page },
        ),
      (caught: unknown) => setListError(toAppError(caught)),
    );
  };

  const open = useCallback(
    (entry: S3Entry) => {
      if (!bucket) return;
      setSelected({ where: `${bucket}/${prefix}`, entry });
      setPreview(undefined);
      setPreviewError(undefined);
      client
        .call('pipeline.preview', { bucket, key: entry.key })
        .then(setPreview, (caught: unknown) => setPreviewError(toAppError(caught)));
    },
    [client, bucket, prefix],
  );

  const startTransfer = (kind: 'upload' | 'download', key: string, file: FileChoice, overwrite = false) => {
    if (!bucket) return;
    const initial: Transfer = { kind, key, file, bytes: 0 };
    if (kind === 'upload') transfers.start('pipeline.upload', { bucket, key, path: file.ref }, initial);
    else transfers.start('pipeline.download', { bucket, key, path: file.ref, overwrite }, initial);
  };

  /** The desktop app asks where to save in its own dialog; the web host takes the typed name, or the object's. */
  const download = async (key: string) => {
    if (files.naming?.kind !== 'dialog') {
      startTransfer('download', key, downloadFile ?? { ref: baseName(key), name: baseName(key) });
      return;
    }
    try {
      const chosen = await files.choose({ purpose: 'save', title: `Download s3://${bucket}/${key}`, suggestedName: baseName(key) });
      if (chosen) startTransfer('download', key, chosen);
    } catch (caught) {
      setPreviewError(toAppError(caught));
    }
  };

  if (!bucket) return <p className="muted">Pick a bucket above to browse it.</p>;

  const crumbs = prefix.split('/').filter(Boolean);
  const uploadKey = prefix + (uploadName || baseName((uploadFile?.name ?? '').replace(/\\/g, '/')));
  const transferring = transfer && !transfer.done && !transfer.error;
  const percent = transfer?.total ? Math.min(100, (transfer.bytes / transfer.total) * 100) : undefined;

  return (
    <div className="s3-browser">
      <section className="panel s3-listing" aria-label="Bucket contents">
        <nav className="s3-crumbs" aria-label="Prefix">
          <button type="button" className="link" onClick={() => setPrefix('')}>
            s3://{bucket}/
          </button>
          {crumbs.map((part, i) => (
            <span key={i}>
              <button type="button" className="link" onClick={() => setPrefix(crumbs.slice(0, i + 1).join('/') + '/')}>
                {part}/
              </button>
            </span>
          ))}
          <button type="button" onClick={() => setGeneration((g) => g + 1)}>
            Reload
          </button>
        </nav>
        <ErrorMessage error={listError} />
        <table className="table small s3-table" aria-label="Objects">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Size</th>
              <th>Modified</th>
            </tr>
          </thead>
          <tbody>
            {prefix && (
              <tr>
                <td colSpan={3}>
                  <button type="button" className="link" onClick={() => setPrefix(parentOf(prefix))}>
                    ../
                  </button>
                </td>
              </tr>
            )}
            {listing?.prefixes.map((p) => (
              <tr key={p} data-kind="prefix">
                <td colSpan={3}>
                  <button type="button" className="link" onClick={() => setPrefix(p)}>
                    {baseName(p)}/
                  </button>
                </td>
              </tr>
            ))}
            {listing?.objects.map((o) => (
              <tr key={o.key} data-kind="object" aria-selected={selected?.key === o.key}>
                <td>
                  <button type="button" className="link" onClick={() => open(o)}>
                    {baseName(o.key)}
                  </button>
                </td>
                <td className="num">{bytes(o.size)}</td>
                <td>{time(o.lastModified)}</td>
              </tr>
            ))}
            {listing && listing.prefixes.length === 0 && listing.objects.length === 0 && (
              <tr>
                <td colSpan={3} className="muted">
                  Nothing under this prefix.
                </td>
              </tr>
            )}
            {!listing && !listError && (
              <tr>
                <td colSpan={3} className="muted">
                  Listing…
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {listing?.nextToken && (
          <button type="button" onClick={more}>
            Load more
          </button>
        )}
        <form
          className="s3-upload"
          aria-label="Upload"
          onSubmit={(e) => {
            e.preventDefault();
            if (uploadFile) startTransfer('upload', uploadKey, uploadFile);
          }}
        >
          <h3>
            Upload to s3://{bucket}/{prefix}
          </h3>
          <FileField
            label="Local file"
            purposes={['open-file']}
            title={`Upload to s3://${bucket}/${prefix}`}
            placeholder="sample.json"
            value={uploadFile}
            onChange={setUploadFile}
          />
          <label>
            <span>
              Object name <span className="muted">(the file’s name when empty)</span>
            </span>
            <input value={uploadName} onChange={(e) => setUploadName(e.target.value)} spellCheck={false} className="wide" />
          </label>
          <button type="submit" disabled={!uploadFile || !!transferring || uploadKey.endsWith('/')}>
            Upload
          </button>
        </form>
        {transfer && (
          <div className="transfer" role="group" aria-label="Transfer">
            <p className="small" role="status" aria-label="Transfer status">
              {transfer.kind === 'upload' ? 'Upload' : 'Download'}{' '}
              {transfer.kind === 'upload' ? `${transfer.file.name} → ${transfer.key}` : `${transfer.key} → ${transfer.file.name}`}:{' '}
              {transfer.done
                ? `done, ${bytes(transfer.bytes)}`
                : transfer.error
                  ? 'failed'
                  : `${bytes(transfer.bytes)}${transfer.total ? ` of ${bytes(transfer.total)}` : ''}`}
            </p>
            <progress max={100} value={transfer.done ? 100 : percent} aria-label="Transfer progress" />
            {transferring && (
              <button type="button" onClick={transfers.cancel}>
                Cancel
              </button>
            )}
            <ErrorMessage error={transfer.error} />
            {transfer.error?.code === 'CONFLICT' && transfer.kind === 'download' && (
              <button type="button" onClick={() => startTransfer('download', transfer.key, transfer.file, true)}>
                Replace {transfer.file.name}
              </button>
            )}
          </div>
        )}
      </section>

      <section className="panel s3-preview" aria-label="Object preview">
        {!selected ? (
          <p className="muted">Pick an object to preview it.</p>
        ) : (
          <>
            <h2 className="s3-preview-title">
              <code>{selected.key}</code> <span className="muted">{bytes(selected.size)}</span>
            </h2>
            <form
              className="row"
              aria-label="Download"
              onSubmit={(e) => {
                e.preventDefault();
                void download(selected.key);
              }}
            >
              {files.naming?.kind === 'workspace' && (
                <FileField
                  label="Save to"
                  purposes={['save']}
                  title="Save to"
                  placeholder={baseName(selected.key)}
                  value={downloadFile}
                  onChange={setDownloadFile}
                />
              )}
              <button type="submit" disabled={!!transferring}>
                {files.naming?.kind === 'dialog' ? 'Download…' : 'Download'}
              </button>
            </form>
            <ErrorMessage error={previewError} />
            {!preview && !previewError && <p className="muted">Loading the preview…</p>}
            {preview && <PreviewBody preview={preview} />}
          </>
        )}
      </section>
    </div>
  );
}

function PreviewBody({ preview }: { preview: S3Preview }) {
  if (preview.kind === 'binary')
    return (
      <p className="muted">A binary object{preview.contentType ? ` (${preview.contentType})` : ''}: no preview. Download it instead.</p>
    );
  if (preview.kind === 'text') {
    let text = preview.text;
    if (preview.json && !preview.truncated) {
      try {
        text = JSON.stringify(JSON.parse(preview.text), null, 2);
      } catch {
        // JSON lines, or not quite JSON: shown as it is.
      }
    }
    return (
      <>
        <p className="small muted">
          {preview.json ? 'JSON' : 'Text'}
          {preview.contentType ? ` · ${preview.contentType}` : ''}
          {preview.truncated ? ' · first 64 KB' : ''}
        </p>
        <pre className="log s3-text" aria-label="Preview text">
          {text}
        </pre>
      </>
    );
  }
  return (
    <>
      <p className="small muted">Parquet · {preview.rowCount.toLocaleString('en-US')} rows</p>
      <h3>Schema</h3>
      <table className="table small" aria-label="Parquet schema">
        <thead>
          <tr>
            <th>Column</th>
            <th>Parquet type</th>
            <th>Redshift type</th>
            <th>Nullable</th>
          </tr>
        </thead>
        <tbody>
          {preview.columns.map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td>
              <td>
                <code>{c.parquetType}</code>
              </td>
              <td>
                <code>{c.redshiftType}</code>
              </td>
              <td>{c.nullable ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>First {preview.rows.length} rows</h3>
      <CellTable label="Parquet rows" columns={preview.gridColumns} rows={preview.rows} />
    </>
  );
}
