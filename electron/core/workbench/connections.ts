import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import {
  connectionIdSchema,
  connectionSpecSchema,
  environmentIdSchema,
  type ConnectionInfo,
  type ConnectionSpec,
  type EngineInfo,
  type Environment,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/node/log.js';
import type { AwsAccess } from '../aws/clients.js';
import type { SessionAccess } from '../engines/descriptor.js';
import type { Engine } from '../engines/engine.js';
import type { EngineRegistry } from '../engines/registry.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { NoticeBoard } from '../storage/notices.js';
import { connectionPasswordName } from '../secrets/names.js';
import { JsonDocument } from '../storage/json-file.js';
import { isBuiltIn, type BuiltInConnection, type BuiltInConnections } from './sandbox-connections.js';

const storedSchema = z
  .object({ id: connectionIdSchema, name: z.string().min(1).max(100), environmentId: environmentIdSchema, spec: connectionSpecSchema })
  .strict();
const fileSchema = z.object({ connections: z.array(storedSchema).max(500).default([]) }).strict();
type Stored = z.infer<typeof storedSchema>;

/** The environments as connections need them: which is active, which exist, and their AWS. */
export interface ConnectionEnvironments extends AwsAccess {
  active(): Promise<Environment>;
  list(): Promise<{ environments: Environment[] }>;
}

export interface ConnectionsDeps {
  dataDir: string;
  engines: EngineRegistry;
  environments: ConnectionEnvironments;
  /** What the active environment offers by itself (the sandbox's own connections). */
  builtIn: BuiltInConnections;
  secrets: SecretStore;
  notices: NoticeBoard;
  log: Logger;
  tunnels: SessionAccess;
}

/** A connection as listed: saved or built in, with its engine. */
interface Known extends Stored {
  builtIn?: BuiltInConnection;
}

/**
 * SQL connections: the ones the operator saved (per environment) and the
 * ones the environment offers by itself, each opened as one engine, from its
 * descriptor in the registry, that lives until the connection changes.
 */
export class Connections {
  private readonly file: JsonDocument<z.infer<typeof fileSchema>>;
  private readonly open = new Map<string, Engine>();

  constructor(private readonly deps: ConnectionsDeps) {
    const checked = fileSchema.superRefine((file, ctx) => {
      for (const [index, stored] of file.connections.entries()) {
        const descriptor = deps.engines.find(stored.spec.engine);
        const secret = descriptor?.secret?.option;
        // A secret in this file would be a leak: it belongs in the secret store.
        if (secret && stored.spec[secret])
          ctx.addIssue({ code: 'custom', path: ['connections', index, 'spec'], message: 'A password was found in the connections file' });
        const { engine: _engine, ...options } = stored.spec;
        for (const issue of descriptor?.options.safeParse(options).error?.issues ?? [])
          ctx.addIssue({ code: 'custom', path: ['connections', index, 'spec', ...issue.path], message: issue.message });
      }
    });
    this.file = new JsonDocument(
      join(deps.dataDir, 'connections.json'),
      checked,
      () => ({ connections: [] }),
      (p) => deps.notices.fileProblem(p),
    );
  }

  engines(): EngineInfo[] {
    return this.deps.engines.list();
  }

  async list(signal: AbortSignal): Promise<ConnectionInfo[]> {
    return Promise.all((await this.known(signal)).map((c) => this.info(c)));
  }

  /** The active environment's connections whose engine is registered (a file may name one this build lacks). */
  private async known(signal: AbortSignal): Promise<Known[]> {
    const active = await this.deps.environments.active();
    const builtIn = (await this.deps.builtIn(active, signal)).map((c): Known => ({ ...c, environmentId: active.id, builtIn: c }));
    const saved = (await this.file.current()).connections.filter((c) => c.environmentId === active.id);
    return [...builtIn, ...saved].filter((c) => this.deps.engines.find(c.spec.engine));
  }

  private async info(known: Known): Promise<ConnectionInfo> {
    const { descriptor, options } = this.deps.engines.check(known.spec);
    const secret = descriptor.secret;
    const hasPassword =
      secret && !known.builtIn && secret.wanted(options)
        ? (await this.deps.secrets.get(connectionPasswordName(known.id))) !== undefined
        : undefined;
    return {
      id: known.id,
      name: known.name,
      environmentId: known.environmentId,
      engine: descriptor.kind,
      dialect: descriptor.dialect,
      capabilities: descriptor.capabilities,
      target: descriptor.describe(options),
      builtIn: known.builtIn !== undefined,
      ...(hasPassword !== undefined ? { hasPassword } : {}),
      spec: withoutSecret({ engine: descriptor.kind, ...options }, secret?.option),
    };
  }

  /** Saves a connection; says the id it has and how it reaches its engine. */
  async save(input: { id?: string; name: string; environmentId: string; spec: ConnectionSpec }): Promise<{ id: string; route: string }> {
    const { descriptor, options } = this.deps.engines.check(input.spec);
    const all = (await this.file.current()).connections;
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
    const secret = descriptor.secret;
    const given = secret ? options[secret.option] : undefined;
    if (typeof given === 'string' && given) {
      this.deps.log.addSecret(given);
      await this.deps.secrets.set(connectionPasswordName(id), given);
    }
    if (!secret?.wanted(options)) await this.deps.secrets.delete(connectionPasswordName(id));
    const stored: Stored = {
      id,
      name: input.name,
      environmentId: input.environmentId,
      spec: withoutSecret({ engine: descriptor.kind, ...options }, secret?.option),
    };
    // Replaced or added as the file is when the change runs, so a concurrent save of another connection stays.
    await this.file.update(({ connections }) => ({
      connections: connections.some((c) => c.id === id) ? connections.map((c) => (c.id === id ? stored : c)) : [...connections, stored],
    }));
    await this.drop(id);
    return { id, route: descriptor.route ?? 'directly' };
  }

  async remove(id: string): Promise<void> {
    if (isBuiltIn(id)) throw new AppError('CONFLICT', 'The sandbox’s own connections cannot be removed.');
    if (!(await this.file.current()).connections.some((c) => c.id === id)) throw new AppError('NOT_FOUND', `No connection ${id}`);
    await this.deps.secrets.delete(connectionPasswordName(id));
    await this.file.update(({ connections }) => ({ connections: connections.filter((c) => c.id !== id) }));
    await this.drop(id);
  }

  private async find(id: string, signal: AbortSignal): Promise<{ known: Known; info: ConnectionInfo }> {
    const known = (await this.known(signal)).find((c) => c.id === id);
    if (!known) throw new AppError('NOT_FOUND', `No connection ${id} in the active environment`);
    return { known, info: await this.info(known) };
  }

  /**
   * A saved Redshift connection's login for a service that signs in on its own (a Firehose stream's COPY): its
   * cluster, database, user and stored password. Only password connections have one to give.
   */
  async redshiftLogin(
    id: string,
  ): Promise<{ clusterIdentifier?: string; workgroupName?: string; database: string; user: string; password: string }> {
    const known = (await this.file.current()).connections.find((c) => c.id === id);
    if (!known || known.spec.engine !== 'redshift') throw new AppError('NOT_FOUND', `No saved Redshift connection ${id}`);
    const { options } = this.deps.engines.check(known.spec);
    const o = options as { clusterIdentifier?: string; workgroupName?: string; database: string; user: string; auth: string };
    const password = o.auth === 'password' ? await this.deps.secrets.get(connectionPasswordName(id)) : undefined;
    if (!password)
      throw new AppError('VALIDATION', `${known.name} signs in without a stored password; Firehose needs a connection with a password.`);
    this.deps.log.addSecret(password);
    const where = o.workgroupName
      ? { workgroupName: o.workgroupName }
      : o.clusterIdentifier
        ? { clusterIdentifier: o.clusterIdentifier }
        : {};
    return { ...where, database: o.database, user: o.user, password };
  }

  /** The connection's engine, opened on first use. */
  async engine(id: string, signal: AbortSignal): Promise<{ engine: Engine; info: ConnectionInfo }> {
    const { known, info } = await this.find(id, signal);
    let engine = this.open.get(id);
    if (!engine) {
      engine = await this.opened(known);
      this.open.set(id, engine);
    }
    return { engine, info };
  }

  /** A connection as listed, found by id in the active environment. */
  async describe(id: string, signal: AbortSignal): Promise<ConnectionInfo> {
    return (await this.find(id, signal)).info;
  }

  /** A new engine of the connection's own, never the Workbench's session; the caller closes it. */
  async fresh(id: string, signal: AbortSignal): Promise<Engine> {
    return this.opened((await this.find(id, signal)).known);
  }

  /** Runs `use` on a new engine of its own, closed after: the app's look-ups must neither queue behind nor be cancelled with the operator's query. */
  async once<T>(id: string, signal: AbortSignal, use: (engine: Engine, info: ConnectionInfo) => Promise<T>): Promise<T> {
    const { known, info } = await this.find(id, signal);
    const engine = await this.opened(known);
    try {
      return await use(engine, info);
    } finally {
      await engine.close().catch(() => undefined);
    }
  }

  private async opened(known: Known): Promise<Engine> {
    if (known.builtIn?.open) return known.builtIn.open();
    const environment = (await this.deps.environments.list()).environments.find((e) => e.id === known.environmentId);
    if (!environment) throw new AppError('NOT_FOUND', `The environment of ${known.name} is gone`);
    const { descriptor, options } = this.deps.engines.check(known.spec);
    return descriptor.open(options, {
      aws: () => this.deps.environments.aws(environment.id),
      tunnels: this.deps.tunnels,
      secret: () => this.deps.secrets.get(connectionPasswordName(known.id)),
      log: this.deps.log,
    });
  }

  /** Forget the open engine (after an edit, or when the environment changes). */
  async drop(id?: string): Promise<void> {
    const ids = id ? [id] : [...this.open.keys()];
    await Promise.all(
      ids.map(async (key) => {
        const engine = this.open.get(key);
        this.open.delete(key);
        await engine?.close();
      }),
    );
  }
}

function withoutSecret(spec: ConnectionSpec, option: string | undefined): ConnectionSpec {
  if (!option) return spec;
  const { [option]: _secret, ...rest } = spec;
  return rest as ConnectionSpec;
}
