import type { Inventory, InventoryDeleteChunk, InventoryItem, InventoryWatchChunk, ResourceRef } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { sleep } from '../../../shared/node/sleep.js';
import { explainAwsError } from '../aws/errors.js';
import * as emr from './emr.js';
import * as firehose from './firehose.js';
import * as kinesis from './kinesis.js';
import { MANAGED_TAG, PIPELINE_TAG } from './plan.js';
import { priceTable, runningCost, serverlessRpuPrice, usd } from './pricing.js';
import type { Provisioning } from './provisioning.js';
import * as redshift from './redshift.js';
import * as serverless from './redshift-serverless.js';
import { currentName, deleteOne } from './resources.js';
import * as s3 from './s3.js';

const hours = (ms: number) => ms / 3_600_000;
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/**
 * What stands in the active environment, with its cost per hour and so far:
 * everything Tributary made (tagged, or in the ledger), and on request the rest;
 * watched for changes, and deleted one at a time after a typed confirmation.
 */
export class ProvisionInventory {
  constructor(private readonly base: Provisioning) {}

  async list(includeUntagged: boolean, signal: AbortSignal): Promise<Inventory> {
    const scope = await this.base.aws();
    const ctx = this.base.context(scope, signal);
    const { region } = scope;
    const now = Date.now();
    const problems: string[] = [];
    const items: InventoryItem[] = [];
    const read = async <T>(what: string, run: () => Promise<T[]>): Promise<T[]> => {
      try {
        return await run();
      } catch (error) {
        if (signal.aborted) throw error;
        problems.push(explainAwsError(error, what, `listing ${what}`).message);
        return [];
      }
    };
    const add = async (
      base: Omit<InventoryItem, 'managed' | 'pipeline' | 'runId' | 'ageMs' | 'costSoFar' | 'costPerHour' | 'confirmWith' | 'deletable'>,
      tags: Record<string, string>,
      perHour: number,
      createdAt: Date | undefined,
      deletable: boolean,
    ) => {
      const managed = tags[MANAGED_TAG] === 'true';
      const runId = await this.base.ledger.runOf(scope.environment.id, base.type, base.id);
      if (!includeUntagged && !managed && !runId) return;
      const ageMs = createdAt ? Math.max(0, now - createdAt.getTime()) : undefined;
      items.push({
        ...base,
        managed,
        ...(tags[PIPELINE_TAG] ? { pipeline: tags[PIPELINE_TAG] } : {}),
        ...(runId ? { runId } : {}),
        ...(createdAt ? { createdAt: createdAt.toISOString() } : {}),
        ...(ageMs !== undefined ? { ageMs } : {}),
        costPerHour: round4(perHour),
        costSoFar: round4(ageMs !== undefined ? perHour * hours(ageMs) : 0),
        confirmWith: base.name,
        deletable,
      });
    };
    const [streams, deliveryStreams, buckets, clusters, warehouses, [serverlessSeen]] = await Promise.all([
      read('kinesis:ListStreams', () => kinesis.listStreams(ctx)),
      read('firehose:ListDeliveryStreams', () => firehose.listDeliveryStreams(ctx)),
      read('s3:ListAllMyBuckets', () =>
        s3.listBuckets(ctx, (_name, bucketRegion, tags) => bucketRegion === region || tags[MANAGED_TAG] === 'true'),
      ),
      read('elasticmapreduce:ListClusters', () => emr.listClusters(ctx)),
      read('redshift:DescribeClusters', () => redshift.listWarehouses(ctx)),
      read('redshift-serverless:ListWorkgroups', async () => [await serverless.listServerless(ctx)]),
    ]);
    for (const s of streams) {
      const cost = runningCost(region, {
        type: 'kinesis-stream',
        mode: s.mode,
        shards: s.shards,
        retentionHours: s.retentionHours,
      }).usdPerHour;
      await add(
        {
          type: 'kinesis-stream',
          id: s.name,
          name: s.name,
          state: s.status,
          size:
            s.mode === 'on-demand'
              ? `on-demand, ${s.shards} shards`
              : `${s.shards} shard${s.shards === 1 ? '' : 's'}, ${s.retentionHours} h retention`,
        },
        s.tags,
        cost,
        s.createdAt,
        s.status === 'ACTIVE',
      );
    }
    for (const d of deliveryStreams) {
      await add(
        { type: 'firehose-stream', id: d.name, name: d.name, state: d.status, size: `${d.source} → ${d.destination}` },
        d.tags,
        runningCost(region, { type: 'firehose-stream' }).usdPerHour,
        d.createdAt,
        d.status === 'ACTIVE' || d.status === 'CREATING_FAILED',
      );
    }
    for (const b of buckets) {
      const cost = runningCost(b.region, { type: 's3-bucket', bytes: b.bytes }).usdPerHour;
      await add(
        {
          type: 's3-bucket',
          id: b.name,
          name: b.name,
          state: 'available',
          size: `${b.partial ? '≥ ' : ''}${b.objects} object${b.objects === 1 ? '' : 's'}, ${formatBytes(b.bytes)}`,
        },
        b.tags,
        cost,
        b.createdAt,
        true,
      );
    }
    for (const c of clusters) {
      const cost = runningCost(region, { type: 'emr-cluster', groups: c.groups }).usdPerHour;
      await add(
        {
          type: 'emr-cluster',
          id: c.id,
          name: c.name,
          state: c.state,
          size: c.groups.map((g) => `${g.count} × ${g.instanceType}`).join(' + ') || 'unknown',
        },
        c.tags,
        cost,
        c.createdAt,
        c.state !== 'TERMINATING',
      );
    }
    for (const w of warehouses) {
      const cost = runningCost(region, { type: 'redshift-cluster', nodeType: w.nodeType, count: w.nodes }).usdPerHour;
      await add(
        { type: 'redshift-cluster', id: w.id, name: w.id, state: w.state, size: `${w.nodes} × ${w.nodeType}` },
        w.tags,
        cost,
        w.createdAt,
        w.state !== 'deleting',
      );
    }
    const rpuHour = serverlessRpuPrice(region).rpuHour;
    for (const w of serverlessSeen?.workgroups ?? []) {
      // Billed by the RPU-second while it works, so standing still costs nothing by the hour.
      await add(
        {
          type: 'redshift-workgroup',
          id: w.name,
          name: w.name,
          state: w.state,
          size: `${w.baseCapacity} RPUs base (${usd(w.baseCapacity * rpuHour)}/h while working), namespace ${w.namespaceName}${w.endpoint ? `, at ${w.endpoint}` : ''}`,
        },
        w.tags,
        0,
        w.createdAt,
        w.state === 'AVAILABLE',
      );
    }
    for (const n of serverlessSeen?.namespaces ?? []) {
      await add(
        {
          type: 'redshift-namespace',
          id: n.name,
          name: n.name,
          state: n.state,
          size: `database ${n.database}, storage billed per GB-month`,
        },
        n.tags,
        0,
        n.createdAt,
        n.state === 'AVAILABLE',
      );
    }
    return {
      environmentId: scope.environment.id,
      region,
      items,
      totalPerHour: round4(items.reduce((sum, i) => sum + i.costPerHour, 0)),
      totalSoFar: round4(items.reduce((sum, i) => sum + i.costSoFar, 0)),
      priceTableDate: priceTable.date,
      checkedAt: new Date(now).toISOString(),
      problems,
    };
  }

  async *watch(intervalSeconds: number, includeUntagged: boolean, signal: AbortSignal): AsyncGenerator<InventoryWatchChunk> {
    let previous: Map<string, InventoryItem> | undefined;
    while (!signal.aborted) {
      const inventory = await this.list(includeUntagged, signal);
      const now = new Map(inventory.items.map((i) => [`${i.type}/${i.id}`, i]));
      if (previous) {
        for (const [key, item] of now) {
          const before = previous.get(key);
          if (!before)
            yield {
              kind: 'change',
              item: { type: item.type, id: item.id, name: item.name },
              to: item.state,
              message: `${item.name} appeared (${item.state})`,
            };
          else if (before.state !== item.state)
            yield {
              kind: 'change',
              item: { type: item.type, id: item.id, name: item.name },
              from: before.state,
              to: item.state,
              message: `${item.name}: ${before.state} → ${item.state}`,
            };
        }
        for (const [key, item] of previous)
          if (!now.has(key))
            yield {
              kind: 'change',
              item: { type: item.type, id: item.id, name: item.name },
              from: item.state,
              message: `${item.name} is gone`,
            };
      }
      previous = now;
      yield { kind: 'inventory', inventory };
      await sleep(intervalSeconds * 1000, signal);
    }
  }

  async *delete(
    input: {
      type: InventoryItem['type'];
      id: string;
      confirm: string;
      finalSnapshot: boolean;
      finalSnapshotIdentifier?: string | undefined;
    },
    signal: AbortSignal,
  ): AsyncGenerator<InventoryDeleteChunk> {
    const scope = await this.base.aws();
    const ctx = this.base.context(scope, signal);
    const name = await currentName(ctx, input.type, input.id);
    if (input.confirm !== name) {
      throw new AppError('VALIDATION', `Type ${name} to confirm deleting it.`, [
        { path: 'confirm', message: `Type the name exactly: ${name}` },
      ]);
    }
    const resource: ResourceRef = { type: input.type, id: input.id, name };
    const snapshot =
      input.type === 'redshift-cluster' && input.finalSnapshot
        ? (input.finalSnapshotIdentifier ?? redshift.finalSnapshotName(input.id))
        : undefined;
    this.base.log.info(
      'provision',
      `Deleting ${input.type} ${input.id} in ${scope.environment.name}${snapshot ? ` (final snapshot ${snapshot})` : ''}`,
    );
    const label = input.type === 'emr-cluster' ? 'terminate' : input.type === 's3-bucket' ? 'empty-and-delete' : 'delete';
    yield {
      kind: 'step',
      step: label,
      state: 'running',
      elapsedMs: ctx.elapsed(),
      message: `${input.type === 'emr-cluster' ? 'Terminating' : 'Deleting'} ${name}${snapshot ? `, with a final snapshot ${snapshot}` : ''}`,
    };
    try {
      for await (const seen of deleteOne(ctx, resource, snapshot)) {
        if (seen.done !== undefined)
          yield {
            kind: 'progress',
            step: 'empty',
            done: seen.done,
            ...(seen.total !== undefined ? { total: seen.total } : {}),
            elapsedMs: ctx.elapsed(),
            message: seen.message,
          };
        else
          yield {
            kind: 'step',
            step: label,
            state: 'waiting',
            elapsedMs: ctx.elapsed(),
            message: seen.message,
            ...(seen.state ? { awsState: seen.state } : {}),
          };
      }
    } catch (error) {
      throw explainAwsError(error, `delete ${input.type}`, `deleting ${name}`).toAppError();
    }
    await this.base.ledger.deleted(input.type, input.id);
    yield { kind: 'step', step: label, state: 'done', elapsedMs: ctx.elapsed(), message: `${name} is gone` };
    yield { kind: 'done', elapsedMs: ctx.elapsed(), ...(snapshot ? { snapshot } : {}) };
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
