import { fork, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../electron/core/secrets/secret-store.js';
import { utilityCoreLauncher, type UtilityProcessLike } from '../../electron/main/core-child.js';
import { CoreSupervisor } from '../../electron/supervisor/supervisor.js';
import { checkoutDaemonCommand } from '../../sandbox/client/daemon-command.js';
import type { HostMessage } from '../../shared/protocol.js';
import { tempDir } from '../helpers/core.js';
import { corePids } from '../helpers/core-process.js';
import { until } from '../helpers/until.js';
import { projectRoot, startWebHostProcess, type WebHostProcess } from '../helpers/web-host-process.js';
import { SocketPeer, openSocket } from '../helpers/ws-client.js';

let host: WebHostProcess | undefined;
afterAll(() => host?.stop());

describe('the core in a supervised process of its own', () => {
  it('on the web host: a core killed mid-stream leaves the host up, closes its sockets with 1012, and a new core answers', async () => {
    host = await startWebHostProcess();
    const first = corePids(host.child.pid!);
    expect(first).toHaveLength(1);

    const peer = new SocketPeer(await openSocket(host.port, { token: host.token }));
    peer.send({ t: 'call', id: 1, op: 'logs.follow', input: { backlog: 10 } });
    await peer.waitFor((m) => m.id === 1 && m.t === 'chunk');
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      peer.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    process.kill(first[0]!, 'SIGKILL');
    expect(await closed).toEqual({ code: 1012, reason: 'The Tributary core stopped and is restarting.' });
    expect(host.child.exitCode).toBeNull();

    // A socket opened while the next core starts waits for it, then is answered by it.
    const again = new SocketPeer(await openSocket(host.port, { token: host.token }));
    again.send({ t: 'call', id: 1, op: 'app.info', input: {} });
    expect(await again.reply(1)).toMatchObject({ t: 'result', value: { name: 'Tributary', host: 'web' } });
    const second = corePids(host.child.pid!);
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first[0]);
    // The restart is in the app log, as the new core keeps it.
    again.send({ t: 'call', id: 2, op: 'logs.follow', input: { backlog: 200 } });
    await again.waitFor((m) => m.id === 2 && m.t === 'chunk' && /core process ended \(SIGKILL\)/.test(JSON.stringify(m)));
    again.socket.close();
  });

  it('on the web host: a core that cannot start (its workspace cannot be made) ends the host with the reason, not a restart loop', async () => {
    const dir = tempDir('tributary-nostart-');
    writeFileSync(join(dir, 'a-file'), '');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(projectRoot, 'electron/web/serve.ts'),
        '--data-dir',
        join(dir, 'data'),
        '--workspace',
        join(dir, 'a-file', 'ws'),
      ],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: '' } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/ENOTDIR/);
    expect(output).toMatch(/The core process could not start \(exit code 1\)/);
    expect(output).not.toMatch(/Tributary web host: http/);
  });

  it('on Electron: the utility-process launcher runs the core and the supervisor restarts it (a stand-in for utilityProcess)', async () => {
    // Electron's binary cannot run here: the stand-in forks Node with a preload that gives the child the
    // `process.parentPort` a utility process has, so the real core entry runs as it would under Electron.
    const dir = tempDir('tributary-utility-');
    const preload = join(dir, 'parent-port.cjs');
    writeFileSync(
      preload,
      `const listeners = [];
       process.on('message', (data) => listeners.forEach((l) => l({ data })));
       process.parentPort = { postMessage: (m) => process.send(m), on: (_e, l) => listeners.push(l) };`,
    );
    const standIn = (modulePath: string, args: string[], options: { env: NodeJS.ProcessEnv }): UtilityProcessLike => {
      const child = fork(modulePath, args, { env: options.env, execArgv: ['--require', preload], serialization: 'advanced' });
      return {
        postMessage: (message) => child.connected && child.send(message as object),
        on: (event: 'message' | 'error', listener: (value: unknown) => void) => child.on(event, listener),
        once: (_event, listener) => child.once('exit', (code) => listener(code ?? 1)),
        kill: () => child.kill('SIGKILL'),
      };
    };
    const picked = join(dir, 'picked.log');
    writeFileSync(picked, 'line\n');
    const supervisor = new CoreSupervisor({
      secrets: new MemorySecretStore(),
      // Electron's dialog cannot open here either: this answers as the operator picking a file would.
      fileDialog: () => Promise.resolve(picked),
      launch: utilityCoreLauncher(standIn, join(projectRoot, 'out', 'main'), {
        host: 'electron',
        version: '0.0.0-test',
        dataDir: join(dir, 'data'),
        workspaceDir: join(dir, 'workspace'),
        echoLog: false,
        sandboxDaemon: checkoutDaemonCommand(),
        secrets: { backend: 'memory', persistent: false },
        fileDialog: true,
        hostProblems: [],
      }),
    });
    try {
      await supervisor.start();
      const ask = async (op = 'app.info', input: unknown = {}) => {
        const answers: HostMessage[] = [];
        let lost = '';
        const connection = supervisor.connect(
          (message) => answers.push(message),
          (reason) => (lost = reason),
        );
        connection.receive({ t: 'call', id: 1, op, input });
        await until('an answer from the core', () => answers.length > 0 || lost !== '', 30_000);
        connection.close();
        return answers[0];
      };
      expect(await ask()).toMatchObject({ t: 'result', value: { host: 'electron', secretBackend: 'memory', files: { kind: 'dialog' } } });
      // The core asks the host for its dialog over the channel and gives the renderer a handle, not the path.
      const chosen = await ask('files.choose', { purpose: 'open-file', title: 'Replay a log' });
      expect(chosen).toMatchObject({ t: 'result', value: { ref: expect.stringMatching(/^chosen:/), name: 'picked.log' } });
      expect(JSON.stringify(chosen)).not.toContain(dir);
      supervisor.current!.kill();
      await until('the restarted core to answer', async () => (await ask())?.t === 'result', 60_000);
    } finally {
      await supervisor.dispose();
    }
  });
});
