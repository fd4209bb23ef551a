import {
  operationNames,
  type CallName,
  type ChunkOf,
  type OpName,
  type ParsedInputOf,
  type ResultOf,
  type StreamName,
} from '../../../shared/contract/index.js';

export interface OperationContext {
  /** Aborted when the caller cancels or disconnects; pass it to anything that waits. */
  signal: AbortSignal;
}

export type CallHandler<K extends CallName> = (input: ParsedInputOf<K>, context: OperationContext) => ResultOf<K> | Promise<ResultOf<K>>;

export type StreamHandler<K extends StreamName> = (input: ParsedInputOf<K>, context: OperationContext) => AsyncIterable<ChunkOf<K>>;

export type Handlers = { [K in CallName]: CallHandler<K> } & { [K in StreamName]: StreamHandler<K> };

/** What one service contributes: handlers for some operations of the contract. */
export type HandlerGroup = Partial<Handlers>;

/**
 * Joins the services' handler groups into one table. Two services claiming one
 * operation, or an operation nobody handles, fail at start-up.
 */
export function assembleHandlers(groups: HandlerGroup[]): Handlers {
  const table: Partial<Record<OpName, unknown>> = {};
  for (const group of groups) {
    for (const [name, handler] of Object.entries(group) as [OpName, unknown][]) {
      if (table[name]) throw new Error(`Two handlers for operation ${name}`);
      table[name] = handler;
    }
  }
  const missing = operationNames.filter((name) => !table[name]);
  if (missing.length > 0) throw new Error(`No handler for operation(s): ${missing.join(', ')}`);
  return table as Handlers;
}
