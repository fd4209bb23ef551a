import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateClusterCommand, DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { sandboxClientConfig } from '../../sandbox/client/constants.js';
import { readRunFile, type RunFile } from '../../sandbox/client/run-file.js';
import { testCore, tempDir, workspaceOf } from '../helpers/core.js';
import { makeUserKey, startSshd } from '../helpers/sshd.js';
import { hiveSession } from './clients.js';
import { startSandboxCluster } from '../helpers/sandbox-cluster.js';
import { until } from '../helpers/until.js';

const { dataDir } = inject('sandbox');
const signal = new AbortController().signal;
const PASSPHRASE = 'correct horse battery staple';
let run: RunFile;
let core: Core;
let clusterId: string;

beforeAll(async () => {
  // The app's own core on the sandbox's data directory: the sandbox environment is active and running.
  run = readRunFile(join(dataDir, 'sandbox', 'run.json'))!;
  core = await testCore(dataDir);
  clusterId = await startSandboxCluster(run, 'sessions-test');
});

afterAll(async () => {
  await core?.dispose();
});

describe('EMR master sessions through the app’s core', () => {
  it('asks about an unknown host key first, then opens the session once the fingerprint is trusted', async () => {
    const first = await core.handlers['sessions.openMaster']({ clusterId }, { signal });
    expect(first.kind).toBe('unknown-host-key');
    if (first.kind !== 'unknown-host-key') return;
    const published = execFileSync('ssh-keygen', ['-lf', '-'], { input: `${run.master.knownHostsLine}\n`, encoding: 'utf8' }).split(' ')[1];
    expect(first.question.fingerprint).toBe(published);
    const second = await core.handlers['sessions.openMaster']({ clusterId, trustFingerprint: first.question.fingerprint }, { signal });
    expect(second).toMatchObject({
      kind: 'session',
      session: { clusterName: 'sessions-test', host: '127.0.0.1', user: 'hadoop', state: 'up' },
    });
  });

  it('asks for the passphrase of an encrypted key, says when it is wrong, and never writes it down', async () => {
    // A key the operator names is one in the workspace (tests/security/file-access.test.ts refuses the rest).
    const encrypted = join(workspaceOf(core), 'sandbox-encrypted.pem');
    copyFileSync(run.master.keyFile, encrypted);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', PASSPHRASE, '-f', encrypted]);
    expect(await core.handlers['sessions.openMaster']({ clusterId, keyFile: encrypted }, { signal })).toEqual({
      kind: 'needs-passphrase',
      keyFile: encrypted,
      wrong: false,
    });
    expect(
      await core.handlers['sessions.openMaster']({ clusterId, keyFile: encrypted, keyPassphrase: 'not it at all' }, { signal }),
    ).toMatchObject({ kind: 'needs-passphrase', wrong: true });
    const opened = await core.handlers['sessions.openMaster']({ clusterId, keyFile: encrypted, keyPassphrase: PASSPHRASE }, { signal });
    expect(opened.kind).toBe('session');
    if (opened.kind !== 'session') return;
    // The tunnel logs in again with the same key and the passphrase kept for the session.
    const tunnel = await core.handlers['sessions.forward']({ sessionId: opened.session.id, service: 'spark-thrift' }, { signal });
    const spark = await hiveSession(tunnel.localPort, run.master.thriftPassword);
    expect(await spark.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await spark.close();
    await core.handlers['sessions.close']({ id: opened.session.id }, { signal });
    await core.log.flush();
    const logs = readdirSync(join(dataDir, 'logs'))
      .map((f) => readFileSync(join(dataDir, 'logs', f), 'utf8'))
      .join('');
    expect(logs).not.toContain(PASSPHRASE);
  });

  it('reaches the master through a bastion (an OpenSSH sshd) named in the SSH config', async () => {
    const dir = tempDir('tributary-bastion-');
    const key = makeUserKey(dir, 'bastion-key');
    const bastion = await startSshd({ authorizedKeys: [key.publicKey], name: 'bastion' });
    const config = join(dir, 'ssh_config');
    writeFileSync(
      config,
      `Host corp-bastion\n  HostName 127.0.0.1\n  Port ${bastion.port}\n  User root\n  IdentityFile ${key.path}\n  IdentitiesOnly yes\n`,
    );
    process.env.TRIBUTARY_SSH_CONFIG = config;
    try {
      // The plain key again (the test before left the encrypted copy remembered for this key pair).
      copyFileSync(run.master.keyFile, join(workspaceOf(core), 'sandbox.pem'));
      const first = await core.handlers['sessions.openMaster']({ clusterId, bastion: 'corp-bastion', keyFile: 'sandbox.pem' }, { signal });
      expect(first).toMatchObject({ kind: 'unknown-host-key', question: { host: '127.0.0.1', port: bastion.port } });
      if (first.kind !== 'unknown-host-key') return;
      const opened = await core.handlers['sessions.openMaster'](
        { clusterId, bastion: 'corp-bastion', trustFingerprint: first.question.fingerprint },
        { signal },
      );
      expect(opened).toMatchObject({ kind: 'session', session: { via: 'corp-bastion', user: 'hadoop' } });
      if (opened.kind !== 'session') return;
      expect(readFileSync(bastion.logFile, 'utf8')).toMatch(/Accepted publickey for root/);
      await core.handlers['sessions.close']({ id: opened.session.id }, { signal });
    } finally {
      delete process.env.TRIBUTARY_SSH_CONFIG;
      await bastion.stop();
    }
  });

  it('reaches a private Redshift cluster through the master', async () => {
    const redshift = new RedshiftClient(sandboxClientConfig(run));
    await redshift.send(
      new CreateClusterCommand({
        ClusterIdentifier: 'private-dw',
        NodeType: 'ra3.xlplus',
        ClusterType: 'single-node',
        MasterUsername: 'dwadmin',
        MasterUserPassword: 'Private-Passw0rd',
        DBName: 'dw',
        PubliclyAccessible: false,
      }),
    );
    await until(
      'available Redshift cluster',
      async () =>
        (await redshift.send(new DescribeClustersCommand({ ClusterIdentifier: 'private-dw' }))).Clusters?.[0]?.ClusterStatus === 'available'
          ? true
          : undefined,
      60_000,
    );
    redshift.destroy();
    const [session] = await core.handlers['sessions.list']({}, { signal });
    const tunnel = await core.handlers['sessions.forwardRedshift']({ sessionId: session!.id, clusterIdentifier: 'private-dw' }, { signal });
    expect(tunnel).toMatchObject({ service: 'redshift', name: 'Redshift private-dw', remotePort: run.redshift.port });
    const db = new pg.Client({ host: '127.0.0.1', port: tunnel.localPort, user: 'dwadmin', password: 'Private-Passw0rd', database: 'dw' });
    await db.connect();
    try {
      expect((await db.query('SELECT current_database() AS db, 40 + 2 AS answer')).rows).toEqual([{ db: 'dw', answer: 42 }]);
    } finally {
      await db.end();
    }
    await core.handlers['sessions.closeForward']({ sessionId: session!.id, tunnelId: tunnel.id }, { signal });
  });

  it('closes a tunnel nothing uses after the configured idle time, and says so in the status', async () => {
    const [session] = await core.handlers['sessions.list']({}, { signal });
    const tunnel = await core.handlers['sessions.forward']({ sessionId: session!.id, service: 'hiveserver2' }, { signal });
    expect((await core.handlers['sessions.list']({}, { signal }))[0]!.tunnels.map((t) => t.id)).toContain(tunnel.id);
    await core.handlers['settings.update']({ patch: { tunnelIdleMinutes: 0.05 } }, { signal });
    await until(
      'the idle tunnel to close',
      async () => ((await core.handlers['sessions.list']({}, { signal }))[0]!.tunnels.length === 0 ? true : undefined),
      20_000,
    );
    await core.handlers['settings.update']({ patch: { tunnelIdleMinutes: 15 } }, { signal });
  });
});
