import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingest } from '../../shared/contract/operations/ingest.js';
import { Logger } from '../../shared/node/log.js';
import { AwsScope, type AwsAccess } from '../../electron/core/aws/clients.js';
import { WorkspaceFiles } from '../../electron/core/storage/file-access.js';
import { IngestService } from '../../electron/core/ingest/service.js';
import { until } from '../helpers/until.js';

/**
 * A Kinesis stand-in on loopback (awsJson1_1): one ACTIVE stream; PutRecords
 * acknowledges every record, or, with `hang`, never answers, as a stalled
 * endpoint would.
 */
async function kinesisStandIn() {
  const state = { puts: 0, acknowledged: 0, hang: false };
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
        const records = (JSON.parse(body) as { Records: unknown[] }).Records;
        state.acknowledged += records.length;
        return reply({
          FailedRecordCount: 0,
          Records: records.map((_, i) => ({ SequenceNumber: `${state.acknowledged}${i}`, ShardId: 'shardId-000000000000' })),
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

describe('IngestService.dispose', () => {
  let dir: string;
  let standIn: Awaited<ReturnType<typeof kinesisStandIn>>;
  let service: IngestService;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tributary-ingest-'));
    standIn = await kinesisStandIn();
    const aws: AwsAccess = {
      aws: () =>
        Promise.resolve(
          new AwsScope(
            { id: 'test', name: 'Test', kind: 'aws', region: 'us-east-1' },
            { region: 'us-east-1', endpoint: standIn.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } },
            'test',
          ),
        ),
    };
    service = new IngestService({
      dataDir: dir,
      aws,
      log: new Logger(undefined),
      files: await WorkspaceFiles.open(join(dir, 'workspace'), dir),
    });
  });

  afterEach(async () => {
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = () =>
    service.start(
      ingest.start.input.parse({ stream: 'events', source: { generator: { seed: 1 } }, recordsPerSecond: 200 }),
      new AbortController().signal,
    );

  for (const hang of [false, true]) {
    it(`ends a run nobody reads any more and writes its summary${hang ? ', with a put that never answers' : ''}`, async () => {
      standIn.state.hang = hang;
      const stream = start();
      const started = await stream.next();
      expect(started.value).toMatchObject({ kind: 'started', stream: 'events' });
      const runId = (started.value as { runId: string }).runId;
      // Its reader stops reading; the run goes on until the service is disposed.
      await until('records put', () => standIn.state.puts >= 2, 5_000);
      expect((await service.runs())[0]).toMatchObject({ runId, state: 'running' });

      await service.dispose();
      const puts = standIn.state.puts;
      const saved = JSON.parse(await readFile(join(dir, 'ingest', `${runId}.json`), 'utf8')) as Record<string, unknown>;
      expect(saved).toMatchObject({ runId, state: 'cancelled' });
      expect(saved.finishedAt).toEqual(expect.any(String));
      expect((await service.runs())[0]).toMatchObject({ runId, state: 'cancelled' });
      const ledger = (await readFile(service.ledgerPath(runId), 'utf8')).split('\n').filter(Boolean);
      expect(ledger.length).toBe(saved.acknowledged);
      if (!hang) expect(ledger.length).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(standIn.state.puts).toBe(puts);
      // The stream's reader, back, sees the run's end.
      const rest: unknown[] = [];
      for await (const chunk of stream) rest.push(chunk);
      expect(rest.at(-1)).toMatchObject({ kind: 'done', summary: { state: 'cancelled' } });
    });
  }
});
