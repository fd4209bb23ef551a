import { useCallback, useEffect, useMemo, useState } from 'react';
import { useClient } from '../bridge/client-context';
import { useCall } from '../bridge/hooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { loadChoice, saveChoice, type PipelineChoice } from './pipeline/choice';
import { curatedFacts, firehoseFacts, jobFacts, rawFacts, redshiftFacts, streamFacts, CURATED_PREFIX, RAW_PREFIX } from './pipeline/facts';
import { CopyWizard } from './pipeline/CopyWizard';
import { IngestPanel, type LiveStreamFacts } from './pipeline/IngestPanel';
import { JobsPanel } from './pipeline/JobsPanel';
import { S3Browser } from './pipeline/S3Browser';
import { PipelinePicker } from './pipeline/PipelinePicker';
import { StageOverview, type StageId } from './pipeline/StageOverview';
import type { FirehoseFacts } from '../../../shared/contract';
import type { CuratedFacts, JobFacts, RawFacts, RedshiftFacts, StreamFacts } from './pipeline/health';

/** How often the overview asks again (listing the bucket and the cluster's steps). */
const REFRESH_MS = 15_000;

interface About<T> {
  subject: string;
  facts: T;
}

type Detail = 'ingest' | 'jobs' | 's3' | 'copy';
const DETAILS: { id: Detail; title: string }[] = [
  { id: 'ingest', title: 'Stream & ingest' },
  { id: 'jobs', title: 'Spark jobs' },
  { id: 's3', title: 'S3 browser' },
  { id: 'copy', title: 'COPY into Redshift' },
];

export default function Pipeline() {
  const client = useClient();
  const environments = useCall('environments.list', {});
  const environmentId = environments.data?.activeId;
  const connections = useCall('connections.list', {});
  const stored = useMemo(() => (environmentId ? loadChoice(environmentId) : {}), [environmentId]);
  const [picked, setPicked] = useState<{ environmentId: string | undefined; choice: PipelineChoice }>();
  const choice = picked && picked.environmentId === environmentId ? picked.choice : stored;
  const [detail, setDetail] = useState<Detail>('ingest');
  const [visited, setVisited] = useState<Set<Detail>>(() => new Set(['ingest']));
  const [s3Prefix, setS3Prefix] = useState<{ prefix: string; at: number }>({ prefix: '', at: 0 });
  // Each stage's facts with what they are about, so a new pick never shows the old subject's facts.
  const [streamAbout, setStream] = useState<About<StreamFacts>>();
  const [live, setLive] = useState<LiveStreamFacts>();
  const [rawAbout, setRaw] = useState<About<RawFacts>>();
  const [curatedAbout, setCurated] = useState<About<CuratedFacts>>();
  const [jobsAbout, setJobs] = useState<About<JobFacts>>();
  const [now, setNow] = useState(() => Date.now());
  const [loadsAbout, setLoads] = useState<About<Omit<RedshiftFacts, 'connectionName'>>>();
  const [firehoseAbout, setFirehose] = useState<About<FirehoseFacts | { error: string }>>();
  const [generation, setGeneration] = useState(0);

  const choose = useCallback(
    (next: PipelineChoice) => {
      setPicked({ environmentId, choice: next });
      if (environmentId) saveChoice(environmentId, next);
    },
    [environmentId],
  );

  const {
    stream: pickedStream,
    bucket: pickedBucket,
    clusterId: pickedCluster,
    connectionId: pickedConnection,
    firehose: pickedFirehose,
  } = choice;
  // The overview's facts: asked on a pick and every REFRESH_MS; each stage on its own, so a slow one does not hold the rest.
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const [stream, bucket, clusterId, connectionId, firehose] = [
      pickedStream,
      pickedBucket,
      pickedCluster,
      pickedConnection,
      pickedFirehose,
    ];
    const refresh = () => {
      if (stream) void streamFacts(client, stream, signal).then((facts) => !signal.aborted && setStream({ subject: stream, facts }));
      if (bucket) {
        void rawFacts(client, bucket, signal).then((facts) => !signal.aborted && setRaw({ subject: bucket, facts }));
        void curatedFacts(client, bucket, signal).then((facts) => !signal.aborted && setCurated({ subject: bucket, facts }));
      }
      if (clusterId) void jobFacts(client, clusterId, signal).then((facts) => !signal.aborted && setJobs({ subject: clusterId, facts }));
      if (connectionId)
        void redshiftFacts(client, connectionId, signal).then((facts) => !signal.aborted && setLoads({ subject: connectionId, facts }));
      if (firehose)
        void firehoseFacts(client, firehose, signal).then((facts) => !signal.aborted && setFirehose({ subject: firehose, facts }));
    };
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [client, pickedStream, pickedBucket, pickedCluster, pickedConnection, pickedFirehose, generation]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5_000);
    return () => clearInterval(timer);
  }, []);

  const about = <T,>(tagged: About<T> | undefined, subject: string | undefined) =>
    tagged && subject && tagged.subject === subject ? tagged.facts : undefined;
  const stream = about(streamAbout, choice.stream);
  const raw = about(rawAbout, choice.bucket);
  const curated = about(curatedAbout, choice.bucket);
  const jobs = about(jobsAbout, choice.clusterId);
  const loads = about(loadsAbout, choice.connectionId);
  const liveNow = live && live.stream === choice.stream ? live : undefined;

  const open = useCallback((next: Detail) => {
    setDetail(next);
    setVisited((seen) => (seen.has(next) ? seen : new Set([...seen, next])));
  }, []);

  const openStage = useCallback(
    (stage: StageId) => {
      if (stage === 'stream') open('ingest');
      else if (stage === 'jobs') open('jobs');
      else if (stage === 'redshift') open('copy');
      else if (stage === 'firehose') {
        // What Firehose delivered sits at the bucket's root under its prefix: the browser starts there.
        setS3Prefix({ prefix: '', at: Date.now() });
        open('s3');
      } else {
        setS3Prefix({ prefix: stage === 'raw' ? RAW_PREFIX : CURATED_PREFIX, at: Date.now() });
        open('s3');
      }
    },
    [open],
  );

  const streamWithLive: StreamFacts | undefined = stream
    ? { ...stream, ...(liveNow?.recordsPerSecond !== undefined ? { recordsPerSecond: liveNow.recordsPerSecond } : {}) }
    : undefined;
  const refresh = useCallback(() => setGeneration((g) => g + 1), []);
  const connectionName = connections.data?.find((c) => c.id === choice.connectionId)?.name;

  return (
    <section className="pipeline" aria-label="Pipeline">
      <ErrorMessage error={environments.error} />
      <PipelinePicker choice={choice} onChange={choose} />
      <StageOverview
        choice={choice}
        stream={streamWithLive}
        raw={raw}
        jobs={jobs}
        curated={curated}
        redshift={{ ...loads, ...(connectionName ? { connectionName } : {}) }}
        firehose={about(firehoseAbout, choice.firehose)}
        now={now}
        onOpen={openStage}
        onRefresh={refresh}
      />
      <div role="tablist" aria-label="Pipeline details" className="pipeline-tabs">
        {DETAILS.map((d) => (
          <button
            key={d.id}
            type="button"
            role="tab"
            id={`pipeline-tab-${d.id}`}
            aria-selected={detail === d.id}
            aria-controls={`pipeline-panel-${d.id}`}
            onClick={() => open(d.id)}
          >
            {d.title}
          </button>
        ))}
      </div>
      {/* Panels stay mounted once opened, so a running tail, ingest or followed job keeps its state across tabs. */}
      <div
        role="tabpanel"
        id="pipeline-panel-ingest"
        aria-labelledby="pipeline-tab-ingest"
        hidden={detail !== 'ingest'}
        className="pipeline-panel"
      >
        {visited.has('ingest') && <IngestPanel stream={choice.stream} onLive={setLive} />}
      </div>
      <div
        role="tabpanel"
        id="pipeline-panel-jobs"
        aria-labelledby="pipeline-tab-jobs"
        hidden={detail !== 'jobs'}
        className="pipeline-panel"
      >
        {visited.has('jobs') && (
          <JobsPanel clusterId={choice.clusterId} bucket={choice.bucket} stream={choice.stream} onFinished={refresh} />
        )}
      </div>
      <div role="tabpanel" id="pipeline-panel-s3" aria-labelledby="pipeline-tab-s3" hidden={detail !== 's3'} className="pipeline-panel">
        {visited.has('s3') && <S3Browser bucket={choice.bucket} jumpTo={s3Prefix} onChanged={refresh} />}
      </div>
      <div
        role="tabpanel"
        id="pipeline-panel-copy"
        aria-labelledby="pipeline-tab-copy"
        hidden={detail !== 'copy'}
        className="pipeline-panel"
      >
        {visited.has('copy') && <CopyWizard bucket={choice.bucket} connectionId={choice.connectionId} onLoaded={refresh} />}
      </div>
    </section>
  );
}
