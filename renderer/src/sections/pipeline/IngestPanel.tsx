// Over ~400 lines on purpose: the ingest form, its live run (rate changes, cancel) and the stream's tail share one
// run's state; each is its own component below.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { IngestChunk, IngestCounters, IngestSummary, InputOf, TailRecord } from '../../../../shared/contract';
import { useClient } from '../../bridge/client-context';
import { useAction, useCall, useStream, useStreamAction } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { FileField, type FileChoice } from '../../components/FileField';
import { count, duration, time } from './format';

/**
 * What the stage overview takes from this panel: the rate the tail sees, fresher than CloudWatch's last
 * minute. Not the tail's iterator age: it reads from the newest record, so it says nothing of the consumers'.
 */
export interface LiveStreamFacts {
  stream: string;
  recordsPerSecond?: number;
}

const TAIL_KEEP = 40;
const RATE_WINDOW_MS = 5_000;

interface Run {
  runId?: string;
  shards?: number;
  targetRate?: number;
  counters?: IngestCounters;
  summary?: IngestSummary;
  warnings: string[];
}

function Counters({ counters, summary }: { counters: IngestCounters | undefined; summary: IngestSummary | undefined }) {
  const c = summary ?? counters;
  const cells: [key: keyof IngestCounters, label: string, value: string][] = [
    ['sent', 'Sent', c ? count(c.sent) : '—'],
    ['acknowledged', 'Acknowledged', c ? count(c.acknowledged) : '—'],
    ['retried', 'Retried', c ? count(c.retried) : '—'],
    ['throttled', 'Throttled', c ? count(c.throttled) : '—'],
    ['failed', 'Failed', c ? count(c.failed) : '—'],
    ['inFlight', 'In flight', c ? count(c.inFlight) : '—'],
    ['recordsPerSecond', 'Records/s', c ? count(summary ? summary.averageRecordsPerSecond : c.recordsPerSecond) : '—'],
    ['mibPerSecond', 'MiB/s', c ? (summary ? summary.averageMibPerSecond : c.mibPerSecond).toFixed(2) : '—'],
    ['elapsedMs', 'Elapsed', c ? duration(c.elapsedMs) : '—'],
  ];
  return (
    <dl className="ingest-counters" aria-label="Ingest counters">
      {cells.map(([key, label, value]) => (
        <div key={key} data-counter={key} data-failed={key === 'failed' && c && c.failed > 0 ? 'true' : undefined}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function IngestPanel({ stream, onLive }: { stream: string | undefined; onLive: (facts: LiveStreamFacts) => void }) {
  const client = useClient();
  const { error, act } = useAction();
  const runs = useCall('ingest.runs', {});
  const [mode, setMode] = useState<'generator' | 'replay'>('generator');
  const [seed, setSeed] = useState(1);
  const [rate, setRate] = useState(1000);
  const [total, setTotal] = useState('5000');
  const [burst, setBurst] = useState(false);
  const [burstStart, setBurstStart] = useState(60);
  const [burstDuration, setBurstDuration] = useState(30);
  const [burstShare, setBurstShare] = useState(0.5);
  const [replayFile, setReplayFile] = useState<FileChoice>();
  const [preview, setPreview] = useState<string[]>();
  // Leaving the screen does not cancel the run: it goes on, and the runs list below can stop it.
  const ingest = useStreamAction<'ingest.start', Run>({
    reduce: runStep,
    settle: (current, error) => (error && !current.summary ? { ...current, summary: cancelledSummary(current.counters) } : current),
    onSettled: () => runs.reload(),
    onUnmount: 'continue',
  });
  const run = ingest.state;
  const running = run !== undefined && run.summary === undefined;

  const generator = (): Extract<InputOf<'ingest.start'>['source'], { generator: unknown }>['generator'] => ({
    seed,
    ...(burst ? { errorBurst: { startSeconds: burstStart, durationSeconds: burstDuration, errorShare: burstShare } } : {}),
  });

  const start = () => {
    if (!stream) return;
    const totalNumber = Number(total);
    const input: InputOf<'ingest.start'> = {
      stream,
      source: mode === 'generator' ? { generator: generator() } : { replay: { path: replayFile?.ref ?? '' } },
      recordsPerSecond: rate,
      ...(total.trim() && totalNumber > 0 ? { total: Math.floor(totalNumber) } : {}),
    };
    ingest.start('ingest.start', input, { warnings: [] });
  };

  return (
    <div className="ingest-panel">
      <div className="ingest-columns">
        <section className="panel" aria-label="Ingest">
          <h2>Ingest {stream ? <span className="muted">into {stream}</span> : null}</h2>
          {!stream && <p className="muted">Pick a stream above to send records to it.</p>}
          <fieldset>
            <legend>Source</legend>
            <label>
              <input type="radio" name="ingest-source" checked={mode === 'generator'} onChange={() => setMode('generator')} /> Generator
            </label>
            <label>
              <input type="radio" name="ingest-source" checked={mode === 'replay'} onChange={() => setMode('replay')} /> Replay a local file
            </label>
          </fieldset>
          {mode === 'generator' ? (
            <div className="row">
              <label>
                Seed
                <input type="number" min={0} value={seed} onChange={(e) => setSeed(Number(e.target.value))} style={{ width: 90 }} />
              </label>
              <label>
                <input type="checkbox" checked={burst} onChange={(e) => setBurst(e.target.checked)} /> Error burst
              </label>
              {burst && (
                <>
                  <label>
                    at s
                    <input
                      type="number"
                      min={0}
                      value={burstStart}
                      onChange={(e) => setBurstStart(Number(e.target.value))}
                      style={{ width: 80 }}
                    />
                  </label>
                  <label>
                    for s
                    <input
                      type="number"
                      min={1}
                      value={burstDuration}
                      onChange={(e) => setBurstDuration(Number(e.target.value))}
                      style={{ width: 80 }}
                    />
                  </label>
                  <label>
                    5xx share
                    <input
                      type="number"
                      min={0}
                      max={1}
                      step={0.05}
                      value={burstShare}
                      onChange={(e) => setBurstShare(Number(e.target.value))}
                      style={{ width: 70 }}
                    />
                  </label>
                </>
              )}
            </div>
          ) : (
            <FileField
              label="Log file or folder"
              purposes={['open-file', 'open-folder']}
              title="Replay a log file or a folder of logs"
              placeholder="logs/access.log.gz"
              value={replayFile}
              onChange={setReplayFile}
            />
          )}
          <div className="row">
            <label>
              Records/s
              <input
                type="number"
                min={1}
                value={rate}
                onChange={(e) => setRate(Math.max(1, Math.floor(Number(e.target.value))))}
                style={{ width: 100 }}
              />
            </label>
            <label>
              Total
              <input
                type="number"
                min={1}
                placeholder="until stopped"
                value={total}
                onChange={(e) => setTotal(e.target.value)}
                style={{ width: 110 }}
              />
            </label>
          </div>
          <div className="row">
            <button type="button" disabled={!stream || running || (mode === 'replay' && !replayFile)} onClick={start}>
              Start
            </button>
            <button
              type="button"
              disabled={!running || !run?.runId}
              onClick={() => void act(async () => void (await client.call('ingest.stop', { runId: run!.runId! })))}
            >
              Stop
            </button>
            <button type="button" disabled={!running} onClick={ingest.cancel}>
              Cancel
            </button>
            <button
              type="button"
              disabled={!running || !run?.runId}
              onClick={() =>
                void act(async () => {
                  const answer = await client.call('ingest.setRate', { runId: run!.runId!, recordsPerSecond: rate });
                  ingest.update((current) => ({ ...current, targetRate: answer.targetRate }));
                })
              }
            >
              Apply rate
            </button>
            {mode === 'generator' && (
              <button
                type="button"
                className="link"
                onClick={() =>
                  void act(async () => setPreview((await client.call('ingest.preview', { generator: generator(), count: 5 })).lines))
                }
              >
                Preview lines
              </button>
            )}
          </div>
          {preview && (
            <pre className="log ingest-preview" aria-label="Generator preview">
              {preview.join('\n')}
            </pre>
          )}
          <ErrorMessage error={error} />
          <ErrorMessage error={ingest.error} />
          {run && (
            <div className="ingest-run" aria-label="Ingest run" role="group">
              <p className="small" role="status" aria-label="Ingest state">
                {run.summary ? `Run ${run.summary.state}` : run.runId ? 'Running' : 'Starting…'}
                {run.runId ? ` · ${run.runId}` : ''}
                {run.shards !== undefined ? ` · ${run.shards} shards` : ''}
                {run.targetRate !== undefined ? ` · held to ${count(run.targetRate)} rec/s` : ''}
                {run.summary?.error ? ` · ${run.summary.error}` : ''}
                {run.summary?.ledgerDropped ? ` · ledger kept the newest ids: ${count(run.summary.ledgerDropped)} oldest dropped` : ''}
              </p>
              <Counters counters={run.counters} summary={run.summary} />
              {run.warnings.length > 0 && (
                <ul className="notices">
                  {run.warnings.map((w, i) => (
                    <li key={i} data-level="warning">
                      {w}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <details className="ingest-runs">
            <summary>Runs ({runs.data?.length ?? 0})</summary>
            <ErrorMessage error={runs.error} />
            <table className="table small">
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Stream</th>
                  <th>State</th>
                  <th>Started</th>
                  <th>Acknowledged</th>
                  <th>Failed</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {(runs.data ?? []).slice(0, 20).map((r) => (
                  <tr key={r.runId}>
                    <td>
                      <code>{r.runId}</code>
                    </td>
                    <td>{r.stream}</td>
                    <td>{r.state}</td>
                    <td>{time(r.startedAt)}</td>
                    <td title={r.ledgerDropped ? `${count(r.ledgerDropped)} oldest ids dropped from its ledger` : undefined}>
                      {count(r.acknowledged)}
                      {r.ledgerDropped ? ' *' : ''}
                    </td>
                    <td>{count(r.failed)}</td>
                    <td>
                      {r.state === 'running' && (
                        <button
                          type="button"
                          onClick={() =>
                            void act(async () => {
                              await client.call('ingest.stop', { runId: r.runId });
                              runs.reload();
                            })
                          }
                        >
                          Stop
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <button type="button" onClick={runs.reload}>
              Reload runs
            </button>
          </details>
        </section>
        {stream && <StreamTail key={stream} stream={stream} onLive={onLive} />}
      </div>
    </div>
  );
}

function runStep(current: Run, chunk: IngestChunk): Run {
  switch (chunk.kind) {
    case 'started':
      return { ...current, runId: chunk.runId, shards: chunk.shards, targetRate: chunk.targetRate };
    case 'progress':
      return { ...current, counters: chunk.counters, targetRate: chunk.counters.targetRate };
    case 'warning':
      return { ...current, warnings: [...current.warnings.slice(-9), chunk.message] };
    case 'done':
      return { ...current, summary: chunk.summary };
  }
}

/** What a run that ended without its summary (cancelled, or its stream lost) shows: its last counters. */
function cancelledSummary(counters: IngestCounters | undefined): IngestSummary {
  return {
    ...(counters ?? emptyCounters),
    state: 'cancelled',
    averageRecordsPerSecond: 0,
    averageMibPerSecond: 0,
    skipped: 0,
    ledgerDropped: 0,
  };
}

const emptyCounters: IngestCounters = {
  elapsedMs: 0,
  sent: 0,
  acknowledged: 0,
  retried: 0,
  throttled: 0,
  failed: 0,
  inFlight: 0,
  bytesAcknowledged: 0,
  recordsPerSecond: 0,
  mibPerSecond: 0,
  targetRate: 0,
};

interface TailRow extends TailRecord {
  shardId: string;
}

/** The newest records of every shard, with each shard's iterator age; following while shown. */
function StreamTail({ stream, onLive }: { stream: string; onLive: (facts: LiveStreamFacts) => void }) {
  const [following, setFollowing] = useState(true);
  const [rows, setRows] = useState<TailRow[]>([]);
  const [ages, setAges] = useState<Record<string, number>>({});
  const [closed, setClosed] = useState<string[]>([]);
  const arrivals = useRef<{ at: number; n: number }[]>([]);
  const [rate, setRate] = useState(0);

  const onChunk = useCallback((chunk: { shardId: string; records: TailRecord[]; millisBehindLatest: number; closed?: boolean }) => {
    setAges((current) => ({ ...current, [chunk.shardId]: chunk.millisBehindLatest }));
    if (chunk.closed) setClosed((current) => [...current, chunk.shardId]);
    if (chunk.records.length) {
      arrivals.current.push({ at: Date.now(), n: chunk.records.length });
      setRows((current) => [...chunk.records.map((r) => ({ ...r, shardId: chunk.shardId })).reverse(), ...current].slice(0, TAIL_KEEP));
    }
  }, []);

  const error = useStream('ingest.tail', following ? { stream, from: 'LATEST', limit: 500 } : undefined, onChunk);

  // The incoming rate: records the tail saw over the last few seconds.
  useEffect(() => {
    const timer = setInterval(() => {
      const now = Date.now();
      arrivals.current = arrivals.current.filter((a) => now - a.at <= RATE_WINDOW_MS);
      setRate(arrivals.current.reduce((sum, a) => sum + a.n, 0) / (RATE_WINDOW_MS / 1000));
    }, 1000);
    return () => clearInterval(timer);
  }, []);

  const ageValues = Object.values(ages);
  const maxAge = ageValues.length ? Math.max(...ageValues) : undefined;
  useEffect(() => {
    onLive(following ? { stream, recordsPerSecond: rate } : { stream });
  }, [stream, following, rate, onLive]);

  return (
    <section className="panel stream-tail" aria-label="Stream tail">
      <h2>
        Stream tail <span className="muted">{stream}</span>
      </h2>
      <div className="row">
        <label>
          <input type="checkbox" checked={following} onChange={(e) => setFollowing(e.target.checked)} /> Follow the newest records
        </label>
        <span className="small" role="status" aria-label="Iterator age">
          Iterator age: {maxAge !== undefined ? duration(maxAge) : '—'} · {count(rate)} rec/s
        </span>
        <button type="button" onClick={() => setRows([])}>
          Clear
        </button>
      </div>
      {Object.keys(ages).length > 0 && (
        <ul className="tail-shards small">
          {Object.entries(ages)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([shard, age]) => (
              <li key={shard}>
                <code>{shard}</code> {closed.includes(shard) ? 'closed' : `behind ${duration(age)}`}
              </li>
            ))}
        </ul>
      )}
      <ErrorMessage error={error} />
      <div className="tail-table-wrap">
        <table className="table small tail-table" aria-label="Latest records">
          <thead>
            <tr>
              <th>Shard</th>
              <th>Arrived</th>
              <th>Partition key</th>
              <th>Data</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  {following ? 'Waiting for records…' : 'Not following.'}
                </td>
              </tr>
            )}
            {rows.map((r) => (
              <tr key={`${r.shardId}:${r.sequenceNumber}`}>
                <td>
                  <code>{`#${Number(r.shardId.slice('shardId-'.length))}`}</code>
                </td>
                <td>{new Date(r.approximateArrivalTimestamp).toLocaleTimeString()}</td>
                <td>
                  <code>{r.partitionKey.slice(0, 24)}</code>
                </td>
                <td className="tail-data" title={r.data}>
                  {r.data}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
