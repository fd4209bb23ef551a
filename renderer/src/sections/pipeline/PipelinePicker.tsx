import { useId, useState } from 'react';
import { useCall } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import type { PipelineChoice } from './choice';

const CLUSTER_ID = /^j-[A-Za-z0-9]{1,64}$/;

/** Picks the stream, bucket, EMR cluster and Redshift connection this screen follows. */
export function PipelinePicker({ choice, onChange }: { choice: PipelineChoice; onChange: (next: PipelineChoice) => void }) {
  const streams = useCall('ingest.streams', {});
  const buckets = useCall('pipeline.buckets', {});
  const connections = useCall('connections.list', {});
  const firehoseStreams = useCall('pipeline.firehoseStreams', {});
  // The clusters that are up (as Sessions lists them) to pick from; a j-… id can always be typed.
  const clusterList = useCall('sessions.clusters', {});
  const clusters = clusterList.data ?? [];
  const redshift = (connections.data ?? []).filter((c) => c.capabilities.loads);
  // What is typed into the cluster field, while it is not (yet) a valid id; a new pick replaces it.
  const [draft, setDraft] = useState<{ over: string | undefined; text: string }>();
  const clusterDraft = draft && draft.over === choice.clusterId ? draft.text : (choice.clusterId ?? '');
  const clusterOptions = useId();

  const set = (patch: Partial<PipelineChoice>) => {
    const next = { ...choice, ...patch };
    for (const key of Object.keys(next) as (keyof PipelineChoice)[]) if (!next[key]) delete next[key];
    onChange(next);
  };
  const reload = () => {
    streams.reload();
    buckets.reload();
    connections.reload();
    clusterList.reload();
    firehoseStreams.reload();
  };

  return (
    <form className="pipeline-picker" aria-label="Pipeline resources" onSubmit={(e) => e.preventDefault()}>
      <NameSelect
        label="Stream"
        names={(streams.data ?? []).map((s) => s.name)}
        value={choice.stream}
        onPick={(stream) => set({ stream })}
      />
      <NameSelect label="Bucket" names={buckets.data ?? []} value={choice.bucket} onPick={(bucket) => set({ bucket })} />
      <label>
        EMR cluster
        <input
          list={clusterOptions}
          value={clusterDraft}
          placeholder="j-…"
          size={18}
          spellCheck={false}
          aria-invalid={clusterDraft !== '' && !CLUSTER_ID.test(clusterDraft)}
          onChange={(e) => {
            const value = e.target.value.trim();
            if (value === '' || CLUSTER_ID.test(value)) {
              setDraft(undefined);
              set({ clusterId: value });
            } else setDraft({ over: choice.clusterId, text: value });
          }}
        />
        <datalist id={clusterOptions}>
          {clusters.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.state})
            </option>
          ))}
        </datalist>
      </label>
      <label>
        Redshift connection
        <select value={choice.connectionId ?? ''} onChange={(e) => set({ connectionId: e.target.value })}>
          <option value="">— pick a connection —</option>
          {redshift.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <NameSelect label="Firehose" names={firehoseStreams.data ?? []} value={choice.firehose} onPick={(firehose) => set({ firehose })} />
      <button type="button" onClick={reload}>
        Reload lists
      </button>
      <div className="pipeline-picker-errors">
        {/* The lists fail together when the environment is down: its one reason is said once. */}
        {[
          ...new Map(
            [streams.error, buckets.error, connections.error, clusterList.error, firehoseStreams.error].flatMap((e) =>
              e ? [[e.message, e]] : [],
            ),
          ).values(),
        ].map((error) => (
          <ErrorMessage key={error.message} error={error} />
        ))}
      </div>
    </form>
  );
}

/** A pick among names; the current one stays listed while a reload has not yet brought it back (or it is gone). */
function NameSelect({
  label,
  names,
  value,
  onPick,
}: {
  label: string;
  names: string[];
  value: string | undefined;
  onPick: (name: string) => void;
}) {
  const listed = value && !names.includes(value) ? [value, ...names] : names;
  return (
    <label>
      {label}
      <select value={value ?? ''} onChange={(e) => onPick(e.target.value)}>
        <option value="">— pick a {label.toLowerCase()} —</option>
        {listed.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}
