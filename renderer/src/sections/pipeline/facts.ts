import type { RpcClient } from '../../../../shared/rpc-client';
import type { FirehoseFacts, S3Entry } from '../../../../shared/contract';
import { toAppError } from '../../bridge/hooks';
import { METRICS_MINUTES, type CuratedFacts, type JobFacts, type RawFacts, type RedshiftFacts, type StreamFacts } from './health';

/** Where the Spark jobs write (spark/README.md). */
export const RAW_PREFIX = 'raw/access_logs/';
export const CURATED_PREFIX = 'curated/access_logs/';
/** Bounds the listing work one refresh does on a large bucket. */
const MAX_PAGES = 10;

const message = (error: unknown) => toAppError(error).message;

export async function streamFacts(client: RpcClient, stream: string, signal: AbortSignal): Promise<StreamFacts> {
  try {
    const [streams, shards, metrics] = await Promise.all([
      client.call('ingest.streams', {}, signal),
      client.call('ingest.shards', { stream }, signal),
      // Without cloudwatch:GetMetricData the stream still works: say so beside the numbers, not as the stream's health.
      client.call('ingest.metrics', { stream, minutes: METRICS_MINUTES }, signal).catch((error: unknown) => ({ error: message(error) })),
    ]);
    const status = streams.find((s) => s.name === stream)?.status;
    const measured =
      'error' in metrics
        ? { metricsError: metrics.error }
        : {
            recordsPerSecond: metrics.recordsPerSecond,
            recentRecords: metrics.points.reduce((sum, p) => sum + p.records, 0),
            ...(metrics.iteratorAgeMs !== undefined ? { iteratorAgeMs: metrics.iteratorAgeMs } : {}),
          };
    return { ...(status ? { status } : {}), shards: shards.length, openShards: shards.filter((s) => s.open).length, ...measured };
  } catch (error) {
    return { error: message(error) };
  }
}

export async function firehoseFacts(client: RpcClient, name: string, signal: AbortSignal): Promise<FirehoseFacts | { error: string }> {
  try {
    return await client.call('pipeline.firehose', { deliveryStream: name, minutes: METRICS_MINUTES }, signal);
  } catch (error) {
    return { error: message(error) };
  }
}

export async function redshiftFacts(
  client: RpcClient,
  connectionId: string,
  signal: AbortSignal,
): Promise<Omit<RedshiftFacts, 'connectionName'>> {
  try {
    const [last] = await client.call('pipeline.loads', { connectionId, limit: 1 }, signal);
    return { read: true, ...(last ? { last } : {}) };
  } catch (error) {
    return { read: true, error: message(error) };
  }
}

async function listAll(
  client: RpcClient,
  bucket: string,
  prefix: string,
  signal: AbortSignal,
): Promise<{ prefixes: string[]; objects: S3Entry[] }> {
  const prefixes: string[] = [];
  const objects: S3Entry[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const listing = await client.call('pipeline.list', { bucket, prefix, limit: 1000, ...(token ? { token } : {}) }, signal);
    prefixes.push(...listing.prefixes);
    objects.push(...listing.objects);
    token = listing.nextToken;
    if (!token) break;
  }
  return { prefixes, objects };
}

const newestOf = (objects: S3Entry[]) =>
  objects.reduce<S3Entry | undefined>((best, o) => (!best || (o.lastModified ?? '') > (best.lastModified ?? '') ? o : best), undefined);

export async function rawFacts(client: RpcClient, bucket: string, signal: AbortSignal, now = new Date()): Promise<RawFacts> {
  try {
    const days = await listAll(client, bucket, RAW_PREFIX, signal);
    const today = `${RAW_PREFIX}dt=${now.toISOString().slice(0, 10)}/`;
    const newestDay = [...days.prefixes].sort().at(-1);
    let newest = newestOf(days.objects);
    let bytesToday = 0;
    let objectsToday = 0;
    if (newestDay) {
      const inDay = await listAll(client, bucket, newestDay, signal);
      const candidate = newestOf(inDay.objects);
      if (candidate && (!newest || (candidate.lastModified ?? '') > (newest.lastModified ?? ''))) newest = candidate;
      if (newestDay === today) {
        bytesToday = inDay.objects.reduce((sum, o) => sum + o.size, 0);
        objectsToday = inDay.objects.length;
      }
    }
    return { ...(newest ? { newest } : {}), bytesToday, objectsToday };
  } catch (error) {
    return { bytesToday: 0, objectsToday: 0, error: message(error) };
  }
}

export async function curatedFacts(client: RpcClient, bucket: string, signal: AbortSignal): Promise<CuratedFacts> {
  try {
    const top = await listAll(client, bucket, CURATED_PREFIX, signal);
    const versions = top.prefixes
      .map((p) => /\/v(\d+)\/$/.exec(p)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const latest = versions.at(-1);
    if (latest === undefined) return { versions, partitions: 0 };
    const prefix = `${CURATED_PREFIX}v${latest}/`;
    const [inLatest, counted] = await Promise.all([
      listAll(client, bucket, prefix, signal),
      client.call('pipeline.parquetRows', { bucket, prefix }, signal),
    ]);
    return {
      versions,
      partitions: inLatest.prefixes.filter((p) => /dt=[^/]+\/$/.test(p)).length,
      rows: counted.rows,
      rowsComplete: counted.complete,
    };
  } catch (error) {
    return { versions: [], partitions: 0, error: message(error) };
  }
}

export async function jobFacts(client: RpcClient, clusterId: string, signal: AbortSignal): Promise<JobFacts> {
  try {
    const runs = await client.call('pipeline.runs', { clusterId }, signal);
    const sorted = [...runs].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    const last = sorted[0];
    return { ...(last ? { last } : {}), running: runs.filter((r) => r.state === 'RUNNING' || r.state === 'PENDING').length };
  } catch (error) {
    return { running: 0, error: message(error) };
  }
}
