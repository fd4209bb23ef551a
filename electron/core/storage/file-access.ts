import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ChosenFile, ChooseFile, FileNaming } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';

/**
 * Where the core may read and write the operator's own files. File names arrive through the contract, so a
 * compromised renderer, or anyone holding the web host's token, could name ~/.aws/credentials to upload or
 * preview, or ~/.ssh/authorized_keys to overwrite. Each host checks them its own way: the web host confines
 * paths to a workspace folder (WorkspaceFiles), the desktop app takes only files picked in its own dialogs
 * (ChosenFiles, chosen-files.ts).
 */
export interface FileAccess {
  readonly naming: FileNaming;
  /** Asks the operator for a file in the host's own dialog; null when cancelled. */
  choose(request: ChooseFile): Promise<ChosenFile | null>;
  /** Whether a real path inside a folder being read lies in the data directory (a chosen folder may hold it). */
  isAppData(real: string): boolean;
  /** The real path of an existing regular file (or folder) to read. */
  forRead(ref: string, kind?: 'file' | 'file or folder'): Promise<string>;
  /** Opens a file to read without following a symlink put in its place since it was checked. */
  openForRead(ref: string): Promise<{ path: string; handle: FileHandle }>;
  /** The real path to write. An existing file is a CONFLICT unless the operator agreed to replace it. */
  forWrite(ref: string, overwrite: boolean): Promise<string>;
}

/** The data directory, resolved once, to refuse it wherever files are named. */
export class AppDataDir {
  private constructor(private readonly real: string | undefined) {}

  static async of(dataDir: string): Promise<AppDataDir> {
    return new AppDataDir(await realpath(dataDir).catch(() => undefined));
  }

  holds(real: string): boolean {
    return this.real !== undefined && (real === this.real || real.startsWith(this.real + sep));
  }
}

/**
 * The web host's files: every path must lie inside the workspace folder chosen at launch (default
 * ~/Tributary) once symlinks are resolved, outside the data directory and outside any dot-folder; a write
 * never replaces a file unless the operator said so (CONFLICT first, so the UI can ask).
 */
export class WorkspaceFiles implements FileAccess {
  private constructor(
    /** The workspace as the operator named it, shown in the UI and in messages. */
    readonly root: string,
    private readonly realRoot: string,
    private readonly dataDir: AppDataDir,
  ) {}

  get naming(): FileNaming {
    return { kind: 'workspace', root: this.root };
  }

  /** Creates the workspace (0700) when it is missing. */
  static async open(root: string, dataDir: string): Promise<WorkspaceFiles> {
    const absolute = resolve(root);
    await mkdir(absolute, { recursive: true, mode: 0o700 });
    return new WorkspaceFiles(absolute, await realpath(absolute), await AppDataDir.of(dataDir));
  }

  choose(): Promise<ChosenFile | null> {
    return Promise.reject(
      new AppError('UNAVAILABLE', `The web host has no file dialog: name a file in the workspace folder ${this.root}.`),
    );
  }

  isAppData(real: string): boolean {
    return this.dataDir.holds(real);
  }

  /** Relative paths are taken from the workspace. */
  async forRead(path: string, kind: 'file' | 'file or folder' = 'file'): Promise<string> {
    const real = await this.confine(path);
    const info = await lstat(real).catch(() => undefined);
    if (!info) throw new AppError('NOT_FOUND', `No file ${path}`);
    if (!info.isFile() && !(kind === 'file or folder' && info.isDirectory())) throw refused(path, 'is not a regular file');
    return real;
  }

  async openForRead(path: string): Promise<{ path: string; handle: FileHandle }> {
    return openChecked(await this.forRead(path));
  }

  /** Its folder is created inside the workspace; a symlink or folder in the file's place is refused either way. */
  async forWrite(path: string, overwrite: boolean): Promise<string> {
    const real = await this.confine(path);
    const info = await lstat(real).catch(() => undefined);
    if (info && !info.isFile()) throw refused(path, 'is not a regular file');
    if (info && !overwrite) throw new AppError('CONFLICT', `${path} already exists. Replace it?`);
    await mkdir(dirname(real), { recursive: true, mode: 0o700 });
    return real;
  }

  private async confine(path: string): Promise<string> {
    if (path.includes('\u0000')) throw refused(path, 'holds a NUL character');
    const real = await realOfDeepestExisting(resolve(this.realRoot, path)).catch((error: NodeJS.ErrnoException) => {
      throw refused(path, `cannot be resolved (${error.code ?? 'error'})`);
    });
    const inside = relative(this.realRoot, real);
    if (inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
      throw refused(path, `is outside the workspace ${this.root}`);
    }
    if (inside.split(sep).some((part) => part.startsWith('.'))) throw refused(path, 'is a hidden file or in a hidden folder');
    if (this.isAppData(real)) throw refused(path, 'is in the app’s data directory');
    return real;
  }
}

export async function openChecked(real: string): Promise<{ path: string; handle: FileHandle }> {
  return { path: real, handle: await open(real, constants.O_RDONLY | constants.O_NOFOLLOW) };
}

function refused(path: string, why: string): AppError {
  return new AppError('VALIDATION', `${path} ${why}; Tributary reads and writes files only in its workspace folder.`, [
    { path: 'path', message: why },
  ]);
}

/** Symlinks resolved as far as the path exists; the missing rest (a file about to be written) is appended as named. */
export async function realOfDeepestExisting(path: string): Promise<string> {
  const missing: string[] = [];
  let existing = path;
  for (;;) {
    try {
      return join(await realpath(existing), ...missing);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(existing) === existing) throw error;
      missing.unshift(basename(existing));
      existing = dirname(existing);
    }
  }
}
