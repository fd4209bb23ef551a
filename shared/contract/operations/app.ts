import { z } from 'zod';
import { call, stream } from '../define.js';
import type { FileNaming } from '../paths.js';

export type HostKind = 'electron' | 'web';

export type SecretBackend = 'electron-safe-storage' | 'os-keyring' | 'memory';

export interface AppInfo {
  name: string;
  version: string;
  host: HostKind;
  platform: string;
  dataDir: string;
  /** How files to upload, replay, download, export or log in with are named on this host. */
  files: FileNaming;
  secretBackend: SecretBackend;
  /** False when secrets are kept in memory only and are gone when the app quits. */
  secretsPersist: boolean;
}

/** Something the operator should know that is not tied to one action, e.g. a corrupt file that was set aside. */
export interface Notice {
  id: string;
  level: 'info' | 'warning' | 'error';
  title: string;
  detail: string;
  at: string;
}

export type AppEvent =
  { type: 'environment'; activeId: string; activeName: string } | { type: 'tunnels'; open: number } | { type: 'notices'; count: number };

const none = z.object({}).strict();

export const app = {
  info: call<AppInfo>()({ summary: 'Describe this app, its host and where it keeps data.', input: none }),
  notices: call<Notice[]>()({ summary: 'List notices that need the operator’s attention.', input: none }),
  dismissNotice: call<Notice[]>()({
    summary: 'Dismiss one notice.',
    input: z.object({ id: z.string().min(1).max(100) }).strict(),
  }),
  events: stream<AppEvent>()({
    summary: 'Follow status changes: active environment, open tunnels, notices.',
    input: none,
  }),
};
