import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMRClient, ListClustersCommand } from '@aws-sdk/client-emr';
import { DescribeClustersCommand, GetClusterCredentialsCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { z } from 'zod';
import {
  connectionIdSchema,
  connectionSpecSchema,
  environmentIdSchema,
  SANDBOX_ENVIRONMENT_ID,
  type ConnectionInfo,
  type ConnectionSpec,
  type Environment,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { awsClientConfig, type AwsTarget } from '../aws/clients.js';
import type { Logger } from '../../../shared/node/log.js';
import type { RunFile } from '../sandbox/run-file.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { EnvironmentsService } from '../services/environments.js';
import type { NoticeBoard } from '../services/notices.js';
import { JsonFile } from '../storage/json-file.js';
import type { Engine, ExecOutcome } from '../engines/engine.js';
import { RedshiftDataEngine } from '../engines/redshift-data.js';
import { RedshiftEngine, type PgEndpoint } from '../engines/redshift.js';
import { SparkEngine } from '../engines/spark.js';

const storedSchema = z
  .object({ id: connectionIdSchema, name: z.string().min(1).max(100), environmentId: environmentIdSchema, spec: connectionSpecSchema })
  .strict()
  // A password in this file would be a leak: it belongs in the secret store.
  .refine((stored) => !('password' in stored.spec && stored.spec.password), 'A password was found in the connections file');
const fileSchema = z.object({ connections: z.array(storedSchema).max(500).default([]) }).strict();
type Stored = z.infer<typeof storedSchema>;

/** What the workbench reaches through SSH sessions, from the sessions service: it never holds SSH itself. */
export interface SessionAccess {
  /** A local port reaching the Spark Thrift Server on an EMR cluster's master, through its open session. */
  sparkThrift(clusterId: string, signal: AbortSignal): Promise<number>;
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

export interface ConnectionsDeps {
  dataDir: string;
  version: string;
  environments: EnvironmentsService;
  secrets: SecretStore;
  notices: NoticeBoard;
  log: Logger;
  sandboxRun: () => RunFile | undefined;
  /** The sandbox warehouse's admin password file. */
  sandboxAdminPasswordFile: string;
  tunnels: SessionAccess;
}

const passwordName = (id: string) => `connection-password:${id}`;
/** The sandbox's own connections have ids of their own; the operator's start with `c-`, so the two never meet. */
const SANDBOX_WAREHOUSE = 'sandbox-warehouse';
const SANDBOX_DATA_API = 'sandbox-data-api';
/** IAM database passwords are asked for this long and renewed a minute before they lapse. */
const IAM_PASSWORD_SECONDS = 900;

/**
 * SQL connections: the ones the operator saved (per environment) and the
 * ones the sandbox offers by itself, each opened as one engine that lives
 * until the connection changes.
 */
export class Connections {
  private readonly file: JsonFile<z.infer<typeof fileSchema>>;
  private state: Promise<Stored[]>;
  private readonly engines = new Map<string, Engine>();

  constructor(private readonly deps: ConnectionsDeps) {
    this.file = new JsonFile(
      join(deps.dataDir, 'connections.json'),
      fileSchema,
      () => ({ connections: [] }),
      (p) => deps.notices.fileProblem(p),
    );
    this.state = this.file.load().then((f) => f.connections);
  }

  async list(signal: AbortSignal): Promise<ConnectionInfo[]> {
    const active = await this.deps.environments.active();
    const saved = (await this.state).filter((c) => c.environmentId === active.id);
    const builtIn = active.kind === 'sandbox' ? await this.sandboxConnections(signal) : [];
    const mine = await Promise.all(saved.map((c) => this.info(c, false)));
    return [...builtIn, ...mine];
  }

  private async info(stored: Stored, builtIn: boolean): Promise<ConnectionInfo> {
    const spec = stored.spec;
    const hasPassword =
      spec.engine === 'redshift' && spec.auth === 'password' && !builtIn
        ? (await this.deps.secrets.get(passwordName(stored.id))) !== undefined
        : undefined;
    return {
      id: stored.id,
      name: stored.name,
      environmentId: stored.environmentId,
      engine: spec.engine,
      target: describe(spec),
      builtIn,
      ...(hasPassword !== undefined ? { hasPassword } : {}),
      spec: spec.engine === 'redshift' ? (({ password: _password, ...rest }) => rest)(spec) : spec,
    } as ConnectionInfo;
  }

  /** The sandbox's warehouse, its Data API, and Spark SQL on each of its running EMR clusters. */
  private async sandboxConnections(signal: AbortSignal): Promise<ConnectionInfo[]> {
    const run = this.deps.sandboxRun();
    if (!run) return [];
    const base = {
      environmentId: SANDBOX_ENVIRONMENT_ID,
      spec: {
        engine: 'redshift',
        clusterIdentifier: 'sandbox',
        database: 'dev',
        user: run.redshift.adminUser,
        auth: 'password',
        route: { kind: 'direct' },
      },
    } as const;
    const list: Stored[] = [
      { id: SANDBOX_WAREHOUSE, name: 'Sandbox warehouse (Redshift)', ...base },
      {
        id: SANDBOX_DATA_API,
        name: 'Sandbox warehouse (Data API)',
        environmentId: SANDBOX_ENVIRONMENT_ID,
        spec: { engine: 'redshift-data', clusterIdentifier: 'sandbox', database: 'dev', user: run.redshift.adminUser },
      },
    ];
    const { target } = await this.deps.environments.target(SANDBOX_ENVIRONMENT_ID);
    const emr = new EMRClient(awsClientConfig(target, this.deps.version));
    try {
      const clusters = await emr.send(new ListClustersCommand({ ClusterStates: ['RUNNING', 'WAITING'] }), { abortSignal: signal });
      for (const cluster of clusters.Clusters ?? []) {
        if (!cluster.Id) continue;
        list.push({
          id: `sandbox-spark-${cluster.Id.toLowerCase()}`,
          name: `Spark SQL on ${cluster.Name ?? cluster.Id}`,
          environmentId: SANDBOX_ENVIRONMENT_ID,
          spec: { engine: 'spark', clusterId: cluster.Id },
        });
      }
    } finally {
      emr.destroy();
    }
    return Promise.all(list.map((c) => this.info(c, true)));
  }

  async save(input: { id?: string; name: string; environmentId: string; spec: ConnectionSpec }): Promise<void> {
    const all = await this.state;
    if (input.id && isBuiltIn(input.id)) throw new AppError('CONFLICT', 'The sandbox’s own connections cannot be changed.');
    const existing = input.id ? all.find((c) => c.id === input.id) : undefined;
    if (input.id && !existing) throw new AppError('NOT_FOUND', `No connection ${input.id}`);
    const id =
      existing?.id ??
      `c-${
        input.name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 50) || 'sql'
      }-${randomBytes(3).toString('hex')}`;
    const { spec } = input;
    if (spec.engine === 'redshift' && spec.password) {
      this.deps.log.addSecret(spec.password);
      await this.deps.secrets.set(passwordName(id), spec.password);
    }
    if (spec.engine !== 'redshift' || spec.auth !== 'password') await this.deps.secrets.delete(passwordName(id));
    const stored: Stored = {
      id,
      name: input.name,
      environmentId: input.environmentId,
      spec: spec.engine === 'redshift' ? (({ password: _password, ...rest }) => rest)(spec) : spec,
    };
    const next = existing ? all.map((c) => (c.id === id ? stored : c)) : [...all, stored];
    await this.commit(next);
    await this.drop(id);
  }

  async remove(id: string): Promise<void> {
    if (isBuiltIn(id)) throw new AppError('CONFLICT', 'The sandbox’s own connections cannot be removed.');
    const all = await this.state;
    if (!all.some((c) => c.id === id)) throw new AppError('NOT_FOUND', `No connection ${id}`);
    await this.deps.secrets.delete(passwordName(id));
    await this.commit(all.filter((c) => c.id !== id));
    await this.drop(id);
  }

  private async find(id: string, signal: AbortSignal): Promise<ConnectionInfo> {
    const info = (await this.list(signal)).find((c) => c.id === id);
    if (!info) throw new AppError('NOT_FOUND', `No connection ${id} in the active environment`);
    return info;
  }

  /** The connection's engine, opened on first use. */
  async engine(id: string, signal: AbortSignal): Promise<{ engine: Engine; info: ConnectionInfo }> {
    const info = await this.find(id, signal);
    let engine = this.engines.get(id);
    if (!engine) {
      engine = await this.open(info);
      this.engines.set(id, engine);
    }
    return { engine, info };
  }

  /** Runs `use` on a new engine of its own, closed after: the app's look-ups must neither queue behind nor be cancelled with the operator's query. */
  async once<T>(id: string, signal: AbortSignal, use: (engine: Engine, info: ConnectionInfo) => Promise<T>): Promise<T> {
    const info = await this.find(id, signal);
    const engine = await this.open(info);
    try {
      return await use(engine, info);
    } finally {
      await engine.close().catch(() => undefined);
    }
  }

  private async open(info: ConnectionInfo): Promise<Engine> {
    const environment = (await this.deps.environments.list()).environments.find((e) => e.id === info.environmentId);
    if (!environment) throw new AppError('NOT_FOUND', `The environment of ${info.name} is gone`);
    const spec = info.spec as ConnectionSpec;
    const target = () => this.deps.environments.target(environment.id).then((t) => t.target);
    if (spec.engine === 'spark') {
      return new SparkEngine(
        (signal) => this.deps.tunnels.sparkThrift(spec.clusterId, signal),
        (command, stdin, signal, onStdout) => this.deps.tunnels.masterExec(spec.clusterId, command, stdin, signal, onStdout),
      );
    }
    if (spec.engine === 'redshift-data') return new RedshiftDataEngine(await target(), this.deps.version, spec);
    if (info.id === SANDBOX_WAREHOUSE) {
      return new RedshiftEngine(async () => {
        const run = this.deps.sandboxRun();
        if (!run) throw new AppError('UNAVAILABLE', 'The local sandbox is not running. Start it under Environments → Local sandbox.');
        const password = readFileSync(this.deps.sandboxAdminPasswordFile, 'utf8').trim();
        this.deps.log.addSecret(password);
        return { host: run.redshift.host, port: run.redshift.port, database: 'dev', user: run.redshift.adminUser, password };
      });
    }
    return new RedshiftEngine((signal) => this.redshiftEndpoint(info.id, environment, spec, target, signal));
  }

  private async redshiftEndpoint(
    id: string,
    environment: Environment,
    spec: Extract<ConnectionSpec, { engine: 'redshift' }>,
    target: () => Promise<AwsTarget>,
    signal: AbortSignal,
  ): Promise<PgEndpoint> {
    const redshift = new RedshiftClient(awsClientConfig(await target(), this.deps.version));
    try {
      const cluster = (
        await redshift.send(new DescribeClustersCommand({ ClusterIdentifier: spec.clusterIdentifier }), { abortSignal: signal })
      ).Clusters?.[0];
      const address = cluster?.Endpoint?.Address;
      const port = cluster?.Endpoint?.Port;
      if (!address || !port)
        throw new AppError(
          'UNAVAILABLE',
          `Redshift cluster ${spec.clusterIdentifier} has no endpoint yet (${cluster?.ClusterStatus ?? 'not found'}).`,
        );
      let user = spec.user;
      let password: string | undefined;
      if (spec.auth === 'iam') {
        const answer = await redshift.send(
          new GetClusterCredentialsCommand({
            ClusterIdentifier: spec.clusterIdentifier,
            DbUser: spec.user,
            DbName: spec.database,
            DurationSeconds: IAM_PASSWORD_SECONDS,
            AutoCreate: false,
          }),
          { abortSignal: signal },
        );
        user = answer.DbUser ?? `IAM:${spec.user}`;
        password = answer.DbPassword;
      } else {
        password = await this.deps.secrets.get(passwordName(id));
      }
      if (!password) throw new AppError('VALIDATION', `No password is stored for ${spec.user}; edit the connection and give it once.`);
      this.deps.log.addSecret(password);
      const sandbox = environment.kind === 'sandbox';
      const local =
        spec.route.kind === 'session'
          ? { host: '127.0.0.1', port: await this.deps.tunnels.redshift(spec.route.sessionId, spec.clusterIdentifier, signal) }
          : { host: address, port };
      // Through a tunnel the certificate still names the cluster, so TLS is checked against that name.
      return { ...local, database: spec.database, user, password, ...(sandbox ? {} : { tls: { servername: address } }) };
    } finally {
      redshift.destroy();
    }
  }

  /** Forget the open engine (after an edit, or when the environment changes). */
  async drop(id?: string): Promise<void> {
    const ids = id ? [id] : [...this.engines.keys()];
    await Promise.all(
      ids.map(async (key) => {
        const engine = this.engines.get(key);
        this.engines.delete(key);
        await engine?.close();
      }),
    );
  }

  private async commit(next: Stored[]): Promise<void> {
    await this.file.save({ connections: next });
    this.state = Promise.resolve(next);
  }
}

function isBuiltIn(id: string): boolean {
  return id.startsWith('sandbox-');
}

function describe(spec: ConnectionSpec): string {
  switch (spec.engine) {
    case 'redshift':
      return `${spec.user}@${spec.clusterIdentifier}/${spec.database}${spec.auth === 'iam' ? ' (IAM)' : ''}${spec.route.kind === 'session' ? ' through an SSH session' : ''}`;
    case 'redshift-data':
      return `${spec.user}@${spec.clusterIdentifier}/${spec.database} via the Data API`;
    case 'spark':
      return `Spark Thrift Server on the master of ${spec.clusterId}`;
  }
}
