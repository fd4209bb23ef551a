import { useCallback, useEffect, useRef, useState } from 'react';
import type { PipelineJobId, PipelineJobOptions, PipelineRunInfo, PipelineRunState } from '../../../../shared/contract';
import { pipelineJobIds } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError, useAction, useStream } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { duration, time } from './format';
import { RejectsPanel } from './RejectsPanel';

/** Each log keeps its newest text only. */
const LOG_KEEP_CHARS = 64 * 1024;
const RUNS_REFRESH_MS = 10_000;
const TERMINAL: PipelineRunState[] = ['COMPLETED', 'CANCELLED', 'FAILED', 'INTERRUPTED'];

interface Followed {
  clusterId: string;
  runId: string;
  job?: PipelineJobId;
  state?: PipelineRunState;
  reason?: string;
  logFile?: string;
  stdout: string;
  stderr: string;
  events: Record<string, unknown>[];
  summary?: Record<string, unknown>;
  sparkUi?: { applicationId: string; url?: string; note?: string };
  ended: boolean;
}

const jobOf = (name: string): PipelineJobId | undefined => pipelineJobIds.find((id) => name.includes(id));

export function JobsPanel({
  clusterId,
  bucket,
  stream,
  onFinished,
}: {
  clusterId: string | undefined;
  bucket: string | undefined;
  stream: string | undefined;
  onFinished: () => void;
}) {
  const client = useClient();
  const { error, act } = useAction();
  const [job, setJob] = useState<PipelineJobId>('kinesis_to_s3');
  const [via, setVia] = useState<'step' | 'ssh'>('step');
  const [untilIdle, setUntilIdle] = useState('10');
  const [maxBatches, setMaxBatches] = useState('');
  const [batchSize, setBatchSize] = useState('');
  const [version, setVersion] = useState('');
  // Runs, the followed run and their errors are kept with the cluster (or run) they belong to: a new pick hides them.
  const [runsOf, setRuns] = useState<{ clusterId: string; runs: PipelineRunInfo[] }>();
  const [runsErrorOf, setRunsError] = useState<{ clusterId: string; error: AppError }>();
  const [followedOf, setFollowed] = useState<Followed>();
  const [now, setNow] = useState(() => Date.now());
  const runs = runsOf && runsOf.clusterId === clusterId ? runsOf.runs : undefined;
  const runsError = runsErrorOf && runsErrorOf.clusterId === clusterId ? runsErrorOf.error : undefined;
  const followed = followedOf && followedOf.clusterId === clusterId ? followedOf : undefined;
  const [command, setCommand] = useState<string>();

  const loadRuns = useCallback(
    (signal?: AbortSignal) => {
      if (!clusterId) return;
      client.call('pipeline.runs', { clusterId }, signal).then(
        (list) => {
          setRuns({ clusterId, runs: [...list].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '')) });
          setRunsError(undefined);
          setNow(Date.now());
        },
        (caught: unknown) => !signal?.aborted && setRunsError({ clusterId, error: toAppError(caught) }),
      );
    },
    [client, clusterId],
  );

  useEffect(() => {
    const controller = new AbortController();
    loadRuns(controller.signal);
    const timer = setInterval(() => loadRuns(controller.signal), RUNS_REFRESH_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [loadRuns]);

  // Following the chosen run: state, logs, events, summary and the Spark UI, until it ends or another is chosen.
  const followedId = followed?.runId;
  const followError = useStream(
    'pipeline.follow',
    clusterId && followedId ? { clusterId, runId: followedId } : undefined,
    (chunk) =>
      setFollowed((current) => {
        if (!current || current.runId !== followedId) return current;
        switch (chunk.kind) {
          case 'state':
            return {
              ...current,
              state: chunk.state,
              ...(chunk.reason ? { reason: chunk.reason } : {}),
              ...(chunk.logFile ? { logFile: chunk.logFile } : {}),
            };
          case 'log':
            return { ...current, [chunk.stream]: (current[chunk.stream] + chunk.text).slice(-LOG_KEEP_CHARS) };
          case 'event':
            return { ...current, events: [...current.events.slice(-49), chunk.event] };
          case 'summary':
            return { ...current, summary: chunk.summary };
          case 'sparkUi':
            return { ...current, sparkUi: chunk };
        }
      }),
    () => setFollowed((current) => (current && current.runId === followedId ? { ...current, ended: true } : current)),
  );

  const ended = followed?.ended === true;
  useEffect(() => {
    if (!ended) return;
    loadRuns();
    onFinished();
  }, [ended, loadRuns, onFinished]);

  const follow = (runId: string, name?: string) => {
    if (!clusterId) return;
    const jobId = name ? jobOf(name) : undefined;
    setFollowed({ clusterId, runId, ...(jobId ? { job: jobId } : {}), stdout: '', stderr: '', events: [], ended: false });
  };

  const options = (): PipelineJobOptions | undefined => {
    const num = (text: string) => (text.trim() ? Number(text) : undefined);
    if (job === 'kinesis_to_s3') {
      if (!stream) return undefined;
      const idle = num(untilIdle);
      const batches = num(maxBatches);
      const size = num(batchSize);
      return {
        job,
        stream,
        ...(idle ? { untilIdleSeconds: idle } : {}),
        ...(batches ? { maxBatches: batches } : {}),
        ...(size ? { batchSize: size } : {}),
      };
    }
    const v = num(version);
    return { job, ...(v ? { version: v } : {}) };
  };

  const submit = () =>
    act(async () => {
      const chosen = options();
      if (!clusterId || !bucket || !chosen) return;
      const submitted = await client.call('pipeline.submit', { clusterId, bucket, via, options: chosen });
      setCommand(submitted.command.join(' '));
      follow(submitted.runId, submitted.job);
      loadRuns();
    });

  const cancel = (runId: string) =>
    act(async () => {
      if (!clusterId) return;
      await client.call('pipeline.cancel', { clusterId, runId });
      loadRuns();
    });

  const missing = !clusterId
    ? 'Pick an EMR cluster above.'
    : !bucket
      ? 'Pick a bucket above: the job’s script is uploaded to it.'
      : job === 'kinesis_to_s3' && !stream
        ? 'Pick a stream above for kinesis_to_s3.'
        : undefined;
  const running = followed && followed.state && !TERMINAL.includes(followed.state) && !followed.ended;

  return (
    <div className="jobs-panel">
      <section className="panel" aria-label="Submit a Spark job">
        <h2>Submit a Spark job {clusterId ? <span className="muted">on {clusterId}</span> : null}</h2>
        <div className="row">
          <label>
            Job
            <select value={job} onChange={(e) => setJob(e.target.value as PipelineJobId)}>
              {pipelineJobIds.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          <label>
            Run as
            <select value={via} onChange={(e) => setVia(e.target.value as 'step' | 'ssh')}>
              <option value="step">EMR step</option>
              <option value="ssh">spark-submit over SSH</option>
            </select>
          </label>
          {job === 'kinesis_to_s3' ? (
            <>
              <label>
                Stop when idle (s)
                <input type="number" min={1} value={untilIdle} onChange={(e) => setUntilIdle(e.target.value)} style={{ width: 80 }} />
              </label>
              <label>
                Max batches
                <input type="number" min={1} value={maxBatches} onChange={(e) => setMaxBatches(e.target.value)} style={{ width: 80 }} />
              </label>
              <label>
                Batch size
                <input type="number" min={1} value={batchSize} onChange={(e) => setBatchSize(e.target.value)} style={{ width: 80 }} />
              </label>
            </>
          ) : (
            <label>
              <span>
                Version <span className="muted">(next when empty)</span>
              </span>
              <input type="number" min={1} value={version} onChange={(e) => setVersion(e.target.value)} style={{ width: 80 }} />
            </label>
          )}
          <button type="button" disabled={missing !== undefined} onClick={() => void submit()}>
            Submit
          </button>
        </div>
        {missing && <p className="muted small">{missing}</p>}
        {command && (
          <p className="small">
            <code className="command">{command}</code>
          </p>
        )}
        <ErrorMessage error={error} />
      </section>

      <div className="jobs-columns">
        <section className="panel jobs-runs" aria-label="Job runs">
          <h2>
            Runs{' '}
            <button type="button" className="link" onClick={() => loadRuns()} disabled={!clusterId}>
              reload
            </button>
          </h2>
          <ErrorMessage error={runsError} />
          {!clusterId && <p className="muted">No cluster picked.</p>}
          {runs && runs.length === 0 && <p className="muted">No runs on this cluster yet.</p>}
          {runs && runs.length > 0 && (
            <table className="table small">
              <thead>
                <tr>
                  <th>Run</th>
                  <th>State</th>
                  <th>Started</th>
                  <th>Duration</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {runs.slice(0, 30).map((r) => (
                  <tr key={r.runId} data-state={r.state} aria-selected={followed?.runId === r.runId}>
                    <td>
                      <button type="button" className="link" onClick={() => follow(r.runId, r.name)} title={r.runId}>
                        {r.name}
                      </button>
                      <div className="muted">
                        <code>{r.runId}</code> · {r.via}
                      </div>
                    </td>
                    <td>
                      <span className="run-state" data-state={r.state}>
                        {r.state}
                      </span>
                    </td>
                    <td>{time(r.createdAt)}</td>
                    <td>{r.createdAt ? duration((r.endedAt ? Date.parse(r.endedAt) : now) - Date.parse(r.createdAt)) : '—'}</td>
                    <td>
                      {!TERMINAL.includes(r.state) && r.state !== 'CANCEL_PENDING' && (
                        <button type="button" onClick={() => void cancel(r.runId)}>
                          Cancel
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section className="panel jobs-follow" aria-label="Followed run">
          {!followed ? (
            <p className="muted">Submit a job or pick a run to follow its state and logs live.</p>
          ) : (
            <>
              <h2>
                {followed.job ?? 'Run'} <code>{followed.runId}</code>
              </h2>
              <div className="row">
                <span role="status" aria-label="Run state" className="run-state" data-state={followed.state ?? 'PENDING'}>
                  {followed.state ?? 'waiting…'}
                </span>
                {followed.reason && <span className="error-text">{followed.reason}</span>}
                {running && (
                  <button type="button" onClick={() => void cancel(followed.runId)}>
                    Cancel run
                  </button>
                )}
                {followed.ended && <span className="muted small">ended</span>}
              </div>
              <p className="small">
                Spark UI:{' '}
                {followed.sparkUi ? (
                  followed.sparkUi.url ? (
                    <a href={followed.sparkUi.url} target="_blank" rel="noreferrer">
                      {followed.sparkUi.applicationId}
                    </a>
                  ) : (
                    <span>
                      <code>{followed.sparkUi.applicationId}</code> <span className="muted">{followed.sparkUi.note}</span>
                    </span>
                  )
                ) : (
                  <span className="muted">not started yet</span>
                )}
                {followed.logFile && (
                  <>
                    {' '}
                    · log <code>{followed.logFile}</code>
                  </>
                )}
              </p>
              <ErrorMessage error={followError} />
              {followed.summary && (
                <details open className="small">
                  <summary>Summary</summary>
                  <pre className="log" aria-label="Job summary">
                    {JSON.stringify(followed.summary, null, 2)}
                  </pre>
                </details>
              )}
              {followed.summary && <RejectsPanel summary={followed.summary} />}
              {followed.events.length > 0 && (
                <details className="small">
                  <summary>Events ({followed.events.length})</summary>
                  <pre className="log">{followed.events.map((e) => JSON.stringify(e)).join('\n')}</pre>
                </details>
              )}
              <h3 className="log-title">stdout</h3>
              <LogTail label="stdout" text={followed.stdout} />
              <h3 className="log-title">stderr</h3>
              <LogTail label="stderr" text={followed.stderr} />
            </>
          )}
        </section>
      </div>
    </div>
  );
}

/** A log that stays scrolled to its end while new text arrives, unless the operator scrolled up. */
function LogTail({ label, text }: { label: string; text: string }) {
  const element = useRef<HTMLPreElement>(null);
  const stuck = useRef(true);
  useEffect(() => {
    if (element.current && stuck.current) element.current.scrollTop = element.current.scrollHeight;
  }, [text]);
  return (
    <pre
      ref={element}
      className="log job-log"
      role="log"
      aria-label={label}
      onScroll={(e) => (stuck.current = e.currentTarget.scrollTop + e.currentTarget.clientHeight >= e.currentTarget.scrollHeight - 8)}
    >
      {text || <span className="muted">(nothing yet)</span>}
    </pre>
  );
}
