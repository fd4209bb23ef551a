import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import hive from 'hive-driver';
import ssh2 from 'ssh2';
import type { RunFile } from '../../sandbox/client/run-file.js';

/** An SSH session to the sandbox master, verifying its host key against the known_hosts line it publishes. */
export function connectMaster(run: RunFile, privateKey: Buffer | string = readFileSync(run.master.keyFile)): Promise<ssh2.Client> {
  const expected = run.master.knownHostsLine.split(' ').slice(1, 3).join(' ');
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({
      host: run.master.host,
      port: run.master.sshPort,
      username: run.master.user,
      privateKey,
      hostVerifier: (key: Buffer) => {
        const parsed = ssh2.utils.parseKey(key);
        return !(parsed instanceof Error) && `${parsed.type} ${parsed.getPublicSSH().toString('base64')}` === expected;
      },
    });
  });
}

export function exec(client: ssh2.Client, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let stdout = '';
      let stderr = '';
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      channel.on('exit', (code: number) => channel.on('close', () => resolve({ code, stdout, stderr })));
    });
  });
}

/** `ssh -L`: a local port forwarded through the master to one of its own ports. */
export async function forward(client: ssh2.Client, targetPort: number): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => {
    client.forwardOut('127.0.0.1', 0, '127.0.0.1', targetPort, (error, channel) => {
      if (error) return socket.destroy();
      socket.pipe(channel).pipe(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

/** A HiveServer2 session (the Spark Thrift Server's protocol), as a SQL client opens one; the sandbox's takes its run's password. */
export async function hiveSession(port: number, password: string) {
  const { TCLIService, TCLIService_types: T } = hive.thrift;
  const client = new hive.HiveClient(TCLIService, T);
  // Failures reach the caller as rejected queries; a reset after close (the tunnel going away) is expected.
  client.on('error', () => undefined);
  await client.connect(
    { host: '127.0.0.1', port },
    new hive.connections.TcpConnection(),
    new hive.auth.PlainTcpAuthentication({ username: 'hadoop', password }),
  );
  const session = await client.openSession({ client_protocol: T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10 });
  const utils = new hive.HiveUtils(T);
  return {
    async query(sql: string): Promise<Record<string, unknown>[]> {
      const operation = await session.executeStatement(sql, { runAsync: true });
      await utils.waitUntilReady(operation, false, () => undefined);
      await utils.fetchAll(operation);
      const rows = utils.getResult(operation).getValue() as Record<string, unknown>[];
      await operation.close();
      return rows;
    },
    async close() {
      await session.close();
      await client.close();
    },
  };
}
