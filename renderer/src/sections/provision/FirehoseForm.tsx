import { FIREHOSE_LIMITS } from '../../../../shared/contract';
import { useCall } from '../../bridge/hooks';
import { CheckField, NumberField, RadioField, SelectField, TextField } from './fields';
import { getPath } from './format';
import type { FormProps } from './form-model';

const text = (draft: Record<string, unknown>, path: string, fallback = '') => {
  const value = getPath(draft, path);
  return typeof value === 'string' ? value : fallback;
};
const count = (draft: Record<string, unknown>, path: string, fallback: number) => {
  const value = getPath(draft, path);
  return typeof value === 'number' ? value : fallback;
};

/** The names to pick from, the draft's own first when it is not (or not yet) among them, so the select never shows blank. */
const withCurrent = (names: string[], current: string) =>
  (current && !names.includes(current) ? [current, ...names] : names).map((name) => ({ value: name, label: name }));

/**
 * A Firehose stream: its source (direct PUT or the pipeline's Kinesis stream), the raw bucket with buffering and
 * prefixes, and optionally Redshift through that bucket, logging in with a saved connection's stored password.
 */
export function FirehoseForm({ draft, set, messages, options }: FormProps) {
  const connections = useCall('connections.list', {});
  const streams = useCall('ingest.streams', {});
  const source = text(draft, 'source.mode', 'direct-put');
  const redshift = getPath(draft, 'redshift') !== undefined;
  // Only saved password connections can give Firehose a login; the password stays in the secret store until creation.
  const logins = (connections.data ?? []).filter((c) => c.engine === 'redshift' && !c.builtIn && c.hasPassword);
  return (
    <>
      <TextField
        label="Firehose stream name"
        value={text(draft, 'name')}
        onChange={(v) => set('name', v)}
        messages={messages('name')}
        hint="Letters, digits, _ . and -; up to 64."
      />
      <RadioField
        legend="Source"
        name="firehose-source"
        value={source}
        onChange={(v) =>
          set('source', v === 'kinesis' ? { mode: 'kinesis', streamName: streams.data?.[0]?.name ?? '' } : { mode: 'direct-put' })
        }
        options={[
          { value: 'direct-put', label: 'Direct PUT (PutRecord, PutRecordBatch)' },
          { value: 'kinesis', label: 'The pipeline’s Kinesis stream' },
        ]}
      />
      {source === 'kinesis' && (
        <SelectField
          label="Kinesis stream"
          value={text(draft, 'source.streamName')}
          onChange={(v) => set('source.streamName', v)}
          messages={messages('source.streamName')}
          options={withCurrent(
            (streams.data ?? []).map((s) => s.name),
            text(draft, 'source.streamName'),
          )}
        />
      )}
      <SelectField
        label="Raw bucket"
        value={text(draft, 'bucket')}
        onChange={(v) => set('bucket', v)}
        messages={messages('bucket')}
        options={withCurrent(options?.buckets ?? [], text(draft, 'bucket'))}
      />
      <TextField
        label="Prefix"
        value={text(draft, 'prefix')}
        onChange={(v) => set('prefix', v === '' ? undefined : v)}
        messages={messages('prefix')}
        placeholder="yyyy/MM/dd/HH/ (Firehose’s default)"
        hint="May use !{timestamp:yyyy-MM-dd} and !{firehose:random-string}."
        wide
      />
      <TextField
        label="Error output prefix"
        value={text(draft, 'errorOutputPrefix')}
        onChange={(v) => set('errorOutputPrefix', v === '' ? undefined : v)}
        messages={messages('errorOutputPrefix')}
        hint="Where failed records and skipped COPY manifests go; may use !{firehose:error-output-type}."
        wide
      />
      <NumberField
        label="Buffer size (MiB)"
        value={count(draft, 'buffering.sizeMiB', 5)}
        onChange={(v) => set('buffering.sizeMiB', v)}
        messages={messages('buffering.sizeMiB')}
        min={FIREHOSE_LIMITS.minSizeMiB}
        max={FIREHOSE_LIMITS.maxSizeMiB}
      />
      <NumberField
        label="Buffer interval (seconds)"
        value={count(draft, 'buffering.intervalSeconds', 300)}
        onChange={(v) => set('buffering.intervalSeconds', v)}
        messages={messages('buffering.intervalSeconds')}
        min={FIREHOSE_LIMITS.minIntervalSeconds}
        max={FIREHOSE_LIMITS.maxIntervalSeconds}
        hint="An object is written when either is reached first."
      />
      <SelectField
        label="Compression"
        value={text(draft, 'compression', 'UNCOMPRESSED')}
        onChange={(v) => set('compression', v)}
        messages={messages('compression')}
        options={[
          { value: 'UNCOMPRESSED', label: 'None' },
          { value: 'GZIP', label: 'GZIP' },
        ]}
      />
      <TextField
        label="IAM role Firehose assumes"
        value={text(draft, 'roleArn')}
        onChange={(v) => set('roleArn', v)}
        messages={messages('roleArn')}
        hint="The preview shows the role’s trust and policy."
        wide
      />
      <CheckField
        label="Also COPY into Redshift"
        checked={redshift}
        onChange={(v) => set('redshift', v ? { connectionId: logins[0]?.id ?? '', table: 'access_logs' } : undefined)}
      />
      {redshift && (
        <>
          <SelectField
            label="Redshift connection"
            value={text(draft, 'redshift.connectionId')}
            onChange={(v) => set('redshift.connectionId', v)}
            messages={messages('redshift.connectionId')}
            options={logins.map((c) => ({ value: c.id, label: `${c.name} (${c.target})` }))}
          />
          <TextField
            label="Table"
            value={text(draft, 'redshift.table')}
            onChange={(v) => set('redshift.table', v)}
            messages={messages('redshift.table')}
          />
          <TextField
            label="Columns"
            value={((getPath(draft, 'redshift.columns') as string[] | undefined) ?? []).join(', ')}
            onChange={(v) => {
              const columns = v
                .split(',')
                .map((c) => c.trim())
                .filter(Boolean);
              set('redshift.columns', columns.length ? columns : undefined);
            }}
            messages={messages('redshift.columns')}
            placeholder="every column of the table"
          />
          <TextField
            label="COPY options"
            value={text(draft, 'redshift.copyOptions')}
            onChange={(v) => set('redshift.copyOptions', v === '' ? undefined : v)}
            messages={messages('redshift.copyOptions')}
            placeholder="FORMAT AS JSON 'auto'"
            wide
          />
          <NumberField
            label="Retry COPY for (seconds)"
            value={count(draft, 'redshift.retrySeconds', 3600)}
            onChange={(v) => set('redshift.retrySeconds', v)}
            messages={messages('redshift.retrySeconds')}
            min={0}
            max={FIREHOSE_LIMITS.maxRetrySeconds}
          />
        </>
      )}
    </>
  );
}
