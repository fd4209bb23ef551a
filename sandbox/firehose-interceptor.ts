import { randomBytes } from 'node:crypto';
import type { Interceptor } from './gateway/server.js';
import type { DeliveryWorker } from './firehose/delivery-worker.js';
import { callerOf } from './metric-publisher.js';

type Json = Record<string, unknown>;

/** PutRecordBatch's limits: 500 records, 4 MiB in all; a record is at most 1,000 KiB. */
const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 2 ** 20;
const MAX_RECORD_BYTES = 1000 * 1024;

/**
 * Firehose as an operator sees it: puts are buffered and delivered by the worker (the emulator would write each put
 * to S3 at once), answered as AWS answers them; a Kinesis-sourced stream refuses puts; the worker learns of streams
 * created, changed and deleted.
 */
export function firehoseInterceptor(worker: DeliveryWorker): Interceptor {
  return {
    async answer(operation, body, headers) {
      if (operation !== 'PutRecord' && operation !== 'PutRecordBatch') return undefined;
      const caller = callerOf(headers);
      if (!caller) return undefined;
      const request = JSON.parse(body || '{}') as Json;
      const name = String(request.DeliveryStreamName ?? '');
      const records = operation === 'PutRecord' ? [request.Record as Json | undefined] : ((request.Records ?? []) as (Json | undefined)[]);
      const data = records.map((record) => (typeof record?.Data === 'string' ? record.Data : undefined));
      const invalid = invalidPut(operation, data);
      if (invalid) return error(400, 'InvalidArgumentException', invalid);
      const config = await worker.describe(caller, name);
      if ('error' in config) return error(400, config.error, config.message);
      if (config.type !== 'DirectPut')
        return error(400, 'InvalidArgumentException', 'This operation is not permitted on KinesisStreamAsSource delivery stream type.');
      worker.accept(caller, name, data as string[]);
      if (operation === 'PutRecord') return json({ RecordId: recordId(), Encrypted: false });
      return json({ FailedPutCount: 0, Encrypted: false, RequestResponses: data.map(() => ({ RecordId: recordId() })) });
    },
    async rewrite(operation, requestBody, responseBody, status, headers) {
      const caller = callerOf(headers);
      if (status !== 200 || !caller) return responseBody;
      const request = JSON.parse(requestBody || '{}') as Json;
      const name = String(request.DeliveryStreamName ?? '');
      // The emulator keeps the Redshift user's password but, as AWS, never describes it; the worker logs in with it.
      const password = ((request.RedshiftDestinationConfiguration ?? request.RedshiftDestinationUpdate) as Json | undefined)?.Password;
      if (operation === 'CreateDeliveryStream') worker.created(caller, name, typeof password === 'string' ? password : undefined);
      if (operation === 'UpdateDestination') worker.updated(caller, name, typeof password === 'string' ? password : undefined);
      if (operation === 'DeleteDeliveryStream') worker.deleted(caller, name);
      return responseBody;
    },
    close: () => worker.close(),
  };
}

function invalidPut(operation: string, data: (string | undefined)[]): string | undefined {
  if (data.length === 0 || data.includes(undefined)) return `${operation} needs records with Data.`;
  if (data.length > MAX_BATCH_RECORDS) return `Records has ${data.length} entries; at most ${MAX_BATCH_RECORDS} are allowed.`;
  const sizes = data.map((entry) => Buffer.byteLength(entry!, 'base64'));
  if (sizes.some((size) => size > MAX_RECORD_BYTES)) return `A record is larger than ${MAX_RECORD_BYTES} bytes.`;
  if (sizes.reduce((sum, size) => sum + size, 0) > MAX_BATCH_BYTES) return `The batch is larger than ${MAX_BATCH_BYTES} bytes.`;
  return undefined;
}

/** Firehose's record ids are long opaque tokens. */
function recordId(): string {
  return randomBytes(42).toString('base64url');
}

function json(value: unknown) {
  return { status: 200, body: JSON.stringify(value), contentType: 'application/x-amz-json-1.1' };
}

function error(status: number, type: string, message: string) {
  return { status, body: JSON.stringify({ __type: type, message }), contentType: 'application/x-amz-json-1.1' };
}
