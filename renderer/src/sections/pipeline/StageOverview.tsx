import type { ReactNode } from 'react';
import type { PipelineChoice } from './choice';
import type { FirehoseFacts } from '../../../../shared/contract';
import { ago, bytes, count, duration } from './format';
import {
  curatedHealth,
  firehoseHealth,
  healthLabel,
  METRICS_MINUTES,
  jobsHealth,
  rawHealth,
  redshiftHealth,
  streamHealth,
  type CuratedFacts,
  type JobFacts,
  type RawFacts,
  type RedshiftFacts,
  type StreamFacts,
  type Verdict,
} from './health';

export type StageId = 'stream' | 'raw' | 'jobs' | 'curated' | 'redshift' | 'firehose';

interface Props {
  choice: PipelineChoice;
  stream: StreamFacts | undefined;
  raw: RawFacts | undefined;
  jobs: JobFacts | undefined;
  curated: CuratedFacts | undefined;
  redshift: RedshiftFacts;
  firehose: FirehoseFacts | { error: string } | undefined;
  now: number;
  onOpen: (stage: StageId) => void;
  onRefresh: () => void;
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

interface Stage {
  id: StageId;
  name: string;
  subject: string | undefined;
  verdict: Verdict;
  facts: ReactNode;
}

/**
 * The Spark path's five stages left to right, and beside them the Firehose path (stream or direct PUT → S3 →
 * Redshift, delivered by Firehose itself), each green/amber/red with why, each opening its detail.
 */
export function StageOverview({ choice, stream, raw, jobs, curated, redshift, firehose, now, onOpen, onRefresh }: Props) {
  const flowing = (stream?.recordsPerSecond ?? 0) > 0;
  const last = jobs?.last;
  const lastDuration = last?.createdAt ? (last.endedAt ? Date.parse(last.endedAt) : now) - Date.parse(last.createdAt) : undefined;
  const delivered = firehose && !('error' in firehose) ? firehose : undefined;
  const firehoseStage: Stage = {
    id: 'firehose',
    name: 'Firehose path',
    subject: choice.firehose,
    verdict: firehoseHealth(choice.firehose, firehose),
    facts: (
      <>
        <Fact label="Flow">
          {delivered
            ? `${delivered.sourceStream ?? 'direct PUT'} → s3://${delivered.bucket ?? '?'}${delivered.table ? ` → ${delivered.table}` : ''}`
            : '—'}
        </Fact>
        <Fact label={`In, last ${METRICS_MINUTES} min`}>{delivered ? `${count(delivered.incomingRecords)} records` : '—'}</Fact>
        <Fact label="Delivered">
          {delivered
            ? `${count(delivered.deliveredToS3)} to S3${delivered.destination === 'redshift' ? `, ${count(delivered.deliveredToRedshift)} to Redshift` : ''}`
            : '—'}
        </Fact>
        <Fact label="Delivery lag">{delivered?.lagSeconds !== undefined ? duration(delivered.lagSeconds * 1000) : '—'}</Fact>
        <Fact label="Failed deliveries">
          {delivered ? (
            <span title={delivered.lastFailureAt ? `last at ${delivered.lastFailureAt}` : undefined}>
              {count(delivered.failedToS3 + delivered.failedToRedshift)}
            </span>
          ) : (
            '—'
          )}
        </Fact>
      </>
    ),
  };
  const stages: Stage[] = [
    {
      id: 'stream',
      name: 'Kinesis stream',
      subject: choice.stream,
      verdict: streamHealth(choice.stream, stream),
      facts: (
        <>
          <Fact label="Shards">
            {stream?.shards !== undefined
              ? `${stream.openShards ?? stream.shards} open${stream.shards !== stream.openShards ? ` of ${stream.shards}` : ''}`
              : '—'}
          </Fact>
          <Fact label="Incoming">
            {stream?.recordsPerSecond !== undefined ? (
              `${count(stream.recordsPerSecond)} rec/s`
            ) : (
              <span title={stream?.metricsError}>—</span>
            )}
          </Fact>
          <Fact label={`Last ${METRICS_MINUTES} min`}>
            {stream?.recentRecords !== undefined ? `${count(stream.recentRecords)} records` : <span title={stream?.metricsError}>—</span>}
          </Fact>
          <Fact label="Iterator age">{stream?.iteratorAgeMs !== undefined ? duration(stream.iteratorAgeMs) : '—'}</Fact>
        </>
      ),
    },
    {
      id: 'raw',
      name: 'S3 raw',
      subject: choice.bucket ? `s3://${choice.bucket}/raw/` : undefined,
      verdict: rawHealth(choice.bucket, raw, flowing, now),
      facts: (
        <>
          <Fact label="Newest">{raw?.newest ? <span title={raw.newest.key}>{ago(raw.newest.lastModified, now)}</span> : '—'}</Fact>
          <Fact label="Today">{raw ? `${bytes(raw.bytesToday)} in ${count(raw.objectsToday)} objects` : '—'}</Fact>
        </>
      ),
    },
    {
      id: 'jobs',
      name: 'Spark jobs (EMR)',
      subject: choice.clusterId,
      verdict: jobsHealth(choice.clusterId, jobs),
      facts: (
        <>
          <Fact label="Last run">{last ? <span title={last.runId}>{last.name}</span> : '—'}</Fact>
          <Fact label="State">{last?.state ?? '—'}</Fact>
          <Fact label="Duration">{lastDuration !== undefined && Number.isFinite(lastDuration) ? duration(lastDuration) : '—'}</Fact>
        </>
      ),
    },
    {
      id: 'curated',
      name: 'Curated table',
      subject: choice.bucket ? `s3://${choice.bucket}/curated/` : undefined,
      verdict: curatedHealth(choice.bucket, curated),
      facts: (
        <>
          <Fact label="Versions">{curated?.versions.length ? curated.versions.map((v) => `v${v}`).join(', ') : '—'}</Fact>
          <Fact label="Partitions">{curated ? count(curated.partitions) : '—'}</Fact>
          <Fact label="Rows">
            {curated?.rows !== undefined ? `${curated.rowsComplete === false ? '≥ ' : ''}${count(curated.rows)}` : '—'}
          </Fact>
        </>
      ),
    },
    {
      id: 'redshift',
      name: 'Redshift',
      subject: redshift.connectionName ?? (choice.connectionId ? 'connection picked' : undefined),
      verdict: redshiftHealth(choice.connectionId, redshift),
      facts: (
        <>
          <Fact label="Last load">
            {redshift.last ? (
              <span title={`${redshift.last.table} from ${redshift.last.source ?? '?'} (query ${redshift.last.queryId})`}>
                {ago(redshift.last.endTime ?? redshift.last.startTime, now)}
              </span>
            ) : (
              '—'
            )}
          </Fact>
          <Fact label="Rows">{redshift.last ? count(redshift.last.rows) : '—'}</Fact>
          <Fact label="Errors">{redshift.last ? count(redshift.last.errors) : '—'}</Fact>
        </>
      ),
    },
  ];

  const card = (stage: Stage) => (
    <li key={stage.id} className="pipeline-stage" data-health={stage.verdict.health} data-stage={stage.id}>
      <button
        type="button"
        className="pipeline-stage-open"
        aria-label={`${stage.name}: ${healthLabel[stage.verdict.health]}, ${stage.verdict.reason}. Open details`}
        onClick={() => onOpen(stage.id)}
      >
        <span className="pipeline-stage-title">
          <span className="health-dot" aria-hidden="true" />
          {stage.name}
        </span>
        <span className="pipeline-stage-subject muted">{stage.subject ?? 'not picked'}</span>
        <dl>{stage.facts}</dl>
        <span className="pipeline-stage-reason">{stage.verdict.reason}</span>
      </button>
    </li>
  );

  return (
    <div className="pipeline-overview">
      <div className="pipeline-paths">
        <ol className="pipeline-stages" aria-label="Pipeline stages">
          {stages.map(card)}
        </ol>
        <ol className="pipeline-stages pipeline-firehose" aria-label="Firehose path">
          {card(firehoseStage)}
        </ol>
      </div>
      <button type="button" onClick={onRefresh} className="pipeline-refresh">
        Refresh
      </button>
    </div>
  );
}
