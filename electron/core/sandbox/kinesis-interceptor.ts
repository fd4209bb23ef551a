import type { Interceptor } from './gateway/server.js';

type Json = Record<string, unknown>;

/** moto numbers a shard's records as last + 1 without a lock, so concurrent puts can overwrite each other, and a read can meet a put mid-way. */
const DATA_OPERATIONS = new Set(['PutRecord', 'PutRecords', 'GetRecords']);

/**
 * Kinesis as an operator sees it: a new stream is CREATING for a while (the
 * emulator makes it ACTIVE at once), so the app's waiting is exercised; and,
 * as on AWS, an acknowledged record is never lost: the emulator's data
 * operations run one at a time.
 */
export function kinesisInterceptor(creatingMs: number): Interceptor {
  const createdAt = new Map<string, number>();
  const status = (name: unknown, emulated: unknown) =>
    emulated === 'ACTIVE' && Date.now() - (createdAt.get(String(name)) ?? 0) < creatingMs ? 'CREATING' : emulated;

  return {
    exclusive: (operation) => (DATA_OPERATIONS.has(operation) ? 'kinesis-data' : undefined),
    async rewrite(operation, requestBody, responseBody, code) {
      if (code !== 200) return responseBody;
      const request = JSON.parse(requestBody || '{}') as Json;
      switch (operation) {
        case 'CreateStream':
          createdAt.set(String(request.StreamName), Date.now());
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
          for (const summary of (response.StreamSummaries ?? []) as Json[]) summary.StreamStatus = status(summary.StreamName, summary.StreamStatus);
          return JSON.stringify(response);
        }
        default:
          return responseBody;
      }
    },
  };
}
