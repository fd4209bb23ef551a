import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AppError } from '../../../shared/errors.js';

/**
 * Where the core may read and write the operator's own files. Paths arrive through the contract, so a
 * compromised renderer, or anyone holding the web host's token, could name ~/.aws/credentials to upload or
 * preview, or ~/.ssh/authorized_keys to overwrite. Every such path is checked here before a file is opened:
 * it must lie inside the workspace folder chosen at launch (default ~/Tributary) once symlinks are resolved,
 * outside the data directory and outside any dot-folder; a write never replaces a file unless the operator
 * said so (CONFLICT first, so the UI can ask).
 */
export class WorkspaceFiles {
  private constructor(
    /** The workspace as the operator named it, shown in the UI and in messages. */
    readonly root: string,
    private readonly realRoot: string,
    private readonly realDataDir: string | undefined,
  ) {}

  /** Creates the workspace (0700) when it is missing. */
  static async open(root: string, dataDir: string): Promise<WorkspaceFiles> {
    const absolute = resolve(root);
    await mkdir(absolute, { recursive: true, mode: 0o700 });
    const realData = await realpath(dataDir).catch(() => undefined);
    return new WorkspaceFiles(absolute, await realpath(absolute), realData);
  }

  /** Whether a real path inside a folder being read lies in the data directory (a workspace may hold it). */
  isAppData(real: string): boolean {
    return this.realDataDir !== undefined && (real === this.realDataDir || real.startsWith(this.realDataDir + sep));
  }

  /** The real path of an existing regular file or folder to read; relative paths are taken from the workspace. */
  async forRead(path: string, kind: 'file' | 'file or folder' = 'file'): Promise<string> {
    const real = await this.confine(path);
    const info = await lstat(real).catch(() => undefined);
    if (!info) throw new AppError('NOT_FOUND', `No file ${path}`);
    if (!info.isFile() && !(kind === 'file or folder' && info.isDirectory())) throw refused(path, 'is not a regular file');
    return real;
  }

  /** Opens a file to read without following a symlink put in its place since it was checked. */
  async openForRead(path: string): Promise<{ path: string; handle: FileHandle }> {
    const real = await this.forRead(path);
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    return { path: real, handle };
  }

  /**
   * The real path to write; its folder is created inside the workspace. An existing file is a CONFLICT
   * unless `overwrite`, and a symlink or folder in its place is refused either way.
   */
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

function refused(path: string, why: string): AppError {
  return new AppError('VALIDATION', `${path} ${why}; Tributary reads and writes files only in its workspace folder.`, [
    { path: 'path', message: why },
  ]);
}

/** Symlinks resolved as far as the path exists; the missing rest (a file about to be written) is appended as named. */
async function realOfDeepestExisting(path: string): Promise<string> {
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
