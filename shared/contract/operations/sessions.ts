import { z } from 'zod';
import { fileRefSchema } from '../paths.js';
import { call, stream } from '../define.js';

/** The master's services an operator reaches through the tunnel, with EMR's ports. */
export const masterServices = {
  'spark-thrift': { name: 'Spark Thrift Server', port: 10001, web: false },
  hiveserver2: { name: 'HiveServer2', port: 10000, web: false },
  livy: { name: 'Livy', port: 8998, web: true },
  'spark-history': { name: 'Spark History Server', port: 18080, web: true },
  yarn: { name: 'YARN ResourceManager', port: 8088, web: true },
  hue: { name: 'Hue', port: 8888, web: true },
} as const;

export type MasterServiceId = keyof typeof masterServices;
/** A tunnel is to one of the master's services, or through the master to a private Redshift cluster. */
export type TunnelTarget = MasterServiceId | 'redshift';
const serviceIdSchema = z.enum(Object.keys(masterServices) as [MasterServiceId, ...MasterServiceId[]]);

export interface TunnelInfo {
  id: string;
  service: TunnelTarget;
  name: string;
  localPort: number;
  remotePort: number;
  /** connecting, up, retrying in N s, failed: reason, closed. */
  state: string;
  bytesIn: number;
  bytesOut: number;
  latencyMs?: number;
  /** For web UIs: where the browser reaches them through the tunnel. */
  url?: string;
}

/** What a session is to: an EMR cluster's master, or a bastion named as a Host of the SSH config (for private Redshift without EMR). */
export type SessionTarget = { kind: 'master'; clusterId: string; clusterName: string } | { kind: 'bastion'; alias: string };

export interface SessionAddress {
  id: string;
  host: string;
  port: number;
  user: string;
  /** The bastion (an SSH config Host) the session goes through, if any. */
  via?: string;
}

export type SessionInfo = SessionTarget & SessionAddress & { state: 'up' | 'closed'; tunnels: TunnelInfo[] };

/** How the UI names a session: the cluster's name, or the bastion's Host alias. */
export function sessionLabel(session: SessionTarget): string {
  return session.kind === 'master' ? session.clusterName : session.alias;
}

export interface ClusterSummary {
  id: string;
  name: string;
  state: string;
  keyName?: string;
}

export interface HostKeyQuestion {
  host: string;
  port: number;
  keyType: string;
  /** SHA256:…, as ssh-keygen -l prints it. */
  fingerprint: string;
}

/** Opening a session either succeeds or asks the operator one thing first. */
export type OpenSessionResult =
  | { kind: 'session'; session: SessionInfo }
  | { kind: 'unknown-host-key'; question: HostKeyQuestion }
  | { kind: 'needs-key-file'; keyName: string }
  /** The key file is encrypted: ask for its passphrase (kept in memory for this session only). */
  | { kind: 'needs-passphrase'; keyFile: string; wrong: boolean };

export type TerminalChunk =
  { kind: 'opened'; terminalId: string } | { kind: 'output'; data: string } | { kind: 'exit'; code: number | null };

const id = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[A-Za-z0-9_-]+$/);
const none = z.object({}).strict();
const sshHostAlias = z.string().regex(/^[A-Za-z0-9._@:-]{1,200}$/, 'Not an SSH host alias');
/** The operator's answers to what opening a session asked. */
const sessionAnswers = {
  /** The fingerprint the operator accepted for an unknown host key. */
  trustFingerprint: z
    .string()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}$/)
    .optional(),
  /** For an encrypted key file; never stored, never logged. */
  keyPassphrase: z.string().min(1).max(1024).optional(),
};

export const sessions = {
  list: call<SessionInfo[]>()({ summary: 'List open SSH sessions and their tunnels.', input: none }),
  clusters: call<ClusterSummary[]>()({ summary: 'List the active environment’s EMR clusters that can be logged in to.', input: none }),
  openMaster: call<OpenSessionResult>()({
    summary: 'Open an SSH session to an EMR cluster’s master as hadoop, with the cluster’s key pair file.',
    input: z
      .object({
        clusterId: z.string().regex(/^j-[A-Z0-9]{1,64}$/, 'Not an EMR cluster id (j-…)'),
        /** The key pair's private key file (a chosen file's handle, or a workspace path), remembered per key name once given. */
        keyFile: fileRefSchema.optional(),
        /** A bastion to go through: a Host of ~/.ssh/config (its own ProxyJump chain included). */
        bastion: sshHostAlias.optional(),
        ...sessionAnswers,
      })
      .strict(),
  }),
  openBastion: call<OpenSessionResult>()({
    summary: 'Open an SSH session to a bastion, a Host of ~/.ssh/config, to reach a private Redshift cluster when there is no EMR master.',
    input: z.object({ host: sshHostAlias, ...sessionAnswers }).strict(),
  }),
  close: call<SessionInfo[]>()({ summary: 'Close a session and its tunnels.', input: z.object({ id }).strict() }),
  forward: call<TunnelInfo>()({
    summary: 'Open a tunnel from a local port to one of the master’s services.',
    input: z.object({ sessionId: id, service: serviceIdSchema }).strict(),
  }),
  forwardRedshift: call<TunnelInfo>()({
    summary: 'Open a tunnel through the session’s host (a master or a bastion) to a Redshift cluster that is not publicly accessible.',
    input: z
      .object({ sessionId: id, clusterIdentifier: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'Not a Redshift cluster identifier') })
      .strict(),
  }),
  closeForward: call<SessionInfo[]>()({ summary: 'Close one tunnel.', input: z.object({ sessionId: id, tunnelId: id }).strict() }),
  terminal: stream<TerminalChunk>()({
    summary: 'An interactive terminal on the master (a PTY on the remote side).',
    input: z.object({ sessionId: id, cols: z.number().int().min(10).max(1000), rows: z.number().int().min(2).max(500) }).strict(),
  }),
  terminalInput: call<null>()({
    summary: 'Send keystrokes to a terminal.',
    input: z.object({ terminalId: id, data: z.string().max(64 * 1024) }).strict(),
  }),
  terminalResize: call<null>()({
    summary: 'Tell the remote terminal its new size.',
    input: z.object({ terminalId: id, cols: z.number().int().min(10).max(1000), rows: z.number().int().min(2).max(500) }).strict(),
  }),
};
