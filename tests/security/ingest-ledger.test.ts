import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IngestChunk, IngestSummary } from '../../shared/contract/index.js';
import { ingest } from '../../shared/contract/operations/ingest.js';
import { Logger } from '../../shared/node/log.js';
import { AwsScope, type AwsAccess } from '../../electron/core/aws/clients.js';
import { readLedger } from '../../electron/core/ingest/ledger.js';
import { IngestService } from '../../electron/core/ingest/service.js';
import { WorkspaceFiles } from '../../electron/core/storage/file-access.js';
import { kinesisStandIn } from '../helpers/kinesis-stand-in.js';

// Issue 13, item 8: nothing lost, and no disk filled either. Without the fix a run's ledger grew with every
// acknowledged id (a 16 KiB cap held all 2,000 ids, about 230 KiB, in one file), no summary said anything was dropped,
// and the ledgers of old runs stayed in the ingest folder for ever.

const KIB = 1024;

describe('ingest ledgers capped by bytes', () => {
  let dir: string;
  let standIn: Awaited<ReturnType<typeof kinesisStandIn>>;
  let log: Logger;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tributary-ledger-'));
    standIn = await kinesisStandIn();
    log = new Logger(undefined);
  });

  afterEach(async () => {
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  });

  const service = async (perRunBytes: number, totalBytes: number) => {
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
    return new IngestService({
      dataDir: dir,
      aws,
      log,
      files: await WorkspaceFiles.open(join(dir, 'workspace'), dir),
      ledgerLimits: { perRunBytes, totalBytes },
    });
  };

  /** A whole generator run; one request in flight at a time, so the ledger's order is the stand-in's. */
  const run = async (ingestService: IngestService, total: number) => {
    const input = ingest.start.input.parse({
      stream: 'events',
      source: { generator: { seed: 1 } },
      recordsPerSecond: 1_000_000,
      total,
      concurrency: 1,
    });
    let runId = '';
    let summary: IngestSummary | undefined;
    for await (const chunk of ingestService.start(input, new AbortController().signal) as AsyncGenerator<IngestChunk>) {
      if (chunk.kind === 'started') runId = chunk.runId;
      if (chunk.kind === 'done') summary = chunk.summary;
    }
    expect(summary).toMatchObject({ state: 'completed', acknowledged: total });
    return { runId, summary: summary! };
  };

  const ledgerBytes = async (ledger: string) => {
    let bytes = 0;
    for (const segment of [ledger, `${ledger}.1`]) bytes += (await stat(segment).catch(() => undefined))?.size ?? 0;
    return bytes;
  };

  it('keeps a run within its cap: exactly the newest ids, once each, and reports the oldest it dropped', async () => {
    const cap = 16 * KIB;
    const ingestService = await service(cap, 1024 * KIB);
    const { runId, summary } = await run(ingestService, 2_000);

    const ledger = ingestService.ledgerPath(runId);
    const onDisk = await ledgerBytes(ledger);
    expect(onDisk).toBeLessThanOrEqual(cap);
    // The older segment was full when it rotated, so at least half the cap (less one line) is kept.
    expect(onDisk).toBeGreaterThan(cap / 2 - 200);

    const kept: string[] = [];
    for await (const entry of readLedger(ledger)) kept.push(entry.id);
    expect(new Set(kept).size).toBe(kept.length);
    expect(summary.ledgerDropped).toBeGreaterThan(0);
    expect(kept.length + summary.ledgerDropped).toBe(2_000);
    expect(kept).toEqual(standIn.state.acknowledged.slice(summary.ledgerDropped));

    const saved = JSON.parse(await readFile(join(dir, 'ingest', `${runId}.json`), 'utf8')) as Record<string, unknown>;
    expect(saved.ledgerDropped).toBe(summary.ledgerDropped);
    expect((await ingestService.runs())[0]).toMatchObject({ runId, ledgerDropped: summary.ledgerDropped });
    const said = log.recent(100).filter((line) => line.message.includes(`${summary.ledgerDropped} oldest acknowledged ids were dropped`));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 'warn', scope: 'ingest' });
    await ingestService.dispose();
  });

  it('keeps all runs’ ledgers within the total cap by deleting the oldest runs’ ledgers first', async () => {
    const perRun = 16 * KIB;
    const earlier = await service(perRun, 1024 * KIB);
    const first = await run(earlier, 1_000);
    const second = await run(earlier, 1_000);
    await earlier.dispose();
    const firstBytes = await ledgerBytes(earlier.ledgerPath(first.runId));
    const secondBytes = await ledgerBytes(earlier.ledgerPath(second.runId));
    // Room for the second run's ledger, half the first's and a full one for the run starting: the first must go.
    const totalCap = secondBytes + firstBytes / 2 + perRun;
    const ingestService = await service(perRun, totalCap);
    const third = await run(ingestService, 1_000);

    const files = await readdir(join(dir, 'ingest'));
    expect(files.filter((name) => name.startsWith(first.runId) && name.includes('.ids'))).toEqual([]);
    expect(files).toContain(`${second.runId}.ids`);
    expect(files).toContain(`${third.runId}.ids`);
    let total = 0;
    for (const name of files.filter((n) => n.includes('.ids'))) total += (await stat(join(dir, 'ingest', name))).size;
    expect(total).toBeLessThanOrEqual(totalCap);
    // The first run is still listed; only its ledger went, and the log says which.
    expect((await ingestService.runs()).map((r) => r.runId)).toContain(first.runId);
    const said = log.recent(100).filter((line) => line.message.includes('Deleted the ledgers of'));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain(first.runId);
    await ingestService.dispose();
  });
});
