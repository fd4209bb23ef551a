import { join } from 'node:path';
import { z } from 'zod';
import { masterServices, type OpenSessionResult, type TunnelTarget } from '../../../shared/contract/index.js';
import type { Logger } from '../../../shared/node/log.js';
import { JsonDocument, type LoadProblem } from '../storage/json-file.js';
import type { NoticeBoard } from '../storage/notices.js';

/*
 * Why this exists: the core runs in a process the host restarts when it dies (electron/supervisor/). Without a
 * record, a crash would drop every SSH session and tunnel: the operator would reopen each by hand, tunnels would
 * come back on other local ports, and Redshift connections that go through a session by its id would point at
 * nothing. So the open sessions are written down as they change, and a core that finds them at start logs in
 * again the way a tunnel does after a network drop: same session ids, same local ports where they are free.
 *
 * Only what identifies a session is kept, never a secret (no passphrase, password or key contents): a session
 * that needs an answer to come back (an encrypted key, a new host key, a key file gone, the cluster gone) is not
 * retried behind the operator's back but becomes a notice naming it. A clean dispose empties the record, so only
 * a crash leaves one.
 */

const id = z.string().regex(/^[0-9a-f]{1,32}$/);
const port = z.number().int().min(0).max(65535);
const tunnelTargets = ['redshift', ...Object.keys(masterServices)] as [TunnelTarget, ...TunnelTarget[]];

const tunnelSchema = z
  .object({ service: z.enum(tunnelTargets), name: z.string(), remoteHost: z.string(), remotePort: port, localPort: port, web: z.boolean() })
  .strict();

const originSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('master'),
      environmentId: z.string(),
      clusterId: z.string(),
      keyName: z.string(),
      keyFile: z.string(),
      /** The SSH config Host the master is reached through, when it is private. */
      bastion: z.string().optional(),
    })
    .strict(),
  z.object({ kind: z.literal('bastion'), alias: z.string() }).strict(),
]);

const sessionSchema = z.object({ id, origin: originSchema, tunnels: z.array(tunnelSchema) }).strict();
const fileSchema = z.object({ sessions: z.array(sessionSchema) }).strict();

/** How a session was opened, enough to open it again without the operator. */
export type SessionOrigin = z.infer<typeof originSchema>;
export type RecordedTunnel = z.infer<typeof tunnelSchema>;
export type RecordedSession = z.infer<typeof sessionSchema>;

/** `<data dir>/open-sessions.json` (0600, atomic): the sessions and tunnels open now. */
export class OpenSessionsRecord {
  private readonly file: JsonDocument<z.infer<typeof fileSchema>>;

  constructor(dataDir: string, onProblem: (problem: LoadProblem) => void) {
    this.file = new JsonDocument(join(dataDir, 'open-sessions.json'), fileSchema, () => ({ sessions: [] }), onProblem);
  }

  async sessions(): Promise<RecordedSession[]> {
    return (await this.file.current()).sessions;
  }

  /** `snapshot` is taken under the file's mutex, so the last write holds the latest state whatever order changes came in. */
  async write(snapshot: () => RecordedSession[]): Promise<void> {
    await this.file.update(() => ({ sessions: snapshot() }));
  }
}

/** What the restore needs of the sessions service: its own ways to open, so a restored session is like any other. */
export interface Reopen {
  session(recorded: RecordedSession): Promise<OpenSessionResult>;
  tunnel(sessionId: string, tunnel: RecordedTunnel): Promise<void>;
}

const questions: Record<Exclude<OpenSessionResult['kind'], 'session'>, string> = {
  'needs-key-file': 'no key file is known for its key pair',
  'unknown-host-key': 'its host key is not in known_hosts any more',
  'needs-passphrase': 'its key file is encrypted, and passphrases are never kept',
};

/** Opens the recorded sessions and their tunnels again; each one that cannot come back without a question becomes a notice. */
export async function restoreSessions(recorded: RecordedSession[], reopen: Reopen, notices: NoticeBoard, log: Logger): Promise<void> {
  await Promise.all(
    recorded.map(async (entry) => {
      const label =
        entry.origin.kind === 'master'
          ? `the master of ${entry.origin.clusterId}${entry.origin.bastion ? ` through ${entry.origin.bastion}` : ''}`
          : `bastion ${entry.origin.alias}`;
      let result: OpenSessionResult;
      try {
        result = await reopen.session(entry);
      } catch (error) {
        return notice(`the session to ${label}`, log.redact(error instanceof Error ? error.message : String(error)));
      }
      if (result.kind !== 'session') return notice(`the session to ${label}`, questions[result.kind]);
      log.info('sessions', `Reopened the SSH session to ${label} after the core restarted`);
      for (const tunnel of entry.tunnels) {
        try {
          await reopen.tunnel(entry.id, tunnel);
        } catch (error) {
          notice(`the ${tunnel.name} tunnel of ${label}`, log.redact(error instanceof Error ? error.message : String(error)));
        }
      }
    }),
  );

  function notice(what: string, why: string): void {
    log.warn('sessions', `Could not reopen ${what} after the core restarted: ${why}`);
    notices.add(
      'warning',
      `Reopen ${what}`,
      `The Tributary core restarted after it stopped unexpectedly, and ${what} could not be reopened without asking you: ${why}. Open it again under Sessions.`,
    );
  }
}
