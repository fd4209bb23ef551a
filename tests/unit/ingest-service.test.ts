import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingest } from '../../shared/contract/operations/ingest.js';
import { Logger } from '../../shared/node/log.js';
import { AwsScope, type AwsAccess } from '../../electron/core/aws/clients.js';
import { WorkspaceFiles } from '../../electron/core/storage/file-access.js';
import { IngestService } from '../../electron/core/ingest/service.js';
import { kinesisStandIn } from '../helpers/kinesis-stand-in.js';
import { until } from '../helpers/until.js';

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
