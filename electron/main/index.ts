import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { BrowserWindow, app, dialog, ipcMain, protocol, safeStorage, session, shell, utilityProcess } from 'electron';
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import { daemonCommand } from '../../sandbox/client/daemon-command.js';
import { isAppError } from '../../shared/errors.js';
import { EncryptedFileStore } from '../core/secrets/encrypted-file-store.js';
import { MemorySecretStore, type SecretStore } from '../core/secrets/secret-store.js';
import { securityHeaders } from '../core/security/csp.js';
import { lockDataDir } from '../core/storage/data-dir-lock.js';
import type { FileDialog } from '../core/storage/chosen-files.js';
import type { LoadProblem } from '../core/storage/json-file.js';
import { CoreSupervisor, type CoreEndpoint } from '../supervisor/supervisor.js';
import { utilityCoreLauncher } from './core-child.js';
import { attachIpc } from './ipc-host.js';
import { APP_ORIGIN, hardenContents, hardenSession, secureWebPreferences } from './window.js';

/** Host A. Thin on purpose: the core does the work; this file wires Electron to it. */
const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const rendererDir = join(import.meta.dirname, '..', 'renderer');
const contentTypes: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) app.quit();

function openSecretStore(dataDir: string, onProblem: (problem: LoadProblem) => void): Promise<SecretStore> {
  // Linux without a keyring falls back to a hard-coded key ("basic_text"); that is not protection, so say memory only.
  const real =
    safeStorage.isEncryptionAvailable() && (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text');
  if (!real) return Promise.resolve(new MemorySecretStore());
  const cipher = {
    encrypt: (plain: string) => safeStorage.encryptString(plain),
    decrypt: (sealed: Buffer) => safeStorage.decryptString(sealed),
  };
  return Promise.resolve(new EncryptedFileStore('electron-safe-storage', dataDir, cipher, onProblem));
}

/** The operator picks files here, in the main process; the renderer only ever holds the core's handle for the pick. */
const showFileDialog: FileDialog = async ({ purpose, title, defaultPath }) => {
  const parent = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  if (purpose === 'save') {
    const options: SaveDialogOptions = { title, defaultPath, properties: ['createDirectory', 'showOverwriteConfirmation'] };
    const saved = await (parent ? dialog.showSaveDialog(parent, options) : dialog.showSaveDialog(options));
    return saved.canceled ? undefined : saved.filePath;
  }
  const options: OpenDialogOptions = { title, defaultPath, properties: [purpose === 'open-folder' ? 'openDirectory' : 'openFile'] };
  const opened = await (parent ? dialog.showOpenDialog(parent, options) : dialog.showOpenDialog(options));
  return opened.canceled ? undefined : opened.filePaths[0];
};

function serveBundle(): void {
  protocol.handle('app', async (request) => {
    const { pathname } = new URL(request.url);
    const file = join(rendererDir, normalize(decodeURIComponent(pathname === '/' ? '/index.html' : pathname)));
    if (!file.startsWith(rendererDir + sep)) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: { ...securityHeaders, 'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream' },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}

function openWindow(core: CoreEndpoint): void {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Tributary',
    webPreferences: secureWebPreferences(join(import.meta.dirname, '..', 'preload', 'index.cjs')),
  });
  window.once('ready-to-show', () => window.show());
  void window
    .loadURL(devServerUrl ?? `${APP_ORIGIN}/index.html`)
    .catch((error: unknown) => core.log.error('main', 'Could not load the UI', error));
}

app.on('web-contents-created', (_event, contents) => hardenContents(contents, devServerUrl, (url) => void shell.openExternal(url)));

app.on('window-all-closed', () => app.quit());

void app.whenReady().then(async () => {
  const dataDir = app.getPath('userData');
  // The web host may use the same folder: the second to start says who holds it and quits.
  const release = await lockDataDir(dataDir, 'electron').catch((error: unknown) => {
    const title = isAppError(error) && error.code === 'CONFLICT' ? 'Tributary is already running' : 'Tributary could not start';
    dialog.showErrorBox(title, error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
  if (!release) return;
  const problems: LoadProblem[] = [];
  const secrets = await openSecretStore(dataDir, (problem) => problems.push(problem));
  // The core runs in a utility process the supervisor restarts if it dies; the secret store stays here
  // (safeStorage is the main process's), and the core asks it over the channel.
  const core = new CoreSupervisor({
    secrets,
    fileDialog: showFileDialog,
    launch: utilityCoreLauncher((path, args, options) => utilityProcess.fork(path, args, options), import.meta.dirname, {
      host: 'electron',
      version: app.getVersion(),
      dataDir,
      workspaceDir: join(app.getPath('home'), 'Tributary'),
      echoLog: false,
      // The daemon's built entry sits next to this bundle; Electron's own binary runs it as Node.
      sandboxDaemon: daemonCommand(import.meta.dirname, 'electron'),
      secrets: { backend: secrets.backend, persistent: secrets.persistent },
      fileDialog: true,
      hostProblems: problems,
    }),
  });
  try {
    await core.start();
  } catch (error) {
    dialog.showErrorBox('Tributary could not start', error instanceof Error ? error.message : String(error));
    app.exit(1);
    return;
  }
  hardenSession(session.defaultSession, devServerUrl);
  serveBundle();
  attachIpc(ipcMain, core, devServerUrl);
  openWindow(core);
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());
  // Quitting waits for the core to end what it started (runs, tunnels, sessions, the sandbox), so no process or port outlives the app.
  let disposed = false;
  app.on('before-quit', (event) => {
    if (disposed) return;
    event.preventDefault();
    void core
      .dispose()
      .then(() => core.log.flush())
      .then(release)
      .finally(() => {
        disposed = true;
        app.quit();
      });
  });
});
