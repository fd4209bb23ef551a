import { CloudWatchClient, PutMetricDataCommand, type MetricDatum, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Logger } from '../shared/node/log.js';
import { withMotoToken } from './services/moto.js';

export interface MetricPublisherOptions {
  /** The emulator's own endpoint (its CloudWatch), not the gateway. */
  endpoint: string;
  /** The run's upstream token, without which the emulator answers nothing. */
  token: string;
  log: Logger;
  /** How long observations are gathered before they are published. */
  flushMs?: number;
}

/** Whose metric it is: the account (moto finds it from the access key) and region of the calls that made it. */
export interface Caller {
  accessKeyId: string;
  region: string;
}

interface Statistic {
  unit: StandardUnit;
  samples: number;
  sum: number;
  min: number;
  max: number;
}

/** One resource's observations since the last flush. */
interface Pending {
  caller: Caller;
  namespace: string;
  dimension: { Name: string; Value: string };
  since: Date;
  metrics: Map<string, Statistic>;
}

/** PutMetricData takes up to 1,000 data points a call. */
const DATA_PER_CALL = 1000;

/**
 * The metrics AWS services publish that the emulator does not, gathered as
 * statistic sets per resource (one sample per observation, as AWS counts
 * them) and published every `flushMs` (and at close) to the emulator's
 * CloudWatch, in the caller's account and region.
 *
 * Publishing is fire and forget, so nothing waits on CloudWatch; a failure is
 * logged once until it works again.
 */
export class MetricPublisher {
  private pending = new Map<string, Pending>();
  private readonly clients = new Map<string, CloudWatchClient>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private failing = false;

  constructor(private readonly options: MetricPublisherOptions) {
    this.timer = setInterval(() => this.flush(), options.flushMs ?? 2000);
    this.timer.unref();
  }

  /**
   * Adds samples to one resource's pending metrics, first seen at `at`. The pending set is looked up at each sample,
   * so one taken after a flush (a caller that awaited in between) starts the next set rather than joining the sent one.
   */
  resource(
    caller: Caller,
    namespace: string,
    dimension: { Name: string; Value: string },
    at: number,
  ): (name: string, unit: StandardUnit, value: number) => void {
    const key = `${caller.accessKeyId}\n${caller.region}\n${namespace}\n${dimension.Name}\n${dimension.Value}`;
    return (name, unit, value) => {
      let pending = this.pending.get(key);
      if (!pending) this.pending.set(key, (pending = { caller, namespace, dimension, since: new Date(at), metrics: new Map() }));
      const statistic = pending.metrics.get(name);
      if (!statistic) return void pending.metrics.set(name, { unit, samples: 1, sum: value, min: value, max: value });
      statistic.samples++;
      statistic.sum += value;
      statistic.min = Math.min(statistic.min, value);
      statistic.max = Math.max(statistic.max, value);
    };
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const byTarget = new Map<string, { caller: Caller; namespace: string; data: MetricDatum[] }>();
    for (const { caller, namespace, dimension, since, metrics } of batch.values()) {
      const key = `${caller.accessKeyId}\n${caller.region}\n${namespace}`;
      let target = byTarget.get(key);
      if (!target) byTarget.set(key, (target = { caller, namespace, data: [] }));
      for (const [name, { unit, samples, sum, min, max }] of metrics) {
        target.data.push({
          MetricName: name,
          Dimensions: [dimension],
          Timestamp: since,
          Unit: unit,
          StatisticValues: { SampleCount: samples, Sum: sum, Minimum: min, Maximum: max },
        });
      }
    }
    for (const { caller, namespace, data } of byTarget.values()) {
      const client = this.client(caller);
      for (let i = 0; i < data.length; i += DATA_PER_CALL) {
        const sending = client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + DATA_PER_CALL) })).then(
          () => {
            if (!this.failing) return;
            this.failing = false;
            this.options.log.info('gateway', 'Publishing metrics works again');
          },
          (error: unknown) => {
            if (this.failing) return;
            this.failing = true;
            this.options.log.warn(
              'gateway',
              `Publishing ${namespace} metrics to the emulator’s CloudWatch failed (further failures are not logged until it works again)`,
              error,
            );
          },
        );
        this.inFlight.add(sending);
        void sending.finally(() => this.inFlight.delete(sending));
      }
    }
  }

  /** A client signing as the caller (moto reads only the access key), straight to the emulator. */
  private client({ accessKeyId, region }: Caller): CloudWatchClient {
    const key = `${accessKeyId}\n${region}`;
    let client = this.clients.get(key);
    if (!client) {
      client = withMotoToken(
        new CloudWatchClient({
          region,
          endpoint: this.options.endpoint,
          credentials: { accessKeyId, secretAccessKey: 'unused-by-the-emulator' },
          requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
          maxAttempts: 2,
          disableRequestCompression: true,
        }),
        this.options.token,
      );
      this.clients.set(key, client);
    }
    return client;
  }

  /** Publishes what is pending, waiting a few seconds at most. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => (timeout = setTimeout(resolve, 5_000)))]);
    clearTimeout(timeout);
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}

/** The caller's access key and region, from the SigV4 Authorization header's credential scope. */
export function callerOf(headers: { authorization?: string | undefined }): Caller | undefined {
  const scope = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/[^/]+\/aws4_request/.exec(headers.authorization ?? '');
  return scope ? { accessKeyId: scope[1]!, region: scope[2]! } : undefined;
}
