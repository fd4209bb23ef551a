import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portOpen } from '../shared/node/ports.js';
import { stopPid } from '../shared/node/process.js';
import { addKnownHost } from '../electron/core/ssh/known-hosts.js';
import { Tunnel } from '../electron/core/ssh/tunnel.js';
import { connectLocal, makeUserKey, median, roundTrip, startSplitEchoServer, startSshd } from '../tests/helpers/sshd.js';

interface Ports {
  sink: number;
  echo: number;
}

const CHUNK = Buffer.alloc(1024 * 1024, 0x5a);

/**
 * Bulk bytes and small round trips through three paths to the same local
 * servers: direct TCP, OpenSSH `ssh -N -L`, and the Tributary tunnel (also
 * without its low-latency step, to show what that step is worth).
 * Options: `--mib N` bulk size (default 256), `--trips N` round trips (default 200).
 */
export async function runTunnelBench(args: string[]) {
  const mib = numberArg(args, '--mib', 256);
  const trips = numberArg(args, '--trips', 200);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  const key = makeUserKey(dir, 'id_ed25519');
  const sshd = await startSshd({ name: 'bench-sshd', authorizedKeys: [key.publicKey] });
  const knownHosts = join(dir, 'known_hosts');
  await addKnownHost(knownHosts, '127.0.0.1', sshd.port, Buffer.from(sshd.hostPublicKey.split(' ')[1]!, 'base64'));
  const sink = await startSink();
  const echo = await startSplitEchoServer();
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const measure = async (label: string, ports: Ports) => {
      await bulk(ports.sink, 16); // warm-up
      const mibPerSec = await bulk(ports.sink, mib);
      const rtt = await rtts(ports.echo, trips);
      console.log(
        `${label.padEnd(28)} ${mibPerSec.toFixed(0).padStart(6)} MiB/s   rtt median ${rtt.median.toFixed(3)} ms, mean ${rtt.mean.toFixed(3)} ms`,
      );
      return { mibPerSec, rtt: rtt.median, rttMean: rtt.mean };
    };
    const direct = await measure('direct TCP', { sink: sink.port, echo: echo.port });

    const openssh = await opensshForward(sshd.port, key.path, knownHosts, { sink: sink.port, echo: echo.port });
    cleanups.push(openssh.stop);
    const viaOpenssh = await measure('OpenSSH ssh -N -L', openssh.ports);

    const tunnels = async (lowLatency: boolean): Promise<Ports> => {
      const open = (remotePort: number) =>
        Tunnel.open({
          ssh: {
            target: { host: '127.0.0.1', port: sshd.port, user: 'root', identityFiles: [key.path], identitiesOnly: true },
            knownHostsFile: knownHosts,
            onUnknownHostKey: async () => false,
            lowLatency,
          },
          remoteHost: '127.0.0.1',
          remotePort,
        });
      const [toSink, toEcho] = await Promise.all([open(sink.port), open(echo.port)]);
      cleanups.push(
        () => toSink.close(),
        () => toEcho.close(),
      );
      return { sink: toSink.localPort, echo: toEcho.localPort };
    };
    const viaTributary = await measure('Tributary tunnel', await tunnels(true));
    const unfixed = await measure('Tributary, lowLatency off', await tunnels(false));

    return {
      bench: 'tunnel',
      bulk_mib: mib,
      round_trips: trips,
      bulk_mib_s: { direct: round(direct.mibPerSec), openssh: round(viaOpenssh.mibPerSec), tributary: round(viaTributary.mibPerSec) },
      ratio_bulk_vs_openssh: round(viaTributary.mibPerSec / viaOpenssh.mibPerSec, 3),
      rtt_ms: {
        direct: round(direct.rtt, 3),
        openssh: round(viaOpenssh.rtt, 3),
        tributary: round(viaTributary.rtt, 3),
        tributary_low_latency_off: round(unfixed.rtt, 3),
      },
      // Nagle stalls hit some trips, not all, depending on load: the mean shows them when the median does not.
      rtt_mean_ms: {
        direct: round(direct.rttMean, 3),
        openssh: round(viaOpenssh.rttMean, 3),
        tributary: round(viaTributary.rttMean, 3),
        tributary_low_latency_off: round(unfixed.rttMean, 3),
      },
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await Promise.all([echo.close(), closeServer(sink), sshd.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts what arrives and answers one byte when the sender has finished, so the time includes delivery. */
async function startSink(): Promise<Server & { port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.resume();
    socket.once('end', () => socket.end('.'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return Object.assign(server, { port: typeof address === 'object' && address ? address.port : 0 });
}

async function bulk(port: number, mib: number): Promise<number> {
  const socket = await connectLocal(port);
  const started = performance.now();
  const acknowledged = new Promise<void>((resolve, reject) => {
    socket.once('data', () => resolve());
    socket.once('error', reject);
  });
  for (let i = 0; i < mib; i++) {
    if (!socket.write(CHUNK)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.end();
  await acknowledged;
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  return mib / seconds;
}

async function rtts(port: number, trips: number): Promise<{ median: number; mean: number }> {
  const socket = await connectLocal(port);
  const times: number[] = [];
  for (let i = 0; i < trips; i++) times.push(await roundTrip(socket, Buffer.from(`ping ${i}`)));
  socket.destroy();
  return { median: median(times), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

async function opensshForward(
  sshPort: number,
  keyFile: string,
  knownHosts: string,
  remote: Ports,
): Promise<{ ports: Ports; stop: () => Promise<void> }> {
  const ports = { sink: await freePort(), echo: await freePort() };
  const child = spawn(
    '/usr/bin/ssh',
    [
      '-N',
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'ExitOnForwardFailure=yes',
      '-i',
      keyFile,
      '-p',
      String(sshPort),
      '-L',
      `127.0.0.1:${ports.sink}:127.0.0.1:${remote.sink}`,
      '-L',
      `127.0.0.1:${ports.echo}:127.0.0.1:${remote.echo}`,
      'root@127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(ports.echo, 200)) || !(await portOpen(ports.sink, 200))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('ssh -N -L did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { ports, stop: () => stopPid(child.pid, 2000) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function numberArg(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

function round(value: number, digits = 1): number {
  return Number(value.toFixed(digits));
}
