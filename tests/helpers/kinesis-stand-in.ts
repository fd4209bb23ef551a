import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordIdOf } from '../../shared/pipeline/access-log.js';

/**
 * A Kinesis stand-in on loopback (awsJson1_1) for tests of the producer's side alone: one ACTIVE stream whose
 * PutRecords acknowledges every record, noting their ids in order, or, with `state.hang`, never answers, as a
 * stalled endpoint would. The sandbox's real Kinesis is used wherever a test needs more than that.
 */
export async function kinesisStandIn() {
  const state = { puts: 0, hang: false, acknowledged: [] as string[] };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '').split('.')[1];
      const reply = (value: unknown) => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(value));
      };
      if (target === 'DescribeStreamSummary')
        return reply({ StreamDescriptionSummary: { StreamName: 'events', StreamStatus: 'ACTIVE', OpenShardCount: 1 } });
      if (target === 'PutRecords') {
        state.puts++;
        if (state.hang) return; // the request stays open until its client aborts it
        const records = (JSON.parse(body) as { Records: { Data: string }[] }).Records;
        const sequence = state.acknowledged.length;
        for (const record of records) state.acknowledged.push(recordIdOf(Buffer.from(record.Data, 'base64').toString()) ?? '');
        return reply({
          FailedRecordCount: 0,
          Records: records.map((_, i) => ({ SequenceNumber: String(sequence + i).padStart(56, '4'), ShardId: 'shardId-000000000000' })),
        });
      }
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'UnknownOperationException' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { state, endpoint, close };
}
