import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { sandboxPaths } from '../../../sandbox/client/paths.js';
import { readRunFile, type RunFile } from '../../../sandbox/client/run-file.js';
import { jarFile, sparkJars } from '../../../sandbox/setup/maven-jars.js';

/**
 * Item 4 of the security model, for every port: another local user or process reaches each listening socket of
 * the sandbox, so each must be on loopback and ask for something only the run's clients hold.
 */
const { dataDir } = inject('sandbox');
// Read when this file runs, not at setup: sandbox.test.ts restarts the sandbox on new ports, with new keys.
const run: RunFile = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;

/** What each published service asks of a client; a service missing here has not said how it is locked. */
const AUTHENTICATION: Record<string, string> = {
  aws: "moto: the run's upstream token",
  gateway: "SigV4 with the run's access key pair",
  postgres: "SCRAM with the admin's or a cluster user's password",
  redshift: "PostgreSQL's own login, passed through",
  metastore: "Derby's BUILTIN login with the run's password",
  'emr-ssh': "the master's client key",
  'spark-thrift': "the run's password",
};

interface Listener {
  address: string;
  port: number;
  pid: number;
}

/** A process and its descendants; one that ends while it is read (a step's short-lived child) is left out. */
function processTree(pid: number): number[] {
  let children: number[];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
  return [pid, ...children.flatMap(processTree)];
}

/** The socket inodes a process holds, by the links of its file descriptors. */
function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return []; // the process ended since the tree was read
  }
  return fds.flatMap((fd) => {
    try {
      return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.slice(1) ?? [];
    } catch {
      // Closed between the listing and the read.
      return [];
    }
  });
}

/** /proc/net/tcp{,6} hold addresses as 32-bit words in host (little-endian) order. */
function decodeAddress(hex: string): string {
  const bytes = hex.match(/.{8}/g)!.flatMap((word) =>
    word
      .match(/../g)!
      .reverse()
      .map((byte) => parseInt(byte, 16)),
  );
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  return Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':');
}

function isLoopback(address: string): boolean {
  return /^(::ffff:)?127\./.test(address) || address === '0:0:0:0:0:0:0:1';
}

/** Every listening TCP socket held by the daemon or a process it started. */
function sandboxListeners(): Listener[] {
  const owners = new Map(processTree(run.pid).flatMap((pid) => socketInodes(pid).map((inode) => [inode, pid] as const)));
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
    readFileSync(table, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === '0A' && owners.has(fields[9]!))
      .map((fields) => {
        const [address, port] = fields[1]!.split(':');
        return { address: decodeAddress(address!), port: parseInt(port!, 16), pid: owners.get(fields[9]!)! };
      }),
  );
}

/**
 * Sends one RPC request in Spark's transport framing (frame length, type 3, request id, body length, body) without
 * the authentication handshake, and returns the text of the RpcFailure (type 5) that comes back, or '' if none does.
 */
function sparkRpcFailure(port: number): Promise<string> {
  const body = Buffer.from('not a handshake');
  const frame = Buffer.alloc(8 + 1 + 8 + 4 + body.length);
  frame.writeBigInt64BE(BigInt(frame.length), 0);
  frame.writeInt8(3, 8);
  frame.writeBigInt64BE(1n, 9);
  frame.writeInt32BE(body.length, 17);
  body.copy(frame, 21);
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const socket = connect(port, '127.0.0.1', () => socket.write(frame));
    // Bounds a port that answers nothing, which then fails the expectation rather than the whole run.
    socket.setTimeout(30_000, () => socket.destroy());
    socket.on('error', () => resolve(''));
    socket.on('close', () => resolve(''));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 8 || received.length < Number(received.readBigInt64BE(0))) return;
      socket.destroy();
      resolve(received[8] === 5 ? received.subarray(21, 21 + received.readInt32BE(17)).toString('utf8') : '');
    });
  });
}

/** Runs SQL on the metastore's Derby as another local user could: Derby's network client, through Spark's Beeline. */
async function derbyAs(user: string, password: string, sql: string): Promise<string> {
  const paths = sandboxPaths(dataDir);
  const lib = join(paths.venv, 'lib');
  const python = readdirSync(lib).find((entry) => entry.startsWith('python'))!;
  const classpath = [
    join(lib, python, 'site-packages', 'pyspark', 'jars', '*'),
    jarFile(
      paths.jars,
      sparkJars.find((jar) => jar.artifact === 'derbyclient')!,
    ),
  ].join(':');
  const port = run.services.find((service) => service.id === 'metastore')!.port;
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const { stdout, stderr } = await promisify(execFile)(
    java,
    [
      '-cp',
      classpath,
      'org.apache.hive.beeline.BeeLine',
      '-u',
      `jdbc:derby://127.0.0.1:${port}/metastore_db`,
      '-d',
      'org.apache.derby.jdbc.ClientDriver',
      '-n',
      user,
      '-p',
      password,
      '-e',
      sql,
    ],
    { timeout: 120_000 },
  ).catch((error: { stdout: string; stderr: string }) => error);
  return stdout + stderr;
}

describe("the sandbox's listening sockets", () => {
  it('are all on loopback and each asks for something only the run holds', async () => {
    const listeners = sandboxListeners();
    // The listing found the daemon's tree: every published service is in it.
    expect(listeners.map((l) => l.port)).toEqual(expect.arrayContaining(run.services.map((s) => s.port)));
    for (const listener of listeners) expect(listener.address, `port ${listener.port}`).toSatisfy(isLoopback);

    const published = new Map(run.services.map((service) => [service.port, service.id]));
    for (const service of run.services) expect(AUTHENTICATION, service.id).toHaveProperty([service.id]);
    const unpublished = listeners.filter((listener) => !published.has(listener.port));
    // The Thrift Server's Spark driver: its RPC and block-transfer ports.
    expect(unpublished.length).toBeGreaterThan(0);
    for (const listener of unpublished) {
      expect(readFileSync(`/proc/${listener.pid}/cmdline`, 'utf8'), `port ${listener.port}`).toContain(
        'org.apache.spark.deploy.SparkSubmit',
      );
      expect(await sparkRpcFailure(listener.port), `port ${listener.port}`).toContain('Expected SaslMessage');
    }
  });

  it("refuses the metastore's Derby to a client without the run's password", async () => {
    // What another user would run: a Java method declared as a function, called as the operator.
    const declare = `CREATE FUNCTION whoami(k VARCHAR(64)) RETURNS VARCHAR(256) LANGUAGE JAVA PARAMETER STYLE JAVA NO SQL
      EXTERNAL NAME 'java.lang.System.getProperty'; VALUES UPPER('reached ') || whoami('user.name');`;
    // (Derby's client itself refuses an empty password, so none is sent.)
    for (const [user, password] of [
      ['APP', 'not-the-password'],
      ['intruder', 'anything'],
    ] as const) {
      const output = await derbyAs(user, password, declare);
      expect(output, `${user}/${password}`).toMatch(/Connection authentication failure occurred/);
      expect(output).not.toContain('REACHED');
    }
  });
});
