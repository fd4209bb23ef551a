import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { DescribeClusterCommand, EMRClient, ListClustersCommand, ListInstancesCommand } from '@aws-sdk/client-emr';
import { DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import type { ClientChannel } from 'ssh2';
import { z } from 'zod';
import {
  masterServices,
  sessionLabel,
  type ClusterSummary,
  type HostKeyQuestion,
  type MasterServiceId,
  type OpenSessionResult,
  type SessionAddress,
  type SessionInfo,
  type SessionTarget,
  type Settings,
  type TerminalChunk,
  type TunnelInfo,
  type TunnelTarget,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { awsClientConfig } from '../aws/clients.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import { follow, type EventHub } from '../events.js';
import type { Logger } from '../../../shared/node/log.js';
import { SANDBOX_KEY_PAIR } from '../sandbox/bootstrap.js';
import type { RunFile } from '../sandbox/run-file.js';
import { openConnection, SshError, type ConnectOptions, type SshConnection } from '../ssh/connection.js';
import { resolveSshHost, type ResolvedHost } from '../ssh/ssh-config.js';
import { Tunnel, type TunnelStatus } from '../ssh/tunnel.js';
import { JsonFile } from '../storage/json-file.js';
import type { SessionAccess } from '../engines/descriptor.js';
import type { ExecOutcome } from '../engines/engine.js';
import type { EnvironmentsService } from './environments.js';
import type { NoticeBoard } from './notices.js';

const keyFilesSchema = z.object({ byKeyName: z.record(z.string(), z.string()) }).strict();
type KeyFiles = z.infer<typeof keyFilesSchema>;

interface OpenTunnel {
  info: Omit<TunnelInfo, 'state' | 'bytesIn' | 'bytesOut' | 'latencyMs'>;
  tunnel: Tunnel;
  /** When it was last seen in use (a connection open, or bytes moving). */
  lastUsed: number;
  lastBytes: number;
}

const IDLE_SWEEP_MS = 5000;

interface Session {
  info: SessionTarget & SessionAddress;
  connection: SshConnection;
  connect: ConnectOptions;
  closed: boolean;
  tunnels: Map<string, OpenTunnel>;
  /** The sandbox master runs the Thrift server where 10001 was free; elsewhere EMR's ports hold. */
  ports: Partial<Record<MasterServiceId, number>>;
}

export interface SessionsDeps {
  dataDir: string;
  version: string;
  environments: EnvironmentsService;
  sandboxRun: () => RunFile | undefined;
  settings: () => Promise<Settings>;
  notices: NoticeBoard;
  events: EventHub;
  log: Logger;
}

const newId = () => randomBytes(6).toString('hex');

/** What the operator answered to a question opening a session asked before. */
interface SessionAnswers {
  trustFingerprint?: string;
  keyPassphrase?: string;
}

/** A Host of the SSH config Tributary follows: OpenSSH's own, or TRIBUTARY_SSH_CONFIG (as `ssh -F`). */
function sshHost(alias: string): ResolvedHost {
  const file = process.env.TRIBUTARY_SSH_CONFIG || join(homedir(), '.ssh', 'config');
  try {
    return resolveSshHost(alias, file);
  } catch (error) {
    throw new AppError('VALIDATION', `Cannot use SSH host ${alias} of ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * SSH sessions to EMR masters, found through the same EMR API for the sandbox
 * and for AWS, and the tunnels and terminals they carry. The renderer sees
 * names, states and numbers; keys and connections stay here.
 */
export class SessionsService {
  private readonly sessions = new Map<string, Session>();
  private readonly terminals = new Map<string, ClientChannel>();
  private readonly keyFiles: JsonFile<KeyFiles>;
  private remembered: Promise<KeyFiles>;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly deps: SessionsDeps) {
    this.keyFiles = new JsonFile(
      join(deps.dataDir, 'ssh-keys.json'),
      keyFilesSchema,
      () => ({ byKeyName: {} }),
      (p) => deps.notices.fileProblem(p),
    );
    this.remembered = this.keyFiles.load();
    this.sweeper = setInterval(
      () => void this.closeIdle().catch((error: unknown) => deps.log.warn('sessions', 'Idle tunnel sweep failed', error)),
      IDLE_SWEEP_MS,
    );
    this.sweeper.unref();
  }

  /** Tunnels nothing has used for the configured time close, so no port stays open for nothing. */
  private async closeIdle(): Promise<void> {
    const minutes = (await this.deps.settings()).tunnelIdleMinutes;
    if (minutes === 0) return;
    const now = Date.now();
    for (const session of this.sessions.values()) {
      for (const [id, open] of session.tunnels) {
        const status = open.tunnel.status();
        const bytes = status.bytesIn + status.bytesOut;
        if (status.openSockets > 0 || bytes !== open.lastBytes) {
          open.lastUsed = now;
          open.lastBytes = bytes;
        } else if (now - open.lastUsed >= minutes * 60_000) {
          session.tunnels.delete(id);
          await open.tunnel.close();
          this.deps.log.info(
            'sessions',
            `Closed the ${open.info.name} tunnel on 127.0.0.1:${open.info.localPort}: unused for ${minutes} min`,
          );
          this.announceTunnels();
        }
      }
    }
  }

  tunnelCount(): number {
    let count = 0;
    for (const session of this.sessions.values()) count += session.tunnels.size;
    return count;
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((session) => ({
      ...session.info,
      state: session.closed ? 'closed' : 'up',
      tunnels: [...session.tunnels.values()].map((open) => tunnelInfo(open.info, open.tunnel.status())),
    }));
  }

  private async emr(): Promise<{ emr: EMRClient; sandbox: boolean }> {
    const active = await this.deps.environments.active();
    const { target } = await this.deps.environments.target(active.id);
    return { emr: new EMRClient(awsClientConfig(target, this.deps.version)), sandbox: active.kind === 'sandbox' };
  }

  async clusters(signal: AbortSignal): Promise<ClusterSummary[]> {
    const { emr } = await this.emr();
    try {
      const answer = await emr.send(new ListClustersCommand({ ClusterStates: ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'] }), {
        abortSignal: signal,
      });
      return (answer.Clusters ?? []).map((c) => ({ id: c.Id ?? '', name: c.Name ?? '', state: c.Status?.State ?? '' }));
    } finally {
      emr.destroy();
    }
  }

  async openMaster(
    input: { clusterId: string; keyFile?: string; trustFingerprint?: string; keyPassphrase?: string; bastion?: string },
    signal: AbortSignal,
  ): Promise<OpenSessionResult> {
    const { emr, sandbox } = await this.emr();
    let host: string;
    let keyName: string | undefined;
    let clusterName: string;
    try {
      const cluster = (await emr.send(new DescribeClusterCommand({ ClusterId: input.clusterId }), { abortSignal: signal })).Cluster;
      if (!cluster) throw new AppError('NOT_FOUND', `No EMR cluster ${input.clusterId}`);
      const state = cluster.Status?.State ?? '';
      if (!['RUNNING', 'WAITING'].includes(state))
        throw new AppError('CONFLICT', `Cluster ${cluster.Name} is ${state}; its master accepts SSH once it is WAITING or RUNNING.`);
      keyName = cluster.Ec2InstanceAttributes?.Ec2KeyName;
      clusterName = cluster.Name ?? input.clusterId;
      const instances = cluster.MasterPublicDnsName
        ? undefined
        : await emr.send(new ListInstancesCommand({ ClusterId: input.clusterId, InstanceGroupTypes: ['MASTER'] }), { abortSignal: signal });
      host = cluster.MasterPublicDnsName ?? instances?.Instances?.[0]?.PrivateIpAddress ?? '';
      if (!host) throw new AppError('UNAVAILABLE', `EMR gives no address for the master of ${clusterName} yet.`);
    } finally {
      emr.destroy();
    }

    const run = sandbox ? this.deps.sandboxRun() : undefined;
    if (sandbox && !run)
      throw new AppError('UNAVAILABLE', 'The local sandbox is not running. Start it under Environments → Local sandbox.');
    const keyFile = await this.keyFileFor(keyName, input.keyFile, run);
    if (!keyFile) return { kind: 'needs-key-file', keyName: keyName ?? '(none)' };

    // A private master is reached through a bastion, as `ssh -J bastion hadoop@master` would.
    const bastion = input.bastion ? sshHost(input.bastion) : undefined;
    return this.connect(
      { kind: 'master', clusterId: input.clusterId, clusterName },
      {
        // EMR masters take SSH on 22; the sandbox's master on the port it was given.
        target: { host, port: run?.master.sshPort ?? 22, user: 'hadoop', identityFiles: [keyFile], identitiesOnly: true },
        ...(bastion ? { jumps: [...bastion.jumps, bastion] } : {}),
      },
      input,
      input.bastion,
      run ? { 'spark-thrift': run.master.thriftPort } : {},
    );
  }

  /** A bastion itself, as `ssh alias` would reach it: for a private Redshift cluster when no EMR master is there to go through. */
  async openBastion(input: SessionAnswers & { host: string }): Promise<OpenSessionResult> {
    const { alias, jumps, serverAliveIntervalSec, ...target } = sshHost(input.host);
    return this.connect(
      { kind: 'bastion', alias },
      { target, jumps, ...(serverAliveIntervalSec !== undefined ? { serverAliveIntervalSec } : {}) },
      input,
      undefined,
      {},
    );
  }

  /**
   * Logs in and keeps the session, or returns the one question to ask first: an
   * unknown host key (trusted keys go to Tributary's own known_hosts), or an
   * encrypted key file's passphrase.
   */
  private async connect(
    target: SessionTarget,
    route: Pick<ConnectOptions, 'target' | 'jumps' | 'serverAliveIntervalSec'>,
    answers: SessionAnswers,
    via: string | undefined,
    ports: Session['ports'],
  ): Promise<OpenSessionResult> {
    const label = sessionLabel(target);
    let question: HostKeyQuestion | undefined;
    let encryptedKey: string | undefined;
    if (answers.keyPassphrase) this.deps.log.addSecret(answers.keyPassphrase);
    // Asked once per login attempt: the given passphrase, or nothing (and then the operator is asked).
    let asked = false;
    const connect: ConnectOptions = {
      ...route,
      knownHostsFile: join(this.deps.dataDir, 'known_hosts'),
      onUnknownHostKey: async (key) => {
        if (answers.trustFingerprint === key.fingerprint) return true;
        question = key;
        return false;
      },
      passphrase: (keyFile) => {
        encryptedKey = keyFile;
        if (asked) return Promise.resolve(undefined);
        asked = true;
        return Promise.resolve(answers.keyPassphrase);
      },
      log: this.deps.log,
    };
    let connection: SshConnection;
    try {
      connection = await openConnection(connect);
    } catch (error) {
      if (question && error instanceof SshError && error.failure === 'host-key-rejected') return { kind: 'unknown-host-key', question };
      if (encryptedKey && error instanceof SshError && error.failure === 'auth-failed')
        return { kind: 'needs-passphrase', keyFile: encryptedKey, wrong: answers.keyPassphrase !== undefined };
      throw error;
    }
    const { host, port, user } = connect.target;
    const session: Session = {
      info: { ...target, id: newId(), host, port, user, ...(via ? { via } : {}) },
      connection,
      // Tunnels log in again (and again, when they reconnect) with the same key; the host key is now known.
      connect: { ...connect, onUnknownHostKey: () => Promise.resolve(false), passphrase: () => Promise.resolve(answers.keyPassphrase) },
      closed: false,
      tunnels: new Map(),
      ports,
    };
    connection.onClose((reason) => {
      session.closed = true;
      this.deps.log.info('sessions', `Session to ${label} closed: ${reason}`);
    });
    this.sessions.set(session.info.id, session);
    this.deps.log.info(
      'sessions',
      `Opened SSH session to ${target.kind === 'master' ? `the master of ${label}` : `bastion ${label}`} (${user}@${host}:${port})`,
    );
    return { kind: 'session', session: this.list().find((s) => s.id === session.info.id)! };
  }

  /** Remembers the private key file of a key pair (one Tributary just created), so sessions to its clusters need not ask. */
  async rememberKeyFile(keyName: string, file: string): Promise<void> {
    const known = await this.remembered;
    const next = { byKeyName: { ...known.byKeyName, [keyName]: file } };
    await this.keyFiles.save(next);
    this.remembered = Promise.resolve(next);
  }

  /** The key pair's file: given now (remembered), remembered, or the sandbox's own. */
  private async keyFileFor(keyName: string | undefined, given: string | undefined, run: RunFile | undefined): Promise<string | undefined> {
    const name = keyName ?? '(none)';
    const known = await this.remembered;
    const candidate = given ?? known.byKeyName[name] ?? (run && keyName === SANDBOX_KEY_PAIR ? run.master.keyFile : undefined);
    if (!candidate) return undefined;
    try {
      accessSync(candidate, constants.R_OK);
    } catch {
      throw new AppError('VALIDATION', `Cannot read the key file ${candidate}; pick the private key (.pem) of key pair ${name}.`);
    }
    if (known.byKeyName[name] !== candidate) {
      const next = { byKeyName: { ...known.byKeyName, [name]: candidate } };
      await this.keyFiles.save(next);
      this.remembered = Promise.resolve(next);
    }
    return candidate;
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
    return this.openTunnel(session, service, spec.name, session.info.host, session.ports[service] ?? spec.port, spec.web);
  }

  /** A private Redshift cluster, reached from the session's host (a master or a bastion in its VPC) as `ssh -L port:endpoint:5439 host` would. */
  async forwardRedshift(sessionId: string, clusterIdentifier: string, signal: AbortSignal): Promise<TunnelInfo> {
    const session = this.session(sessionId);
    const active = await this.deps.environments.active();
    const { target } = await this.deps.environments.target(active.id);
    const redshift = new RedshiftClient(awsClientConfig(target, this.deps.version));
    try {
      const cluster = (await redshift.send(new DescribeClustersCommand({ ClusterIdentifier: clusterIdentifier }), { abortSignal: signal }))
        .Clusters?.[0];
      const endpoint = cluster?.Endpoint;
      if (!cluster || !endpoint?.Address || !endpoint.Port)
        throw new AppError(
          'UNAVAILABLE',
          `Redshift cluster ${clusterIdentifier} has no endpoint yet (${cluster?.ClusterStatus ?? 'not found'}).`,
        );
      return await this.openTunnel(session, 'redshift', `Redshift ${clusterIdentifier}`, endpoint.Address, endpoint.Port, false);
    } finally {
      redshift.destroy();
    }
  }

  /**
   * Local ports for the SQL engines, through sessions the operator opened
   * (host keys and key files are answered there, never here): an open tunnel
   * is reused, otherwise one is opened on the session.
   */
  readonly ports: SessionAccess = {
    sparkThrift: async (clusterId) => {
      const session = this.masterSession(clusterId);
      return this.reusable(session, 'spark-thrift') ?? (await this.forward(session.info.id, 'spark-thrift')).localPort;
    },
    masterExec: (clusterId, command, stdin, signal, onStdout) => this.masterExec(clusterId, command, stdin, signal, onStdout),
    redshift: async (sessionId, clusterIdentifier, signal) => {
      const session = this.session(sessionId);
      if (session.closed)
        throw new AppError('UNAVAILABLE', 'The SSH session this connection goes through has closed; open it again under Sessions.');
      return (
        this.reusable(session, 'redshift', `Redshift ${clusterIdentifier}`) ??
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

  private masterExec(
    clusterId: string,
    command: string,
    stdin: string,
    signal: AbortSignal,
    onStdout: (chunk: Buffer) => Promise<void>,
  ): Promise<ExecOutcome> {
    const session = this.masterSession(clusterId);
    return new Promise((resolve, reject) => {
      session.connection.client.exec(command, (error, channel) => {
        if (error) return reject(new AppError('UNAVAILABLE', `The master refused to run a command: ${error.message}`));
        let stderr = '';
        let code: number | null = null;
        // Closing the channel ends the remote command (SIGTERM on the sandbox, SIGHUP through sshd).
        const stop = () => channel.close();
        signal.addEventListener('abort', stop, { once: true });
        channel.on('data', (chunk: Buffer) => {
          channel.pause();
          onStdout(chunk).then(
            () => channel.resume(),
            (failure: unknown) => {
              channel.close();
              reject(failure);
            },
          );
        });
        channel.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-8192)));
        channel.on('exit', (exitCode: number | null) => (code = exitCode));
        channel.on('close', () => {
          signal.removeEventListener('abort', stop);
          resolve({ code, stderr });
        });
        channel.end(stdin);
      });
    });
  }

  private reusable(session: Session, service: TunnelTarget, name?: string): number | undefined {
    const open = [...session.tunnels.values()].find(
      (t) => t.info.service === service && (!name || t.info.name === name) && t.tunnel.status().state.kind !== 'failed',
    );
    return open?.info.localPort;
  }

  private async openTunnel(
    session: Session,
    service: TunnelTarget,
    name: string,
    remoteHost: string,
    remotePort: number,
    web: boolean,
  ): Promise<TunnelInfo> {
    const tunnel = await Tunnel.open({ ssh: session.connect, remoteHost, remotePort, log: this.deps.log });
    const open: OpenTunnel = {
      tunnel,
      lastUsed: Date.now(),
      lastBytes: 0,
      info: {
        id: newId(),
        service,
        name,
        localPort: tunnel.localPort,
        remotePort,
        ...(web ? { url: `http://127.0.0.1:${tunnel.localPort}/` } : {}),
      },
    };
    session.tunnels.set(open.info.id, open);
    this.announceTunnels();
    return tunnelInfo(open.info, tunnel.status());
  }

  async closeForward(sessionId: string, tunnelId: string): Promise<SessionInfo[]> {
    const session = this.session(sessionId);
    const open = session.tunnels.get(tunnelId);
    if (!open) throw new AppError('NOT_FOUND', `No tunnel ${tunnelId}`);
    session.tunnels.delete(tunnelId);
    await open.tunnel.close();
    this.announceTunnels();
    return this.list();
  }

  async close(id: string): Promise<SessionInfo[]> {
    const session = this.session(id);
    this.sessions.delete(id);
    await Promise.all([...session.tunnels.values()].map((open) => open.tunnel.close()));
    session.connection.close();
    this.announceTunnels();
    return this.list();
  }

  async *terminal(sessionId: string, cols: number, rows: number, signal: AbortSignal): AsyncGenerator<TerminalChunk> {
    const session = this.session(sessionId);
    if (session.closed) throw new AppError('UNAVAILABLE', 'This session has closed; open it again.');
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      session.connection.client.shell({ term: 'xterm-256color', cols, rows }, (error, opened) =>
        error ? reject(new AppError('UNAVAILABLE', `The master refused a terminal: ${error.message}`)) : resolve(opened),
      ),
    );
    const terminalId = newId();
    this.terminals.set(terminalId, channel);
    const decoder = new StringDecoder('utf8');
    let code: number | null = null;
    try {
      yield* follow<TerminalChunk>(
        (push, end) => {
          channel.on('data', (data: Buffer) => push({ kind: 'output', data: decoder.write(data) }));
          channel.stderr.on('data', (data: Buffer) => push({ kind: 'output', data: data.toString('utf8') }));
          channel.on('exit', (exitCode: number | null) => (code = exitCode));
          channel.on('close', () => {
            push({ kind: 'exit', code });
            end();
          });
          return () => channel.close();
        },
        signal,
        [{ kind: 'opened', terminalId }],
      );
    } finally {
      this.terminals.delete(terminalId);
    }
  }

  private channelOf(id: string): ClientChannel {
    const channel = this.terminals.get(id);
    if (!channel) throw new AppError('NOT_FOUND', `No terminal ${id}`);
    return channel;
  }

  private session(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw new AppError('NOT_FOUND', `No session ${id}`);
    return session;
  }

  private announceTunnels(): void {
    this.deps.events.emit({ type: 'tunnels', open: this.tunnelCount() });
  }

  /** Quitting closes every tunnel and session: no port or connection outlives the app. */
  async dispose(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }

  handlers(): HandlerGroup {
    return {
      'sessions.list': () => this.list(),
      'sessions.clusters': (_input, { signal }) => this.clusters(signal),
      'sessions.openMaster': (input, { signal }) => this.openMaster(input, signal),
      'sessions.openBastion': (input) => this.openBastion(input),
      'sessions.close': ({ id }) => this.close(id),
      'sessions.forward': ({ sessionId, service }) => this.forward(sessionId, service),
      'sessions.forwardRedshift': ({ sessionId, clusterIdentifier }, { signal }) =>
        this.forwardRedshift(sessionId, clusterIdentifier, signal),
      'sessions.closeForward': ({ sessionId, tunnelId }) => this.closeForward(sessionId, tunnelId),
      'sessions.terminal': ({ sessionId, cols, rows }, { signal }) => this.terminal(sessionId, cols, rows, signal),
      'sessions.terminalInput': ({ terminalId, data }) => {
        this.channelOf(terminalId).write(data);
        return null;
      },
      'sessions.terminalResize': ({ terminalId, cols, rows }) => {
        this.channelOf(terminalId).setWindow(rows, cols, 0, 0);
        return null;
      },
    };
  }
}

function tunnelInfo(info: OpenTunnel['info'], status: TunnelStatus): TunnelInfo {
  const state = status.state;
  const text =
    state.kind === 'retrying'
      ? `retrying in ${Math.ceil(state.inMs / 1000)} s (${state.reason})`
      : state.kind === 'failed'
        ? `failed: ${state.reason}`
        : state.kind;
  return {
    ...info,
    state: text,
    bytesIn: status.bytesIn,
    bytesOut: status.bytesOut,
    ...(status.latencyMs !== undefined ? { latencyMs: status.latencyMs } : {}),
  };
}
