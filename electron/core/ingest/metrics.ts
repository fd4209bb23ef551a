import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { recentMetricData } from '../aws/metric-data.js';
import type { StreamMetricPoint, StreamMetrics } from '../../../shared/contract/index.js';

/** Kinesis' basic stream-level metrics come per minute. */
const PERIOD_SECONDS = 60;
/** How far back a minute still counts as the stream's present. */
const RECENT_MS = 5 * 60_000;

const query = (id: string, stream: string, metric: string, stat: 'Sum' | 'Maximum'): MetricDataQuery => ({
  Id: id,
  MetricStat: {
    Metric: { Namespace: 'AWS/Kinesis', MetricName: metric, Dimensions: [{ Name: 'StreamName', Value: stream }] },
    Period: PERIOD_SECONDS,
    Stat: stat,
  },
  ReturnData: true,
});

/** The stream's incoming records and bytes and its iterator age per minute, as the Kinesis console charts them. */
export async function streamMetrics(
  cloudwatch: CloudWatchClient,
  stream: string,
  minutes: number,
  signal: AbortSignal,
  now = new Date(),
): Promise<StreamMetrics> {
  const results = await recentMetricData(
    cloudwatch,
    [
      query('records', stream, 'IncomingRecords', 'Sum'),
      query('bytes', stream, 'IncomingBytes', 'Sum'),
      query('age', stream, 'GetRecords.IteratorAgeMilliseconds', 'Maximum'),
    ],
    minutes,
    signal,
    now,
  );

  const byTime = new Map<number, StreamMetricPoint>();
  const at = (time: Date) => {
    const key = time.getTime();
    let point = byTime.get(key);
    if (!point) byTime.set(key, (point = { at: time.toISOString(), records: 0, bytes: 0 }));
    return point;
  };
  for (const result of results) {
    (result.Timestamps ?? []).forEach((time, index) => {
      const value = result.Values?.[index] ?? 0;
      const point = at(time);
      if (result.Id === 'records') point.records += value;
      else if (result.Id === 'bytes') point.bytes += value;
      else if (result.Id === 'age') point.iteratorAgeMs = Math.max(point.iteratorAgeMs ?? 0, value);
    });
  }
  const points = [...byTime.values()].sort((a, b) => a.at.localeCompare(b.at));
  // CloudWatch publishes a minute a little after it ends: a quiet stream is one with no recent minute, not a late one.
  const recent = (p: StreamMetricPoint) => now.getTime() - Date.parse(p.at) <= RECENT_MS;
  const ended = points.filter((p) => Date.parse(p.at) + PERIOD_SECONDS * 1000 <= now.getTime()).at(-1);
  const aged = points.filter((p) => p.iteratorAgeMs !== undefined).at(-1);
  const rate = ended && recent(ended) ? ended : { records: 0, bytes: 0 };
  return {
    stream,
    periodSeconds: PERIOD_SECONDS,
    points,
    recordsPerSecond: rate.records / PERIOD_SECONDS,
    bytesPerSecond: rate.bytes / PERIOD_SECONDS,
    ...(aged && recent(aged) ? { iteratorAgeMs: aged.iteratorAgeMs } : {}),
  };
}
