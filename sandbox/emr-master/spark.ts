import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SANDBOX_REGION, type SandboxAccess } from '../client/constants.js';
import { portOpen } from '../../shared/node/ports.js';
import { startProcess, type RunningProcess } from '../../shared/node/process.js';
import { jarFile, sparkJars } from '../setup/maven-jars.js';
import { venvPython } from '../setup/python-env.js';
import type { MetastoreLogin } from './metastore.js';
import { compileThriftLogin, THRIFT_LOGIN_CLASS, THRIFT_PASSWORD_ENV } from './thrift-login.js';

export interface SparkMasterOptions {
  venv: string;
  jarsDir: string;
  /** The master's state: conf, warehouse, scratch, home of `hadoop`. */
  dir: string;
  logDir: string;
  /** The sandbox's AWS endpoint: S3 for s3:// and s3a://, and the rest for jobs that call AWS. */
  awsEndpoint: string;
  /** The run's access key pair, which the endpoint requires: what `hadoop` signs with, as an instance profile would give it. */
  credentials: SandboxAccess['credentials'];
  /** The Hive metastore database (Derby network server): its JDBC URL and the run's login. */
  metastore: MetastoreLogin;
  thriftPort: number;
}

export interface SparkMaster {
  /** The environment of every command on the master: what `hadoop` gets on EMR, pointed at the sandbox. */
  env: NodeJS.ProcessEnv;
  home: string;
  version: string;
  sparkHome: string;
  /** The driver's extra class path (spark-defaults.conf), which the Thrift Server extends with its login class. */
  driverClassPath: string;
}

/**
 * Writes the master's Spark configuration (one SPARK_CONF_DIR for spark-sql,
 * spark-submit and the Thrift server) and returns the environment to run them.
 */
export function prepareSparkMaster(options: SparkMasterOptions): SparkMaster {
  const conf = join(options.dir, 'conf');
  const warehouse = join(options.dir, 'warehouse');
  const scratch = join(options.dir, 'tmp');
  const home = join(options.dir, 'home', 'hadoop');
  for (const dir of [conf, warehouse, scratch, home]) mkdirSync(dir, { recursive: true });
  const classpath = sparkJars
    .filter((jar) => jar.artifact !== 'derbynet')
    .map((jar) => jarFile(options.jarsDir, jar))
    .join(':');
  const s3 = new URL(options.awsEndpoint);

  const defaults: Record<string, string> = {
    'spark.master': 'local[2]',
    'spark.driver.memory': '1g',
    'spark.driver.host': '127.0.0.1',
    'spark.driver.bindAddress': '127.0.0.1',
    'spark.ui.enabled': 'false',
    // A driver's RPC and block-transfer ports take Java-serialized messages from whoever connects; with this, only
    // from a peer holding the secret Spark makes per application in local mode (there is no other peer here).
    'spark.authenticate': 'true',
    'spark.sql.catalogImplementation': 'hive',
    'spark.sql.warehouse.dir': `file://${warehouse}`,
    'spark.local.dir': scratch,
    'spark.driver.extraClassPath': classpath,
    'spark.executor.extraClassPath': classpath,
    'spark.driver.extraJavaOptions': `-Djava.io.tmpdir=${scratch}`,
    'spark.hadoop.fs.s3a.endpoint': `${s3.protocol}//${s3.host}`,
    'spark.hadoop.fs.s3a.endpoint.region': SANDBOX_REGION,
    'spark.hadoop.fs.s3a.path.style.access': 'true',
    'spark.hadoop.fs.s3a.connection.ssl.enabled': 'false',
    'spark.hadoop.fs.s3a.aws.credentials.provider': 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider',
    'spark.hadoop.fs.s3a.access.key': options.credentials.accessKeyId,
    'spark.hadoop.fs.s3a.secret.key': options.credentials.secretAccessKey,
    // On EMR, s3:// is EMRFS; here it is S3A on the same bucket, so scripts run unchanged.
    'spark.hadoop.fs.s3.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
    'spark.hadoop.fs.AbstractFileSystem.s3.impl': 'org.apache.hadoop.fs.s3a.S3A',
    'spark.hadoop.fs.AbstractFileSystem.s3a.impl': 'org.apache.hadoop.fs.s3a.S3A',
  };
  const sparkDefaults = join(conf, 'spark-defaults.conf');
  writeFileSync(
    sparkDefaults,
    Object.entries(defaults)
      .map(([k, v]) => `${k} ${v}`)
      .join('\n') + '\n',
  );
  // It holds the run's secret key.
  chmodSync(sparkDefaults, 0o600);

  const hive: Record<string, string> = {
    'javax.jdo.option.ConnectionURL': options.metastore.url,
    'javax.jdo.option.ConnectionDriverName': 'org.apache.derby.jdbc.ClientDriver',
    'javax.jdo.option.ConnectionUserName': options.metastore.user,
    // Hive keeps it out of what it logs and shows (hive.conf.hidden.list).
    'javax.jdo.option.ConnectionPassword': options.metastore.password,
    'hive.metastore.warehouse.dir': `file://${warehouse}`,
    'datanucleus.schema.autoCreateAll': 'true',
    'hive.metastore.schema.verification': 'false',
    'hive.server2.thrift.bind.host': '127.0.0.1',
    'hive.server2.thrift.port': String(options.thriftPort),
    'hive.server2.transport.mode': 'binary',
    'hive.server2.enable.doAs': 'false',
    'hive.exec.scratchdir': join(scratch, 'hive'),
    'hive.exec.local.scratchdir': join(scratch, 'hive-local'),
    'hive.downloaded.resources.dir': join(scratch, 'hive-resources'),
    'hive.querylog.location': join(scratch, 'hive-querylog'),
    'hive.server2.logging.operation.log.location': join(scratch, 'hive-oplogs'),
  };
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const hiveSite = join(conf, 'hive-site.xml');
  writeFileSync(
    hiveSite,
    `<?xml version="1.0"?>\n<configuration>\n${Object.entries(hive)
      .map(([k, v]) => `  <property><name>${k}</name><value>${escape(v)}</value></property>`)
      .join('\n')}\n</configuration>\n`,
  );
  // It holds the metastore's password.
  chmodSync(hiveSite, 0o600);
  writeFileSync(
    join(conf, 'log4j2.properties'),
    [
      'rootLogger.level = warn',
      'rootLogger.appenderRef.stdout.ref = console',
      'appender.console.type = Console',
      'appender.console.name = console',
      'appender.console.target = SYSTEM_ERR',
      'appender.console.layout.type = PatternLayout',
      'appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n',
      'logger.thrift.name = org.apache.spark.sql.hive.thriftserver',
      'logger.thrift.level = info',
      // Statements carry secrets (SET …secret.key=…, OPTIONS (password …)): none reaches the log, as submitted or as
      // failed (Spark's errors quote the statement), nor a path with its user-info; the client gets every error itself.
      'logger.statements.name = org.apache.spark.sql.hive.thriftserver.SparkExecuteStatementOperation',
      'logger.statements.level = off',
      'logger.cli.name = org.apache.hive.service.cli.thrift.ThriftCLIService',
      'logger.cli.level = error',
      'logger.paths.name = org.apache.spark.sql.execution.streaming.FileStreamSink',
      'logger.paths.level = error',
      'logger.filesystems.name = org.apache.hadoop.fs.FileSystem',
      'logger.filesystems.level = error',
      '',
    ].join('\n'),
  );

  const sparkHome = execFileSync(venvPython(options.venv), ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], {
    encoding: 'utf8',
  }).trim();
  const version = execFileSync(venvPython(options.venv), ['-c', 'import pyspark; print(pyspark.__version__)'], { encoding: 'utf8' }).trim();
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(options.venv, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    USER: 'hadoop',
    LOGNAME: 'hadoop',
    PS1: '[hadoop@sandbox-master \\W]\\$ ',
    LANG: 'C.UTF-8',
    SPARK_HOME: sparkHome,
    SPARK_CONF_DIR: conf,
    SPARK_LOCAL_IP: '127.0.0.1',
    PYSPARK_PYTHON: venvPython(options.venv),
    AWS_ENDPOINT_URL: options.awsEndpoint,
    AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
    AWS_REGION: SANDBOX_REGION,
    AWS_DEFAULT_REGION: SANDBOX_REGION,
    ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
  };
  return { env, home, version, sparkHome, driverClassPath: classpath };
}

/**
 * The Spark Thrift Server (HiveServer2 binary protocol), as `start-thriftserver.sh` starts it on EMR, but taking
 * only the run's password (any user name): on EMR it listens on the master's own network; here on the operator's
 * machine, where other local users and processes reach it.
 */
export function startThriftServer(
  master: SparkMaster,
  options: SparkMasterOptions,
  login: { java: string; password: string },
  detached: boolean,
  signal: AbortSignal,
): Promise<RunningProcess> {
  const loginClasses = compileThriftLogin(login.java, join(master.sparkHome, 'jars'), join(options.dir, 'thrift-login'));
  return startProcess(
    {
      name: 'Spark Thrift Server',
      command: join(options.venv, 'bin', 'spark-submit'),
      args: [
        '--class',
        'org.apache.spark.sql.hive.thriftserver.HiveThriftServer2',
        '--name',
        'Thrift JDBC/ODBC Server',
        '--hiveconf',
        'hive.server2.thrift.bind.host=127.0.0.1',
        '--hiveconf',
        `hive.server2.thrift.port=${options.thriftPort}`,
        '--hiveconf',
        'hive.server2.authentication=CUSTOM',
        '--hiveconf',
        `hive.server2.custom.authentication.class=${THRIFT_LOGIN_CLASS}`,
        '--conf',
        `spark.driver.extraClassPath=${master.driverClassPath}:${loginClasses}`,
        'spark-internal',
      ],
      env: { ...master.env, [THRIFT_PASSWORD_ENV]: login.password },
      cwd: master.home,
      logFile: join(options.logDir, 'spark-thrift.log'),
      // Spark logs this only once its socket is bound (a failed bind ends the process): the port answering alone
      // could be another process's, which would then be sent the run's password.
      ready: async (log) => log().includes('HiveThriftServer2 started') && (await portOpen(options.thriftPort)),
      readyTimeoutMs: 180_000,
      detached,
    },
    signal,
  );
}
