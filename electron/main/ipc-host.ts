import type { IpcMain, IpcMainEvent, WebContents } from 'electron';
import { IPC_CHANNEL } from '../../shared/bridge.js';
import type { CoreConnection, CoreEndpoint } from '../supervisor/supervisor.js';
import { isAppUrl } from './window.js';

/** Host A's transport: the envelope over one IPC channel, one session per window, senders checked. */
export function attachIpc(ipcMain: IpcMain, core: CoreEndpoint, devServerUrl: string | undefined): void {
  const sessions = new Map<number, CoreConnection>();
  /** Windows whose lifecycle is followed: once each, however often they reload. */
  const followed = new WeakSet<WebContents>();

  const end = (contents: WebContents) => {
    sessions.get(contents.id)?.close();
    sessions.delete(contents.id);
  };

  const follow = (contents: WebContents) => {
    if (followed.has(contents)) return;
    followed.add(contents);
    // `id` is read now: a destroyed WebContents throws on property access.
    const id = contents.id;
    contents.once('destroyed', () => {
      sessions.get(id)?.close();
      sessions.delete(id);
    });
    // A reload starts a new page; what the old page started must stop.
    contents.on('did-start-navigation', (details) => {
      if (details.isMainFrame && !details.isSameDocument) end(contents);
    });
  };

  const sessionFor = (contents: WebContents): CoreConnection => {
    let session = sessions.get(contents.id);
    if (!session) {
      session = core.connect(
        (message) => {
          if (!contents.isDestroyed()) contents.send(IPC_CHANNEL, message);
        },
        // The core behind this window stopped and is restarting: a reload meets the new one.
        () => {
          sessions.delete(contents.id);
          if (!contents.isDestroyed()) contents.reload();
        },
      );
      sessions.set(contents.id, session);
      follow(contents);
    }
    return session;
  };

  ipcMain.on(IPC_CHANNEL, (event: IpcMainEvent, message: unknown) => {
    const frame = event.senderFrame;
    if (!frame || frame !== event.sender.mainFrame || !isAppUrl(frame.url, devServerUrl)) {
      core.log.warn('ipc', `Dropped a message from an untrusted frame: ${frame?.url ?? 'unknown'}`);
      return;
    }
    sessionFor(event.sender).receive(message);
  });
}
