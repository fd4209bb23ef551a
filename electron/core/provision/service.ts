import type { HandlerGroup } from '../dispatch/handlers.js';
import { ProvisionInventory } from './inventory.js';
import { discoverOptions } from './options.js';
import { previewInActive, validate } from './preview.js';
import { Provisioning, type ProvisionDeps } from './provisioning.js';
import { ProvisionRuns } from './runs.js';

export type { ProvisionDeps } from './provisioning.js';

/**
 * The provisioning wizards, the pipeline from one prefix, the inventory and teardown.
 * Everything created is tagged tributary:managed=true (and tributary:pipeline=<prefix>)
 * and written to the ledger the moment AWS accepts it.
 */
export class ProvisionService {
  private readonly base: Provisioning;
  private readonly runs: ProvisionRuns;
  private readonly inventory: ProvisionInventory;

  constructor(deps: ProvisionDeps) {
    this.base = new Provisioning(deps);
    this.runs = new ProvisionRuns(this.base);
    this.inventory = new ProvisionInventory(this.base);
  }

  handlers(): HandlerGroup {
    const { base, runs, inventory } = this;
    return {
      'provision.options': (_input, { signal }) => discoverOptions(base, signal),
      'provision.validate': async ({ spec }, { signal }) => ({ issues: await validate(base, spec, signal) }),
      'provision.preview': ({ spec, region }) => previewInActive(base, spec, region),
      'provision.create': ({ spec }, { signal }) => runs.create(spec, signal),
      'provision.pipeline': ({ spec }, { signal }) => runs.pipeline(spec, signal),
      'provision.cleanup': ({ runId }, { signal }) => runs.cleanup(runId, signal),
      'inventory.list': ({ includeUntagged }, { signal }) => inventory.list(includeUntagged, signal),
      'inventory.watch': ({ intervalSeconds, includeUntagged }, { signal }) => inventory.watch(intervalSeconds, includeUntagged, signal),
      'inventory.delete': (input, { signal }) => inventory.delete(input, signal),
    };
  }
}
