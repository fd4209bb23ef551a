import type { IpcMain, IpcMainEvent, WebContents } from 'electron';
import { IPC_CHANNEL } from '../../shared/bridge.js';
import type { CoreConnection, CoreEndpoint } from '../supervisor/supervisor.js';
import { isAppUrl } from './window.js';

/** Host A's transport: the envelope over one IPC channel, one session per window, senders checked. */
export function attachIpc(ipcMain: IpcMain, core: CoreEndpoint, devServerUrl: string | undefined): void {
  const sessions = new Map<number, CoreConnection>();

  const sessionFor = (contents: WebContents): CoreConnection => {
    let session = sessions.get(contents.id);
    if (!session) {
      const created = core.connect(
        (message) => {
          if (!contents.isDestroyed()) contents.send(IPC_CHANNEL, message);
        },
        // The core behind this window stopped and is restarting: a reload meets the new one.
        () => {
          sessions.delete(contents.id);
          if (!contents.isDestroyed()) contents.reload();
        },
      );
      sessions.set(contents.id, created);
      contents.once('destroyed', () => {
        created.close();
        sessions.delete(contents.id);
      });
      // A reload starts a new page; what the old page started must stop.
      contents.on('did-start-navigation', (details) => {
        if (details.isMainFrame && !details.isSameDocument) {
          created.close();
          sessions.delete(contents.id);
        }
      });
      session = created;
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
