import type { Interceptor } from './gateway/server.js';
import { StreamMetrics, type StreamMetricsOptions } from './kinesis-metrics.js';

type Json = Record<string, unknown>;

/**
 * moto numbers a shard's records as last + 1 without a lock, so concurrent puts can overwrite each other, and a read can
 * meet a put mid-way; resharding changes the shards a put is routed among and a read walks.
 */
const DATA_OPERATIONS = new Set(['PutRecord', 'PutRecords', 'GetRecords', 'SplitShard', 'MergeShards', 'UpdateShardCount']);

/**
 * Kinesis as an operator sees it: a new stream is CREATING for a while (the
 * emulator makes it ACTIVE at once), so the app's waiting is exercised; as on
 * AWS, an acknowledged record is never lost: the emulator's data operations
 * run one at a time; and, given `metrics`, each stream's basic CloudWatch
 * metrics (AWS/Kinesis, dimension StreamName) are published as AWS does
 * (see StreamMetrics).
 */
export function kinesisInterceptor(creatingMs: number, metrics?: StreamMetricsOptions): Interceptor {
  const createdAt = new Map<string, number>();
  const status = (name: unknown, emulated: unknown) =>
    emulated === 'ACTIVE' && Date.now() - (createdAt.get(String(name)) ?? 0) < creatingMs ? 'CREATING' : emulated;
  const published = metrics ? new StreamMetrics(metrics) : undefined;

  return {
    exclusive: (operation) => (DATA_OPERATIONS.has(operation) ? 'kinesis-data' : undefined),
    async rewrite(operation, requestBody, responseBody, code, headers) {
      if (code !== 200) return responseBody;
      switch (operation) {
        case 'CreateStream':
          createdAt.set(String((JSON.parse(requestBody || '{}') as Json).StreamName), Date.now());
          return responseBody;
        case 'DescribeStream':
        case 'DescribeStreamSummary': {
          const response = JSON.parse(responseBody) as Json;
          const description = (response.StreamDescription ?? response.StreamDescriptionSummary) as Json;
          description.StreamStatus = status(description.StreamName, description.StreamStatus);
          return JSON.stringify(response);
        }
        case 'ListStreams': {
          const response = JSON.parse(responseBody) as Json;
          for (const summary of (response.StreamSummaries ?? []) as Json[])
            summary.StreamStatus = status(summary.StreamName, summary.StreamStatus);
          return JSON.stringify(response);
        }
        case 'PutRecord':
        case 'PutRecords':
        case 'GetRecords':
          published?.observe(operation, requestBody, responseBody, headers);
          return responseBody;
        default:
          return responseBody;
      }
    },
    close: async () => published?.close(),
  };
}
