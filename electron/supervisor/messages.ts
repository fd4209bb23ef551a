import type { HostMessage } from '../../shared/protocol.js';
import type { ChooseFile, HostKind, LogLine, SecretBackend } from '../../shared/contract/index.js';
import type { DaemonCommand } from '../../sandbox/client/daemon-command.js';
import type { LoadProblem } from '../core/storage/json-file.js';

/**
 * The envelope between a host and its core process. The renderer's own messages (the contract's envelope)
 * travel inside `msg` untouched, one `conn` per renderer connection; the core process checks them as the
 * host did when the core ran in its process. Secrets stay with the host's store, and file dialogs are the
 * host's windows': the core asks for them.
 */
export type ToCore =
  | { k: 'open'; conn: number }
  | { k: 'msg'; conn: number; data: unknown }
  | { k: 'close'; conn: number }
  | { k: 'secret'; id: number; value?: string | string[] | undefined; error?: string }
  | { k: 'chosen'; id: number; value?: string | undefined; error?: string }
  | { k: 'log'; line: Pick<LogLine, 'level' | 'scope' | 'message'> }
  | { k: 'dispose' };

export type FromCore =
  | { k: 'ready' }
  | { k: 'msg'; conn: number; data: HostMessage }
  | { k: 'secret'; id: number; op: 'names' | 'get' | 'set' | 'delete'; name?: string; value?: string }
  /** The host shows its own file dialog; the core hands the renderer a handle for the path, never the path. */
  | { k: 'choose'; id: number; request: ChooseFile & { defaultPath: string } }
  | { k: 'disposed' };

/** What the core process is started with, in its environment as JSON (never a secret). */
export interface CoreProcessOptions {
  host: HostKind;
  version: string;
  dataDir: string;
  workspaceDir: string;
  echoLog: boolean;
  sandboxDaemon: DaemonCommand;
  secrets: { backend: SecretBackend; persistent: boolean };
  /** The host shows file dialogs (Electron): the core takes files only from them. */
  fileDialog: boolean;
  /** What the host's secret store could not read, for the core's notices. */
  hostProblems: LoadProblem[];
}

export const CORE_OPTIONS_ENV = 'TRIBUTARY_CORE_OPTIONS';

/** The core process's built entry, next to the main bundle (electron.config.ts). */
export const CORE_ENTRY = 'core-process.js';
