import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { resourceTypes, type ResourceRef } from '../../../shared/contract/index.js';
import { JsonFile } from '../storage/json-file.js';
import type { FileProblems } from './ports.js';

const resourceSchema = z
  .object({
    type: z.enum(resourceTypes),
    id: z.string().min(1).max(512),
    name: z.string().max(512),
    status: z.enum(['created', 'deleted']),
    /** Account-wide defaults (EMR's default roles) stay when a run is cleaned up. */
    keep: z.boolean().default(false),
    /** A private key file Tributary wrote for a key pair it created. */
    keyFile: z.string().max(4096).optional(),
  })
  .strict();

const runSchema = z
  .object({
    id: z.string().regex(/^p-[0-9a-f]{8,32}$/),
    environmentId: z.string().max(64),
    region: z.string().max(32),
    kind: z.enum(['kinesis', 's3', 'emr', 'redshift', 'redshift-serverless', 'firehose', 'pipeline']),
    pipeline: z.string().max(20).optional(),
    startedAt: z.string(),
    state: z.enum(['running', 'done', 'failed', 'cleaned']),
    failure: z.string().max(2000).optional(),
    resources: z.array(resourceSchema).max(50),
  })
  .strict();

const fileSchema = z.object({ runs: z.array(runSchema).max(1000).default([]) }).strict();

export type LedgerRun = z.infer<typeof runSchema>;
export type LedgerResource = z.infer<typeof resourceSchema>;

/**
 * Every resource a provisioning run created, written before the run moves on,
 * so a failure, a cancel or a crash half-way leaves nothing untracked: the
 * inventory shows it under its run, and `provision.cleanup` deletes it.
 */
export class ProvisionLedger {
  private readonly file: JsonFile<z.infer<typeof fileSchema>>;
  private state: Promise<LedgerRun[]>;

  constructor(dataDir: string, notices: FileProblems) {
    this.file = new JsonFile(
      join(dataDir, 'provisioned.json'),
      fileSchema,
      () => ({ runs: [] }),
      (p) => notices.fileProblem(p),
    );
    this.state = this.file.load().then((f) => f.runs);
  }

  async runs(): Promise<LedgerRun[]> {
    return this.state;
  }

  async run(id: string): Promise<LedgerRun | undefined> {
    return (await this.state).find((r) => r.id === id);
  }

  async start(run: Omit<LedgerRun, 'id' | 'startedAt' | 'state' | 'resources'>): Promise<LedgerRun> {
    const created: LedgerRun = {
      ...run,
      id: `p-${randomBytes(6).toString('hex')}`,
      startedAt: new Date().toISOString(),
      state: 'running',
      resources: [],
    };
    // Runs with nothing left to clean are forgotten after the newest 200.
    await this.mutate((runs) => [
      ...runs.filter(
        (r, i) =>
          r.state === 'running' || r.state === 'failed' || r.resources.some((x) => x.status === 'created') || i >= runs.length - 200,
      ),
      created,
    ]);
    return created;
  }

  async created(runId: string, ref: ResourceRef, extra: { keep?: boolean; keyFile?: string } = {}): Promise<void> {
    await this.update(runId, (run) => ({
      ...run,
      resources: [
        ...run.resources.filter((r) => !(r.type === ref.type && r.id === ref.id)),
        { ...ref, status: 'created', keep: extra.keep ?? false, ...(extra.keyFile ? { keyFile: extra.keyFile } : {}) },
      ],
    }));
  }

  async finish(runId: string, state: 'done' | 'failed' | 'cleaned', failure?: string): Promise<void> {
    await this.update(runId, (run) => ({ ...run, state, ...(failure ? { failure: failure.slice(0, 2000) } : {}) }));
  }

  /** Marks a resource deleted in every run that holds it (deleted from the inventory or by cleanup). */
  async deleted(type: ResourceRef['type'], id: string): Promise<void> {
    await this.mutate((runs) =>
      runs.map((r) => ({
        ...r,
        resources: r.resources.map((x) => (x.type === type && x.id === id ? { ...x, status: 'deleted' as const } : x)),
      })),
    );
  }

  /** The run (if any) that created a resource still standing. */
  async runOf(environmentId: string, type: ResourceRef['type'], id: string): Promise<string | undefined> {
    return (await this.state).find(
      (r) => r.environmentId === environmentId && r.resources.some((x) => x.type === type && x.id === id && x.status === 'created'),
    )?.id;
  }

  private update(runId: string, change: (run: LedgerRun) => LedgerRun): Promise<void> {
    return this.mutate((runs) => runs.map((r) => (r.id === runId ? change(r) : r)));
  }

  /** Changes are applied one after another, each to the result of the last, and written in that order. */
  private mutate(change: (runs: LedgerRun[]) => LedgerRun[]): Promise<void> {
    const previous = this.state;
    const next = previous.then(change);
    this.state = next.catch(() => previous);
    return next.then((runs) => this.file.save({ runs }));
  }
}
