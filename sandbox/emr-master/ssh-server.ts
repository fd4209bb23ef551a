import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import ssh2, { type Connection, type ServerChannel } from 'ssh2';
import type { Logger } from '../../shared/node/log.js';

export interface SshServerOptions {
  hostKey: string;
  /** The one key allowed to log in, as an OpenSSH public key line. */
  authorizedKey: string;
  user: string;
  port: number;
  /** Environment of every command: the master's PATH, SPARK_CONF_DIR, HOME. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  log: Logger;
}

export interface SshServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The sandbox master's SSH endpoint: key-only login as `hadoop`, exec and
 * port forwarding to the master's own services, as EMR's sshd offers. An
 * embedded server, because OpenSSH's sshd can let a non-root operator log in
 * only as themselves, and on the master the user is `hadoop`.
 */
export async function startSshServer(options: SshServerOptions): Promise<SshServer> {
  const allowed = ssh2.utils.parseKey(options.authorizedKey);
  if (allowed instanceof Error) throw allowed;
  const allowedPublic = allowed.getPublicSSH();

  const server = new ssh2.Server({ hostKeys: [options.hostKey] }, (client: Connection) => {
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== options.user) return ctx.reject(['publickey']);
      const offered = ctx.key.data;
      if (ctx.key.algo !== allowed.type || offered.length !== allowedPublic.length || !timingSafeEqual(offered, allowedPublic))
        return ctx.reject(['publickey']);
      if (ctx.signature && ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        let env: Record<string, string> = {};
        let pty: { cols: number; rows: number; term: string } | undefined;
        session.on('env', (acceptEnv, _reject, info) => {
          env = { ...env, [info.key]: info.val };
          acceptEnv?.();
        });
        session.on('pty', (acceptPty, _reject, info) => {
          pty = { cols: info.cols || 80, rows: info.rows || 24, term: info.term || 'xterm-256color' };
          acceptPty?.();
        });
        // Not a login shell: /etc/profile would reset PATH, and EMR's non-interactive ssh does not read it either.
        session.on('exec', (acceptExec, _reject, info) => runCommand(acceptExec(), withPty(`${info.command}`, pty), env, pty));
        session.on('shell', (acceptShell) => runCommand(acceptShell(), withPty('exec /bin/bash --noprofile --norc -i', pty), env, pty));
      });
      client.on('tcpip', (accept, reject, info) => {
        // Forwarding reaches the master's own services only, as EMR's security groups leave them.
        if (!['127.0.0.1', 'localhost', '::1'].includes(info.destIP)) return reject();
        const upstream = connect({ host: '127.0.0.1', port: info.destPort });
        upstream.once('connect', () => {
          const channel = accept();
          upstream.setNoDelay(true);
          channel.pipe(upstream).pipe(channel);
          channel.on('close', () => upstream.destroy());
          upstream.on('close', () => channel.close());
        });
        upstream.once('error', () => reject());
      });
    });
    client.on('error', (error) => options.log.debug('emr-master', `SSH client error: ${error.message}`));
  });

  /**
   * A session that asked for a terminal gets one: util-linux `script` gives the
   * command a pseudo-terminal of the requested size, as sshd would.
   */
  function withPty(command: string, pty: { cols: number; rows: number } | undefined): { file: string; args: string[] } {
    if (!pty) return { file: '/bin/bash', args: ['-c', command] };
    // script runs the command with $SHELL -c, set to sh: a non-interactive bash would drop PS1 on the way.
    return {
      file: 'script',
      args: ['--quiet', '--flush', '--return', '--command', `stty cols ${pty.cols} rows ${pty.rows} 2>/dev/null; ${command}`, '/dev/null'],
    };
  }

  function runCommand(
    channel: ServerChannel,
    run: { file: string; args: string[] },
    extraEnv: Record<string, string>,
    pty: { term: string } | undefined,
  ): void {
    const env = { ...options.env, ...extraEnv, ...(pty ? { TERM: pty.term, SHELL: '/bin/sh' } : {}) };
    // Its own process group, so a closed channel ends everything the command started (spark-submit's JVM
    // and its Python driver), as a hangup ends a login's process group, not only the shell.
    const child = spawn(run.file, run.args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // The group is gone already.
      }
    };
    channel.pipe(child.stdin);
    child.stdout.pipe(channel, { end: false });
    child.stderr.pipe(channel.stderr, { end: false });
    channel.on('signal', (info: { name: string }) => child.kill(`SIG${info.name}` as NodeJS.Signals));
    channel.on('close', () => child.exitCode === null && group('SIGTERM'));
    child.on('close', (code, signal) => {
      if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
      else channel.exit(code ?? 0);
      channel.end();
    });
  }

  // Small packets go out at once (no Nagle): forwarded request/response protocols would otherwise
  // wait ~40 ms for a delayed ACK on every round trip, as through an sshd that runs no command.
  const sockets = new Set<Socket>();
  const listener = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    server.injectSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (listener.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        // Stopping the master ends its sessions, as a machine shutting down would.
        for (const socket of sockets) socket.destroy();
        listener.close(() => resolve());
      }),
  };
}
