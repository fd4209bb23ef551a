import type { ConnectionSpec, EngineInfo } from '../../../shared/contract/index.js';
import { invalidInput } from '../dispatch/invalid-input.js';
import type { EngineDescriptor } from './descriptor.js';
import { redshiftDataEngine } from './redshift-data.js';
import { redshiftEngine } from './redshift.js';
import { sparkEngine } from './spark.js';

/** The app's engines, in the order the connection form offers them. Adding an engine is its file and one line here. */
export const builtInEngines: readonly AnyEngine[] = [redshiftEngine, redshiftDataEngine, sparkEngine];

// Each descriptor's options type is its own; the registry only hands options from a descriptor's schema back to it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEngine = EngineDescriptor<any>;

/** A spec whose options its engine's schema accepted. */
export interface CheckedSpec {
  descriptor: AnyEngine;
  options: Record<string, unknown>;
}

/** The engines a core knows, by kind. Two with one kind are a wiring mistake, refused at start-up. */
export class EngineRegistry {
  private readonly byKind = new Map<string, AnyEngine>();

  constructor(descriptors: readonly AnyEngine[]) {
    for (const descriptor of descriptors) {
      if (this.byKind.has(descriptor.kind)) throw new Error(`Two engines are registered as "${descriptor.kind}"`);
      this.byKind.set(descriptor.kind, descriptor);
    }
  }

  all(): AnyEngine[] {
    return [...this.byKind.values()];
  }

  find(kind: string): AnyEngine | undefined {
    return this.byKind.get(kind);
  }

  /**
   * Checks a connection spec's options against its engine's schema; a refusal is the VALIDATION error the edge
   * gives, its paths under `spec` as the operation's input has them.
   */
  check(spec: ConnectionSpec, operation = 'connections.save'): CheckedSpec {
    const { engine, ...rest } = spec;
    const descriptor = this.byKind.get(engine);
    if (!descriptor) {
      const known = [...this.byKind.keys()].join(', ');
      throw invalidInput(operation, { issues: [{ path: ['engine'], message: `No engine "${engine}" (known: ${known})` }] }, ['spec']);
    }
    const result = descriptor.options.safeParse(rest);
    if (!result.success) throw invalidInput(operation, result.error, ['spec']);
    return { descriptor, options: result.data as Record<string, unknown> };
  }

  /** What the renderer draws the connection form and shows features from. */
  list(): EngineInfo[] {
    return this.all().map(({ kind, label, dialect, capabilities, form }) => ({ kind, label, dialect, capabilities, form }));
  }
}
