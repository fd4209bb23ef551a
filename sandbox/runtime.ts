import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pg from 'pg';
import type { SandboxProgress } from '../shared/contract/index.js';
import { sandboxClientConfig, type SandboxAccess } from './client/constants.js';
import type { Logger } from '../shared/node/log.js';
import { bootstrapAccount } from './bootstrap.js';
import { emrInterceptor } from './emr/emr-interceptor.js';
import { masterKeys } from './emr-master/keys.js';
import { METASTORE_USER, metastoreJdbcUrl, startMetastoreDb } from './emr-master/metastore.js';
import { prepareSparkMaster, startThriftServer } from './emr-master/spark.js';
import { startSshServer } from './emr-master/ssh-server.js';
import { faultTokenPath } from './client/faults.js';
import { Faults } from './gateway/faults.js';
import { startGateway } from './gateway/server.js';
import type { SandboxPaths } from './client/paths.js';
import { freePort } from '../shared/node/ports.js';
import { startPostgres } from './postgres.js';
import { createDataApi } from './redshift/data-api.js';
import { startRedshiftProxy, type RunningProxy } from './redshift/proxy.js';
import { newAccessKeys, newPassword } from './credentials.js';
import { kinesisInterceptor } from './kinesis-interceptor.js';
import { firehoseInterceptor } from './firehose-interceptor.js';
import { DeliveryWorker } from './firehose/delivery-worker.js';
import { MetricPublisher } from './metric-publisher.js';
import { redshiftInterceptor } from './redshift-interceptor.js';
import { createServerlessApi, databaseUserOf } from './redshift-serverless/api.js';
import { ServerlessRegistry } from './redshift-serverless/registry.js';
import type { RunFile } from './client/run-file.js';
import { motoTokenPath, startMoto, withMotoToken } from './services/moto.js';
import { jarFile, sparkJars, mavenJarsStep } from './setup/maven-jars.js';
import { checkPrerequisites } from './setup/prerequisites.js';
import { pythonEnvStep, pythonRequirements } from './setup/python-env.js';
import type { SetupStep } from './setup/step.js';

const ADMIN_USER = 'tributary_admin';
const derbyNet = sparkJars.find((jar) => jar.artifact === 'derbynet')!;

export interface Pacing {
  emrStartingMs: number;
  emrBootstrappingMs: number;
  emrTerminatingMs: number;
  redshiftCreatingMs: number;
  kinesisCreatingMs: number;
  serverless: { creatingMs: number; modifyingMs: number; deletingMs: number };
}

/** Realistic by default; tests shorten them through TRIBUTARY_SANDBOX_PACE (a factor). */
export function pacing(): Pacing {
  const factor = Number(process.env.TRIBUTARY_SANDBOX_PACE ?? '1') || 1;
  return {
    emrStartingMs: 8000 * factor,
    emrBootstrappingMs: 7000 * factor,
    emrTerminatingMs: 5000 * factor,
    redshiftCreatingMs: 12000 * factor,
    kinesisCreatingMs: 6000 * factor,
    serverless: { creatingMs: 10000 * factor, modifyingMs: 4000 * factor, deletingMs: 5000 * factor },
  };
}

type Emit = (progress: SandboxProgress) => void;

/** Every service of the sandbox, started in dependency order inside one supervising process. */
export async function runSandbox(
  paths: SandboxPaths,
  log: Logger,
  emit: Emit,
  signal: AbortSignal,
): Promise<{ run: RunFile; stop: () => Promise<void> }> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse())
      await stop().catch((error: unknown) => log.warn('sandbox', 'A service did not stop cleanly', error));
  };
  const services: RunFile['services'] = [];
  const service = async <T>(
    id: string,
    name: string,
    start: () => Promise<T & { port: number; version: string }>,
  ): Promise<T & { port: number; version: string }> => {
    emit({ kind: 'service', id, name, state: 'starting' });
    try {
      const started = await start();
      services.push({ id, name, port: started.port, version: started.version });
      emit({ kind: 'service', id, name, state: 'running', port: started.port });
      return started;
    } catch (error) {
      emit({ kind: 'service', id, name, state: 'failed' });
      throw error;
    }
  };

  try {
    for (const dir of [paths.state, paths.logs]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const checking = { kind: 'step', id: 'prerequisites', label: 'Java 17+, Python 3.9+, free disk space' } as const;
    emit({ ...checking, state: 'running' });
    const toolchain = await checkPrerequisites([paths.cache, paths.root], 3 * 2 ** 30).catch((error: unknown) => {
      emit({ ...checking, state: 'failed', message: (error as Error).message });
      throw error;
    });
    emit({ ...checking, state: 'done' });
    const steps: SetupStep[] = [pythonEnvStep(paths.venv, toolchain.python, paths.pipCache), mavenJarsStep(paths.jars, sparkJars)];
    for (const step of steps) {
      if (await step.done()) {
        emit({ kind: 'step', id: step.id, label: step.label, state: 'skipped' });
        continue;
      }
      emit({ kind: 'step', id: step.id, label: step.label, state: 'running' });
      try {
        await step.run((p) => emit({ kind: 'step', id: step.id, label: step.label, state: 'running', ...p }), signal);
      } catch (error) {
        emit({ kind: 'step', id: step.id, label: step.label, state: 'failed', message: (error as Error).message });
        throw error;
      }
      emit({ kind: 'step', id: step.id, label: step.label, state: 'done' });
    }

    const motoPort = await freePort();
    // Kept with the state (0600), as the fault token is, so tests that start a gateway of their own reach the emulator.
    const motoToken = secretFile(motoTokenPath(paths.state));
    log.addSecret(motoToken);
    const moto = await service('aws', 'AWS APIs (moto: STS, IAM, EC2, KMS, Kinesis, Firehose, CloudWatch, S3, EMR, Redshift)', async () => {
      const running = await startMoto(
        { venv: paths.venv, port: motoPort, token: motoToken, stateDir: paths.state, logDir: paths.logs, detached: false },
        signal,
      );
      stops.push(running.stop);
      return { port: motoPort, version: pythonRequirements[0]!.replace('[server]==', ' ') };
    });

    // As root, PostgreSQL's data lives outside the data directory (client/paths.ts). A data directory deleted by hand and
    // made again at the same path would find that old cluster, whose admin password went with the deleted state.
    if (!existsSync(paths.adminPassword) && !paths.postgres.startsWith(paths.root) && existsSync(paths.postgres)) {
      log.warn('sandbox', `Removing PostgreSQL data left by a deleted data directory at this path: ${paths.postgres}`);
      rmSync(paths.postgres, { recursive: true, force: true });
    }
    const adminPassword = secretFile(paths.adminPassword);
    const credentials = newAccessKeys();
    const thriftPassword = newPassword();
    const metastorePassword = newPassword();
    for (const secret of [adminPassword, credentials.secretAccessKey, thriftPassword, metastorePassword]) log.addSecret(secret);
    const postgres = await service('postgres', 'PostgreSQL (behind Redshift)', async () => {
      mkdirSync(dirname(paths.postgres), { recursive: true, mode: 0o755 });
      const running = await startPostgres({
        dataDir: paths.postgres,
        port: 0,
        user: ADMIN_USER,
        password: adminPassword,
        log,
        database: 'dev',
      });
      stops.push(running.stop);
      return { ...running, version: 'PostgreSQL 18' };
    });

    const s3 = withMotoToken(new S3Client(sandboxClientConfig({ endpoint: `http://127.0.0.1:${moto.port}`, credentials })), motoToken);
    stops.push(() => Promise.resolve(s3.destroy()));
    let proxy: RunningProxy | undefined;
    const redshift = await service('redshift', 'Redshift stand-in (SQL, COPY, UNLOAD)', async () => {
      const running = (proxy = await startRedshiftProxy({
        upstreamPort: postgres.port,
        admin: { user: ADMIN_USER, password: adminPassword },
        s3,
        log,
      }));
      stops.push(running.close);
      return { port: running.port, version: 'Redshift dialect on PostgreSQL 18' };
    });

    const pace = pacing();
    const serverless = new ServerlessRegistry(join(paths.state, 'redshift-serverless.json'), pace.serverless, log);
    const dataApi = createDataApi({
      proxyPort: redshift.port,
      user: ADMIN_USER,
      password: adminPassword,
      database: 'dev',
      log,
      workgroupStatus: (region, name) => {
        const workgroup = serverless.workgroup(region, name);
        return workgroup && serverless.workgroupStatus(workgroup);
      },
      databaseUserOf,
    });
    stops.push(() => dataApi.close());
    const keys = masterKeys(join(paths.state, 'ssh'));
    // Not EMR's 10001: a second sandbox (another user's, another checkout's tests) would race this one for it.
    const thriftPort = await freePort();
    const gatewayPort = await freePort();
    const metastorePort = await freePort();
    const sparkOptions = {
      venv: paths.venv,
      jarsDir: paths.jars,
      dir: join(paths.state, 'emr-master'),
      logDir: paths.logs,
      awsEndpoint: `http://127.0.0.1:${gatewayPort}`,
      credentials,
      metastore: { url: metastoreJdbcUrl(metastorePort), user: METASTORE_USER, password: metastorePassword },
      thriftPort,
    };
    const spark = prepareSparkMaster(sparkOptions);
    await service('metastore', 'Hive metastore database (Derby)', async () => {
      const running = await startMetastoreDb(
        {
          java: toolchain.java,
          sparkJars: join(spark.sparkHome, 'jars'),
          derbyNetJar: jarFile(paths.jars, derbyNet),
          dir: join(paths.state, 'emr-master'),
          port: metastorePort,
          password: metastorePassword,
          logDir: paths.logs,
          detached: false,
        },
        signal,
      );
      stops.push(running.stop);
      return { port: metastorePort, version: 'Derby 10.14.2.0' };
    });
    // Published after the delivery worker has stopped (stops run newest first), so its last metrics reach CloudWatch.
    const metrics = new MetricPublisher({ endpoint: `http://127.0.0.1:${moto.port}`, token: motoToken, log });
    stops.push(() => metrics.close());
    let callerArn: Promise<string> | undefined;
    const gateway = await service('gateway', 'AWS endpoint (one URL for every service)', async () => {
      const deliveries = new DeliveryWorker({
        motoEndpoint: `http://127.0.0.1:${moto.port}`,
        motoToken,
        gatewayEndpoint: `http://127.0.0.1:${gatewayPort}`,
        credentials,
        redshift: { host: '127.0.0.1', port: redshift.port },
        s3,
        metrics,
        statePath: join(paths.state, 'firehose-deliveries.json'),
        log,
      });
      const running = await startGateway({
        port: gatewayPort,
        upstream: `http://127.0.0.1:${moto.port}`,
        keys: credentials,
        upstreamToken: motoToken,
        json: {
          'redshift-data': dataApi,
          'redshift-serverless': createServerlessApi(
            serverless,
            {
              host: '127.0.0.1',
              port: redshift.port,
              provision: (namespace) => provisionCluster(log, postgres.port, adminPassword, namespace),
              temporaryCredentials: (credentials) => temporaryLogin(log, postgres.port, adminPassword, credentials),
              baseCapacity: async (database, rpu) => proxy?.setBaseCapacity(database, rpu),
            },
            log,
          ),
        },
        callerArn: () => (callerArn ??= runCaller(`http://127.0.0.1:${moto.port}`, credentials, motoToken)),
        faults: new Faults(secretFile(faultTokenPath(paths.state))),
        intercept: {
          kinesis: kinesisInterceptor(pace.kinesisCreatingMs, { endpoint: `http://127.0.0.1:${moto.port}`, token: motoToken, log }),
          firehose: firehoseInterceptor(deliveries),
          elasticmapreduce: emrInterceptor(
            { host: '127.0.0.1', env: spark.env, cwd: spark.home, logDir: join(paths.logs, 'steps'), s3, log },
            { startingMs: pace.emrStartingMs, bootstrappingMs: pace.emrBootstrappingMs, terminatingMs: pace.emrTerminatingMs },
          ),
          redshift: redshiftInterceptor({
            host: '127.0.0.1',
            port: redshift.port,
            creatingMs: pace.redshiftCreatingMs,
            provision: (cluster) => provisionCluster(log, postgres.port, adminPassword, cluster),
            temporaryCredentials: (credentials) => temporaryLogin(log, postgres.port, adminPassword, credentials),
          }),
        },
        log,
      });
      stops.push(running.close);
      return { port: running.port, version: 'tributary gateway' };
    });
    const endpoint = `http://127.0.0.1:${gateway.port}`;
    await bootstrapAccount({ endpoint, credentials }, keys.clientPublicKey);

    const ssh = await service('emr-ssh', 'EMR master SSH (user hadoop, key only)', async () => {
      const running = await startSshServer({
        hostKey: keys.hostKey,
        authorizedKey: keys.clientPublicKey,
        user: 'hadoop',
        port: 0,
        env: spark.env,
        cwd: spark.home,
        log,
      });
      stops.push(running.close);
      return { port: running.port, version: 'ssh2 server' };
    });
    await service('spark-thrift', 'Spark Thrift Server (HiveServer2)', async () => {
      const running = await startThriftServer(spark, sparkOptions, { java: toolchain.java, password: thriftPassword }, false, signal);
      stops.push(running.stop);
      return { port: thriftPort, version: `Spark ${spark.version}` };
    });

    const run: RunFile = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      endpoint,
      credentials,
      services,
      master: {
        host: '127.0.0.1',
        sshPort: ssh.port,
        user: 'hadoop',
        keyFile: keys.clientKeyFile,
        knownHostsLine: `[127.0.0.1]:${ssh.port} ${keys.hostPublicKey}`,
        thriftPort,
        thriftPassword,
      },
      redshift: { host: '127.0.0.1', port: redshift.port, adminUser: ADMIN_USER, adminPassword },
    };
    return { run, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A generated password kept with the sandbox state (0600), the same across restarts. */
function secretFile(path: string): string {
  if (!existsSync(path)) writeFileSync(path, newPassword(), { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

async function admin<T>(port: number, password: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: ADMIN_USER, password, database: 'dev' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function ensureDatabase(port: number, password: string, name: string): Promise<void> {
  await admin(port, password, async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  });
  // Redshift lets every user create tables in the public schema; PostgreSQL 15+ does not, so it is granted as Redshift has it.
  const client = new pg.Client({ host: '127.0.0.1', port, user: ADMIN_USER, password, database: name });
  await client.connect();
  try {
    await client.query('GRANT CREATE ON SCHEMA public TO PUBLIC');
  } finally {
    await client.end();
  }
}

/** Who the run's keys belong to, as the emulator's STS says. */
async function runCaller(endpoint: string, credentials: SandboxAccess['credentials'], token: string): Promise<string> {
  const sts = withMotoToken(new STSClient(sandboxClientConfig({ endpoint, credentials })), token);
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? 'arn:aws:iam::123456789012:root';
  } finally {
    sts.destroy();
  }
}

/**
 * GetClusterCredentials on the stand-in: a login role named as AWS names the
 * temporary user (IAM:alice), valid until the expiration AWS gave, that
 * becomes alice once logged in, as Redshift maps it.
 */
async function temporaryLogin(
  log: Logger,
  port: number,
  password: string,
  credentials: { dbUser: string; asUser?: string; password: string; expiresAt: string },
): Promise<void> {
  log.addSecret(credentials.password);
  await admin(port, password, async (client) => {
    const login = pg.escapeIdentifier(credentials.dbUser);
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [credentials.dbUser]);
    await client.query(
      `${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${login} WITH LOGIN PASSWORD ${pg.escapeLiteral(credentials.password)} VALID UNTIL ${pg.escapeLiteral(credentials.expiresAt)}`,
    );
    // Redshift Serverless' IAM:alice is a user of its own; a cluster's maps to the database user alice.
    if (!credentials.asUser) return;
    await client.query(`GRANT ${pg.escapeIdentifier(credentials.asUser)} TO ${login}`);
    await client.query(`ALTER ROLE ${login} SET role = ${pg.escapeLiteral(credentials.asUser)}`);
  });
}

/** CreateCluster's master user and database (or CreateNamespace's admin user, when it names one), made real on the stand-in. */
async function provisionCluster(
  log: Logger,
  port: number,
  password: string,
  cluster: { user?: string; password?: string; database: string },
): Promise<void> {
  const { user, password: userPassword } = cluster;
  if (user && userPassword) {
    log.addSecret(userPassword);
    await admin(port, password, async (client) => {
      const role = pg.escapeIdentifier(user);
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
      // The master user of a Redshift cluster is a superuser of it.
      await client.query(
        `${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${role} WITH LOGIN SUPERUSER PASSWORD ${pg.escapeLiteral(userPassword)}`,
      );
    });
  }
  await ensureDatabase(port, password, cluster.database);
}
