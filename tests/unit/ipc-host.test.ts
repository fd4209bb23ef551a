import { EventEmitter } from 'node:events';
import type { IpcMain, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { attachIpc } from '../../electron/main/ipc-host.js';
import type { CoreEndpoint } from '../../electron/supervisor/supervisor.js';
import { Logger } from '../../shared/node/log.js';
import { IPC_CHANNEL } from '../../shared/bridge.js';

/*
 * The Electron binary cannot be downloaded here: ipcMain, the window's WebContents and its frame are stand-ins
 * that record what attachIpc registers; the core endpoint counts connections. The rest runs for real.
 */
class FakeContents extends EventEmitter {
  readonly id = 7;
  readonly mainFrame = { url: 'app://tributary/index.html' };
  reloads = 0;
  isDestroyed = () => false;
  send = () => undefined;
  reload = () => void this.reloads++;
}

function host() {
  const ipcMain = new EventEmitter();
  const opened: { received: unknown[]; closed: boolean }[] = [];
  const core: CoreEndpoint = {
    log: new Logger(undefined),
    connect: () => {
      const connection = { received: [] as unknown[], closed: false };
      opened.push(connection);
      return { receive: (raw) => connection.received.push(raw), close: () => void (connection.closed = true) };
    },
    dispose: () => Promise.resolve(),
  };
  attachIpc(ipcMain as unknown as IpcMain, core, undefined);
  const contents = new FakeContents();
  const send = (message: unknown, frame: { url: string } = contents.mainFrame) =>
    ipcMain.emit(IPC_CHANNEL, { sender: contents as unknown as WebContents, senderFrame: frame }, message);
  const reload = () => contents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false });
  return { contents, opened, send, reload };
}

describe('the Electron host’s IPC', () => {
  it('gives a window one session, ends it on reload, and follows the window once however often it reloads', () => {
    const { contents, opened, send, reload } = host();
    send('a');
    send('b');
    expect(opened).toHaveLength(1);
    expect(opened[0]!.received).toEqual(['a', 'b']);
    for (let i = 0; i < 20; i++) {
      reload();
      send(`after reload ${i}`);
    }
    expect(opened).toHaveLength(21);
    expect(opened.slice(0, 20).every((c) => c.closed)).toBe(true);
    // Before, every session added its own listeners: twenty reloads left twenty-one of each on the window.
    expect(contents.listenerCount('did-start-navigation')).toBe(1);
    expect(contents.listenerCount('destroyed')).toBe(1);
    contents.emit('destroyed');
    expect(opened.at(-1)!.closed).toBe(true);
  });

  it('drops a message from a frame that is not the app’s main frame', () => {
    const { opened, send } = host();
    send('x', { url: 'https://evil.example/' });
    expect(opened).toHaveLength(0);
  });
});
