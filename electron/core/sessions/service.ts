import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  masterServices,
  sessionLabel,
  type MasterServiceId,
  type OpenSessionResult,
  type SessionAddress,
  type SessionInfo,
  type SessionTarget,
  type TerminalChunk,
  type TunnelInfo,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/node/log.js';
import type { AwsAccess } from '../aws/clients.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import type { EventHub } from '../events.js';
import type { NoticeBoard } from '../storage/notices.js';
import type { ConnectOptions, SshConnection } from '../ssh/connection.js';
import { exec, type ExecOutcome, type ExecRequest } from '../ssh/exec.js';
import { Tunnel } from '../ssh/tunnel.js';
import { TunnelPool, type TunnelPurpose } from '../ssh/tunnel-pool.js';
import { findMaster, listClusters, redshiftEndpoint } from './discovery.js';
import type { FileAccess } from '../storage/file-access.js';
import type { KeyFileStore } from './key-files.js';
import { keyFileFor, login, sshHost, type Route, type SessionAnswers } from './login.js';
import { OpenSessionsRecord, restoreSessions, type RecordedSession, type SessionOrigin } from './restore.js';
import { Terminals } from './terminals.js';

/** The running sandbox's EMR master: its key pair and key file, the local ports of its sshd and Thrift server, and the run's Thrift password. */
export interface SandboxMaster {
  keyName: string;
  keyFile: string;
  sshPort: number;
  thriftPort: number;
  thriftPassword: string;
}

export interface SessionsDeps {
  dataDir: string;
  environments: AwsAccess;
  keyFiles: KeyFileStore;
  /** Where a key file the operator names is checked (a chosen file's handle, or a workspace path). */
  files: Pick<FileAccess, 'forRead'>;
  sandboxMaster: () => SandboxMaster | undefined;
  /** The operator's setting: minutes a tunnel may go unused, 0 for never. */
  tunnelIdleMinutes: () => Promise<number>;
  events: EventHub;
  /** Where a session the core could not reopen after a crash is named. */
  notices: NoticeBoard;
  log: Logger;
}

interface Session {
  info: SessionTarget & SessionAddress;
  /** How it was opened, as the record keeps it for a core restarted after a crash. */
  origin: SessionOrigin;
  /** Each tunnel's remote host (the master, or a Redshift endpoint), by tunnel id, for the record. */
  remoteHosts: Map<string, string>;
  connection: SshConnection;
  /** How tunnels log in again: the same route and key, the host key known by now. */
  again: ConnectOptions;
  closed: boolean;
  /** The sandbox master runs the Thrift server where 10001 was free; elsewhere EMR's ports hold. */
  ports: Partial<Record<MasterServiceId, number>>;
  /** The sandbox master's Thrift Server takes the run's password; EMR's takes any. */
  thriftPassword?: string;
}

/**
 * SSH sessions to EMR masters (found through the same EMR API on the sandbox
 * and on AWS) and bastions, and the tunnels, commands and terminals they
 * carry. The renderer sees names, states and numbers; keys and connections
 * stay here.
 */
export class SessionsService {
  private readonly sessions = new Map<string, Session>();
  private readonly tunnels: TunnelPool;
  private readonly terminals = new Terminals();
  private readonly record: OpenSessionsRecord;
  /** Off until the sessions a crashed core left are reopened (so a half-done restore never overwrites the record), and after dispose. */
  private recording = false;
  /** Settles once `restore` has run: the engines' ports wait for it, so a restored tunnel is reused rather than a second opened. */
  private restoring: Promise<void> = Promise.resolve();

  constructor(private readonly deps: SessionsDeps) {
    this.record = new OpenSessionsRecord(deps.dataDir, (problem) => deps.notices.fileProblem(problem));
    this.tunnels = new TunnelPool({
      idleMinutes: deps.tunnelIdleMinutes,
      onChange: () => {
        deps.events.emit({ type: 'tunnels', open: this.tunnels.count() });
        this.remember();
      },
      log: deps.log,
    });
  }

  /** Reopens what a core that crashed had open (see restore.ts); called once as the core starts. */
  restore(): Promise<void> {
    this.restoring = (async () => {
      const recorded = await this.record.sessions().catch(() => []);
      await restoreSessions(
        recorded,
        {
          session: (entry) => this.reopen(entry),
          tunnel: async (sessionId, { remoteHost, localPort, ...purpose }) => {
            await this.openTunnel(this.session(sessionId), remoteHost, purpose, localPort);
          },
        },
        this.deps.notices,
        this.deps.log,
      );
      this.recording = true;
      // The ones that did not come back are notices now, not records to try at every start.
      if (recorded.length) this.remember();
    })();
    return this.restoring;
  }

  private reopen({ id, origin }: RecordedSession): Promise<OpenSessionResult> {
    if (origin.kind === 'bastion') return this.openBastion({ host: origin.alias }, id);
    const { environmentId, clusterId, keyFile, bastion } = origin;
    return this.openMaster({ clusterId, keyFile, ...(bastion ? { bastion } : {}) }, new AbortController().signal, { id, environmentId });
  }

  /** Writes down what is open now; a failed write is logged and the next change tries again. */
  private remember(): void {
    if (!this.recording) return;
    this.record
      .write(() =>
        [...this.sessions.values()].map(({ info, origin, remoteHosts }) => ({
          id: info.id,
          origin,
          tunnels: this.tunnels.list(info.id).map(({ id, service, name, remotePort, localPort, url }) => ({
            service,
            name,
            remoteHost: remoteHosts.get(id) ?? info.host,
            remotePort,
            localPort,
            web: url !== undefined,
          })),
        })),
      )
      .catch((error: unknown) => this.deps.log.warn('sessions', 'Could not record the open SSH sessions', error));
  }

  tunnelCount(): number {
    return this.tunnels.count();
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((session) => ({
      ...session.info,
      state: session.closed ? 'closed' : 'up',
      tunnels: this.tunnels.list(session.info.id),
    }));
  }

  /** `keyFile` is a real path here: the operator's was checked by the handler, a restored one was the core's own. */
  async openMaster(
    input: SessionAnswers & { clusterId: string; keyFile?: string; bastion?: string },
    signal: AbortSignal,
    /** A restore after a crash: the session's old id, in the environment it was opened in. */
    again?: { id: string; environmentId: string },
  ): Promise<OpenSessionResult> {
    const aws = await this.deps.environments.aws(again?.environmentId);
    const { host, clusterName, keyName } = await findMaster(aws, input.clusterId, signal);
    const sandbox = aws.sandbox ? this.deps.sandboxMaster() : undefined;
    if (aws.sandbox && !sandbox)
      throw new AppError('UNAVAILABLE', 'The local sandbox is not running. Start it under Environments → Local sandbox.');
    const keyFile = await keyFileFor(
      this.deps.keyFiles,
      keyName,
      input.keyFile,
      sandbox && keyName === sandbox.keyName ? sandbox.keyFile : undefined,
    );
    if (!keyFile) return { kind: 'needs-key-file', keyName: keyName ?? '(none)' };

    // A private master is reached through a bastion, as `ssh -J bastion hadoop@master` would.
    const bastion = input.bastion ? sshHost(input.bastion) : undefined;
    return this.open(
      { kind: 'master', clusterId: input.clusterId, clusterName },
      {
        kind: 'master',
        environmentId: aws.environment.id,
        clusterId: input.clusterId,
        keyName: keyName ?? '(none)',
        keyFile,
        ...(input.bastion ? { bastion: input.bastion } : {}),
      },
      {
        // EMR masters take SSH on 22; the sandbox's master on the port it was given.
        target: { host, port: sandbox?.sshPort ?? 22, user: 'hadoop', identityFiles: [keyFile], identitiesOnly: true },
        ...(bastion ? { jumps: [...bastion.jumps, bastion] } : {}),
      },
      input,
      input.bastion,
      sandbox ? { ports: { 'spark-thrift': sandbox.thriftPort }, thriftPassword: sandbox.thriftPassword } : { ports: {} },
      again?.id,
    );
  }

  /** A bastion itself, as `ssh alias` would reach it: for a private Redshift cluster when no EMR master is there to go through. */
  async openBastion(input: SessionAnswers & { host: string }, id?: string): Promise<OpenSessionResult> {
    const { alias, jumps, serverAliveIntervalSec, ...target } = sshHost(input.host);
    return this.open(
      { kind: 'bastion', alias },
      { kind: 'bastion', alias: input.host },
      { target, jumps, ...(serverAliveIntervalSec !== undefined ? { serverAliveIntervalSec } : {}) },
      input,
      undefined,
      { ports: {} },
      id,
    );
  }

  /** Logs in and keeps the session, or passes on the question login asks first. */
  private async open(
    target: SessionTarget,
    origin: SessionOrigin,
    route: Route,
    answers: SessionAnswers,
    via: string | undefined,
    master: Pick<Session, 'ports' | 'thriftPassword'>,
    id = randomBytes(6).toString('hex'),
  ): Promise<OpenSessionResult> {
    const result = await login(route, answers, join(this.deps.dataDir, 'known_hosts'), this.deps.log);
    if (result.kind !== 'logged-in') return result;
    const { connection, again } = result;
    const { host, port, user } = route.target;
    const session: Session = {
      info: { ...target, id, host, port, user, ...(via ? { via } : {}) },
      origin,
      remoteHosts: new Map(),
      connection,
      again,
      closed: false,
      ...master,
    };
    const label = sessionLabel(target);
    connection.onClose((reason) => {
      session.closed = true;
      this.deps.log.info('sessions', `Session to ${label} closed: ${reason}`);
    });
    this.sessions.set(session.info.id, session);
    this.remember();
    this.deps.log.info(
      'sessions',
      `Opened SSH session to ${target.kind === 'master' ? `the master of ${label}` : `bastion ${label}`} (${user}@${host}:${port})`,
    );
    return { kind: 'session', session: this.list().find((s) => s.id === session.info.id)! };
  }

  async forward(sessionId: string, service: MasterServiceId): Promise<TunnelInfo> {
    const session = this.session(sessionId);
    const spec = masterServices[service];
    if (session.info.kind !== 'master') {
      throw new AppError(
        'CONFLICT',
        `${spec.name} runs on an EMR master; this session is to bastion ${session.info.alias}, which carries Redshift tunnels. Open a session to the cluster's master for it.`,
      );
    }
    const remotePort = session.ports[service] ?? spec.port;
    return this.openTunnel(session, session.info.host, { service, name: spec.name, remotePort, web: spec.web });
  }

  /** A private Redshift cluster, reached from the session's host (a master or a bastion in its VPC) as `ssh -L port:endpoint:5439 host` would. */
  async forwardRedshift(sessionId: string, clusterIdentifier: string, signal: AbortSignal): Promise<TunnelInfo> {
    const session = this.session(sessionId);
    const endpoint = await redshiftEndpoint(await this.deps.environments.aws(), clusterIdentifier, signal);
    return this.openTunnel(session, endpoint.address, {
      service: 'redshift',
      name: `Redshift ${clusterIdentifier}`,
      remotePort: endpoint.port,
      web: false,
    });
  }

  /** `localPort` is the port a restored tunnel had: kept where it is free, another one where something took it meanwhile. */
  private async openTunnel(session: Session, remoteHost: string, purpose: TunnelPurpose, localPort?: number): Promise<TunnelInfo> {
    const options = { ssh: session.again, remoteHost, remotePort: purpose.remotePort, log: this.deps.log };
    const tunnel = await Tunnel.open({ ...options, localPort }).catch((error: unknown) => {
      if (localPort && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') return Tunnel.open(options);
      throw error;
    });
    const info = this.tunnels.add(session.info.id, tunnel, purpose);
    session.remoteHosts.set(info.id, remoteHost);
    // Again, now the record can say where the tunnel goes (the pool announced it before).
    this.remember();
    return info;
  }

  /**
   * Local ports for the SQL engines and commands for the jobs, through
   * sessions the operator opened (host keys and key files are answered there,
   * never here): an open tunnel is reused, otherwise one is opened on the session.
   */
  readonly ports = {
    sparkThrift: async (clusterId: string): Promise<{ port: number; password?: string }> => {
      await this.restoring;
      const session = this.masterSession(clusterId);
      const id = session.info.id;
      const port = this.tunnels.reusable(id, 'spark-thrift') ?? (await this.forward(id, 'spark-thrift')).localPort;
      return { port, ...(session.thriftPassword ? { password: session.thriftPassword } : {}) };
    },
    /** A command on the cluster's master, as `exec` runs it. */
    masterExec: async (clusterId: string, ...request: ExecRequest): Promise<ExecOutcome> => {
      await this.restoring;
      return exec(this.masterSession(clusterId).connection.client, ...request);
    },
    redshift: async (sessionId: string, clusterIdentifier: string, signal: AbortSignal): Promise<number> => {
      await this.restoring;
      const session = this.session(sessionId);
      if (session.closed)
        throw new AppError('UNAVAILABLE', 'The SSH session this connection goes through has closed; open it again under Sessions.');
      return (
        this.tunnels.reusable(sessionId, 'redshift', `Redshift ${clusterIdentifier}`) ??
        (await this.forwardRedshift(sessionId, clusterIdentifier, signal)).localPort
      );
    },
  };

  private masterSession(clusterId: string): Session {
    const session = [...this.sessions.values()].find((s) => !s.closed && s.info.kind === 'master' && s.info.clusterId === clusterId);
    if (!session)
      throw new AppError(
        'UNAVAILABLE',
        `Spark SQL goes through an SSH session to the master of ${clusterId}: open one under Sessions first.`,
      );
    return session;
  }

  async closeForward(sessionId: string, tunnelId: string): Promise<SessionInfo[]> {
    this.session(sessionId);
    await this.tunnels.close(sessionId, tunnelId);
    return this.list();
  }

  async close(id: string): Promise<SessionInfo[]> {
    const session = this.session(id);
    this.sessions.delete(id);
    await this.tunnels.closeAll(id);
    session.connection.close();
    this.remember();
    return this.list();
  }

  async *terminal(sessionId: string, cols: number, rows: number, signal: AbortSignal): AsyncGenerator<TerminalChunk> {
    const session = this.session(sessionId);
    if (session.closed) throw new AppError('UNAVAILABLE', 'This session has closed; open it again.');
    yield* this.terminals.open(session.connection.client, cols, rows, signal);
  }

  private session(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw new AppError('NOT_FOUND', `No session ${id}`);
    return session;
  }

  /** Closing the core closes every tunnel and session: no port or connection outlives it, and the record is emptied (only a crash leaves one). */
  async dispose(): Promise<void> {
    await this.restoring;
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
    await this.tunnels.dispose();
    this.recording = false;
    if ((await this.record.sessions().catch(() => [])).length) await this.record.write(() => []);
  }

  handlers(): HandlerGroup {
    return {
      'sessions.list': () => this.list(),
      'sessions.clusters': async (_input, { signal }) => listClusters(await this.deps.environments.aws(), signal),
      'sessions.openMaster': async ({ keyFile, ...input }, { signal }) =>
        this.openMaster({ ...input, ...(keyFile ? { keyFile: await this.deps.files.forRead(keyFile) } : {}) }, signal),
      'sessions.openBastion': (input) => this.openBastion(input),
      'sessions.close': ({ id }) => this.close(id),
      'sessions.forward': ({ sessionId, service }) => this.forward(sessionId, service),
      'sessions.forwardRedshift': ({ sessionId, clusterIdentifier }, { signal }) =>
        this.forwardRedshift(sessionId, clusterIdentifier, signal),
      'sessions.closeForward': ({ sessionId, tunnelId }) => this.closeForward(sessionId, tunnelId),
      'sessions.terminal': ({ sessionId, cols, rows }, { signal }) => this.terminal(sessionId, cols, rows, signal),
      'sessions.terminalInput': ({ terminalId, data }) => {
        this.terminals.write(terminalId, data);
        return null;
      },
      'sessions.terminalResize': ({ terminalId, cols, rows }) => {
        this.terminals.resize(terminalId, cols, rows);
        return null;
      },
    };
  }
}
