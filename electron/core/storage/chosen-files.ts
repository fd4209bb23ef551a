import { randomBytes } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CHOSEN_FILE_PREFIX, type ChosenFile, type ChooseFile, type FileNaming } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { AppDataDir, openChecked, realOfDeepestExisting, type FileAccess } from './file-access.js';

/** The host's own file dialog (Electron's, shown by the main process): the path picked, or undefined when cancelled. */
export type FileDialog = (request: ChooseFile & { defaultPath: string }) => Promise<string | undefined>;

interface Grant {
  real: string;
  purpose: ChooseFile['purpose'];
}

/** Handles a core keeps at most; the oldest are forgotten first (a form holding one asks again). */
const MAX_GRANTS = 512;

/**
 * The desktop app's files: the renderer never names a path. It asks for a dialog (`files.choose`), the main
 * process shows it, and the renderer gets an opaque handle that stands for what the operator picked, for
 * that use only: a file chosen to open cannot be written, one chosen to save cannot be read. A compromised
 * renderer can show the operator a dialog, but cannot pick in it.
 */
export class ChosenFiles implements FileAccess {
  readonly naming: FileNaming = { kind: 'dialog' };
  private readonly grants = new Map<string, Grant>();
  /** Where the next dialog opens: the folder of the last pick, at first the workspace. */
  private folder: string;

  private constructor(
    private readonly dialog: FileDialog,
    private readonly dataDir: AppDataDir,
    startFolder: string,
  ) {
    this.folder = startFolder;
  }

  static async open(dialog: FileDialog, dataDir: string, startFolder: string): Promise<ChosenFiles> {
    return new ChosenFiles(dialog, await AppDataDir.of(dataDir), startFolder);
  }

  async choose(request: ChooseFile): Promise<ChosenFile | null> {
    const picked = await this.dialog({ ...request, defaultPath: join(this.folder, request.suggestedName ?? '') });
    if (!picked) return null;
    const real = await realOfDeepestExisting(picked);
    // Picked on purpose, but the app's own files (secrets, history) are not the operator's to upload or replace.
    if (this.dataDir.holds(real)) throw new AppError('VALIDATION', `${picked} is in the app’s data directory; choose another file.`);
    this.folder = request.purpose === 'open-folder' ? real : dirname(real);
    const ref = CHOSEN_FILE_PREFIX + randomBytes(16).toString('hex');
    this.grants.set(ref, { real, purpose: request.purpose });
    for (const old of this.grants.keys()) {
      if (this.grants.size <= MAX_GRANTS) break;
      this.grants.delete(old);
    }
    return { ref, name: basename(real) };
  }

  isAppData(real: string): boolean {
    return this.dataDir.holds(real);
  }

  async forRead(ref: string, kind: 'file' | 'file or folder' = 'file'): Promise<string> {
    const grant = this.grant(ref);
    if (grant.purpose === 'save') throw new AppError('VALIDATION', `${basename(grant.real)} was chosen to save to, not to read.`);
    if (grant.purpose === 'open-folder' && kind === 'file') throw new AppError('VALIDATION', `Choose a file, not a folder.`);
    const info = await lstat(grant.real).catch(() => undefined);
    if (!info) throw new AppError('NOT_FOUND', `${grant.real} is no longer there.`);
    if (!(grant.purpose === 'open-folder' ? info.isDirectory() : info.isFile())) {
      throw new AppError('VALIDATION', `${grant.real} has been replaced by something else since it was chosen; choose it again.`);
    }
    return grant.real;
  }

  async openForRead(ref: string) {
    return openChecked(await this.forRead(ref));
  }

  /** The save dialog asked before replacing a file, so `overwrite` is already the operator's word. */
  async forWrite(ref: string): Promise<string> {
    const grant = this.grant(ref);
    if (grant.purpose !== 'save') throw new AppError('VALIDATION', `${basename(grant.real)} was chosen to read, not to save to.`);
    const info = await lstat(grant.real).catch(() => undefined);
    if (info && !info.isFile()) throw new AppError('VALIDATION', `${grant.real} is not a regular file; choose another name.`);
    return grant.real;
  }

  private grant(ref: string): Grant {
    const grant = ref.startsWith(CHOSEN_FILE_PREFIX) ? this.grants.get(ref) : undefined;
    if (grant) return grant;
    throw new AppError(
      'VALIDATION',
      ref.startsWith(CHOSEN_FILE_PREFIX)
        ? 'That file choice has expired (the app restarted since); choose the file again.'
        : 'Choose the file with Tributary’s dialog: the desktop app does not take file paths from its window.',
      [{ path: 'path', message: 'Choose the file again' }],
    );
  }
}
