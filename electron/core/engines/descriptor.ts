import type { z } from 'zod';
import type { EngineCapabilities, EngineField, SqlDialect } from '../../../shared/contract/index.js';
import type { Logger } from '../../../shared/node/log.js';
import type { AwsScope } from '../aws/clients.js';
import type { Engine, ExecOutcome } from './engine.js';

/** What engines reach through SSH sessions, from the sessions service: no engine holds SSH itself. */
export interface SessionAccess {
  /**
   * A local port reaching the Spark Thrift Server on an EMR cluster's master, through its open session, and the
   * password it takes when it takes one (the sandbox's, per run; EMR's takes any).
   */
  sparkThrift(clusterId: string, signal: AbortSignal): Promise<{ port: number; password?: string }>;
  /** A local port reaching a Redshift cluster through an open session (an EMR master or a bastion). */
  redshift(sessionId: string, clusterIdentifier: string, signal: AbortSignal): Promise<number>;
  /** Runs a command on an EMR cluster's master through its open session, `stdin` fed to it; stdout goes to `onStdout` with backpressure. */
  masterExec(
    clusterId: string,
    command: string,
    stdin: string,
    signal: AbortSignal,
    onStdout: (chunk: Buffer) => Promise<void>,
  ): Promise<ExecOutcome>;
}

/** What an engine may use to open: its connection's environment and secret, and the app's tunnels. */
export interface EnginePorts {
  /** The AWS of the connection's environment, asked for when the engine needs it (a sandbox that is down refuses). */
  aws(): Promise<AwsScope>;
  tunnels: SessionAccess;
  /** The connection's secret from the secret store (the descriptor's `secret` option), if one is kept. */
  secret(): Promise<string | undefined>;
  log: Logger;
}

/**
 * One SQL engine as the app knows it: what the operator picks, how its
 * options are checked and drawn, what the Workbench may offer on it, and how
 * a connection of it opens. The registry holds one per kind.
 */
export interface EngineDescriptor<Options = never> {
  kind: string;
  label: string;
  /** How the statement splitter cuts scripts and the editor highlights and formats them. */
  dialect: SqlDialect;
  /** The connection's options (the spec without `engine`): the check main makes on every save. */
  options: z.ZodType<Options>;
  form: EngineField[][];
  capabilities: EngineCapabilities;
  /** The option that goes to the secret store instead of connections.json, and whether given options want it kept. */
  secret?: { option: string; wanted(options: Options): boolean };
  /** One line saying where a connection goes. */
  describe(options: Options): string;
  /** How a connection reaches its engine when not directly, as a provision run tells the operator. */
  route?: string;
  open(options: Options, ports: EnginePorts): Engine | Promise<Engine>;
}

/** A descriptor whose options type follows from its schema. */
export function defineEngine<Options>(descriptor: EngineDescriptor<Options>): EngineDescriptor<Options> {
  return descriptor;
}

/** Every capability off: a descriptor names only the ones its engine has. */
export const NO_CAPABILITIES: EngineCapabilities = {
  cancel: false,
  explain: false,
  unload: false,
  distributionKeys: false,
  parameters: false,
  loads: false,
};
