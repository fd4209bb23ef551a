import type { ConnectionSpec } from '../../../shared/contract/index.js';
import type { LoadProblem } from '../storage/json-file.js';

/**
 * What provisioning needs from other domains, declared here so it never reaches
 * into their services: the composition root (core.ts) wires the implementations in.
 */

/** Sessions' key-file store: a key pair's private key, so an SSH session to its clusters need not ask for it. */
export interface KeyFiles {
  rememberKeyFile(keyName: string, file: string): Promise<void>;
  /** The key pairs whose private key file is known. */
  rememberedKeyNames(): Promise<string[]>;
}

/**
 * The workbench's connection store: a password given to `save` goes to the secret store, never back out; it answers
 * with the id the connection got and how it reaches its engine ("directly", or through a tunnel).
 */
export interface ConnectionStore {
  save(input: { name: string; environmentId: string; spec: ConnectionSpec }): Promise<{ id: string; route: string }>;
}

/**
 * The workbench's saved Redshift connections, for a service that logs in on its own (a Firehose stream's COPY): the
 * cluster, database and user, and the password from the secret store, which goes to AWS and nowhere else.
 */
/** A saved Redshift connection's login: a provisioned cluster's (clusterIdentifier) or a Serverless workgroup's (workgroupName). */
export interface WarehouseLogin {
  clusterIdentifier?: string;
  workgroupName?: string;
  database: string;
  user: string;
  password: string;
}

export interface RedshiftLogins {
  redshiftLogin(connectionId: string): Promise<WarehouseLogin>;
}

/** The notice board: where a damaged ledger file is told to the operator. */
export interface FileProblems {
  fileProblem(problem: LoadProblem): void;
}
