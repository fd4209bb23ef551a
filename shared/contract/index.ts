import type { z } from 'zod';
import { defineContract, type CallOperation, type Operation, type StreamOperation } from './define.js';
import { app } from './operations/app.js';
import { environments } from './operations/environments.js';
import { files } from './operations/files.js';
import { ingest } from './operations/ingest.js';
import { logs } from './operations/logs.js';
import { pipeline } from './operations/pipeline.js';
import { inventory, provision } from './operations/provision.js';
import { sandbox } from './operations/sandbox.js';
import { sessions } from './operations/sessions.js';
import { secrets } from './operations/secrets.js';
import { settings } from './operations/settings.js';
import { connections, queries, results } from './operations/workbench.js';
import { warehouse } from './operations/warehouse.js';

/** Every operation the UI can ask for. A new capability is a new module here, not new plumbing. */
export const contract = defineContract({
  app,
  settings,
  environments,
  secrets,
  files,
  logs,
  sandbox,
  sessions,
  connections,
  queries,
  results,
  warehouse,
  pipeline,
  ingest,
  provision,
  inventory,
});

export type Contract = typeof contract;
export type OpName = keyof Contract & string;
export type CallName = { [K in OpName]: Contract[K] extends CallOperation ? K : never }[OpName];
export type StreamName = { [K in OpName]: Contract[K] extends StreamOperation ? K : never }[OpName];

/** What the caller passes (defaults may be omitted). */
export type InputOf<K extends OpName> = z.input<Contract[K]['input']>;
/** What the handler receives, after validation and defaults. */
export type ParsedInputOf<K extends OpName> = z.output<Contract[K]['input']>;
export type ResultOf<K extends CallName> = Contract[K] extends CallOperation<z.ZodType, infer R> ? R : never;
export type ChunkOf<K extends StreamName> = Contract[K] extends StreamOperation<z.ZodType, infer C> ? C : never;

export function findOperation(name: string): Operation | undefined {
  return Object.prototype.hasOwnProperty.call(contract, name) ? (contract as Record<string, Operation>)[name] : undefined;
}

export const operationNames = Object.keys(contract) as OpName[];

export * from './define.js';
export * from './paths.js';
export * from './operations/app.js';
export * from './operations/environments.js';
export * from './operations/files.js';
export * from './operations/ingest.js';
export * from './operations/logs.js';
export * from './operations/pipeline.js';
export * from './operations/provision.js';
export * from './operations/sandbox.js';
export * from './operations/sessions.js';
export * from './operations/secrets.js';
export * from './operations/settings.js';
export * from './operations/workbench.js';
export * from './operations/table-health.js';
export * from './operations/warehouse.js';
