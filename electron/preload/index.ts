import { contextBridge, ipcRenderer } from 'electron';
import { IPC_CHANNEL, type PreloadBridge } from '../../shared/bridge.js';
import { operationNames, type OpName } from '../../shared/contract/index.js';
import type { HostMessage } from '../../shared/protocol.js';

let receiver: ((message: HostMessage) => void) | undefined;
ipcRenderer.on(IPC_CHANNEL, (_event, message: HostMessage) => receiver?.(message));

const operations = Object.fromEntries(
  operationNames.map((op) => [op, (id: number, input: unknown) => ipcRenderer.send(IPC_CHANNEL, { t: 'call', id, op, input })]),
) as Record<OpName, (id: number, input: unknown) => void>;

const bridge: PreloadBridge = {
  operations,
  cancel: (id) => ipcRenderer.send(IPC_CHANNEL, { t: 'cancel', id }),
  ack: (id, n) => ipcRenderer.send(IPC_CHANNEL, { t: 'ack', id, n }),
  onMessage: (listener) => {
    receiver = listener;
  },
};

contextBridge.exposeInMainWorld('tributary', bridge);
