import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { portOpen } from '../../shared/node/ports.js';
import { startProcess, type RunningProcess } from '../../shared/node/process.js';

/**
 * The one Derby user the metastore logs in as. APP is the user Derby assumes without authentication, so
 * a metastore created before the login was required keeps its tables in the schema it is looked up in.
 */
export const METASTORE_USER = 'APP';

export interface MetastoreLogin {
  url: string;
  user: string;
  password: string;
}

export interface MetastoreOptions {
  java: string;
  /** pyspark's jars directory: its Derby is the engine, so the database stays readable by embedded Spark too. */
  sparkJars: string;
  derbyNetJar: string;
  dir: string;
  port: number;
  /** The run's password for METASTORE_USER, which every connection must give. */
  password: string;
  logDir: string;
  detached: boolean;
}

/**
 * The Hive metastore's database: Derby's network server. Embedded Derby admits
 * one process, but on a master the Thrift server, spark-sql and spark-submit
 * share one metastore. (PostgreSQL is not used: Hive's automatic schema
 * creation deadlocks there when two Spark processes start together.)
 *
 * Derby runs any public static Java method a connected user declares as a routine, so a login is required:
 * one user with the run's password, written to derby.properties (0600, read by Derby at boot, never on the
 * command line, which other local users can read).
 */
export function startMetastoreDb(options: MetastoreOptions, signal: AbortSignal): Promise<RunningProcess> {
  const properties = join(options.dir, 'derby.properties');
  writeFileSync(
    properties,
    [
      'derby.connection.requireAuthentication=true',
      'derby.authentication.provider=BUILTIN',
      `derby.user.${METASTORE_USER}=${options.password}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  // A file left by an earlier run keeps its mode through writeFileSync.
  chmodSync(properties, 0o600);
  return startProcess(
    {
      name: 'Hive metastore database (Derby network server)',
      command: options.java,
      args: [
        '-Xmx256m',
        `-Dderby.system.home=${options.dir}`,
        `-Dderby.stream.error.file=${join(options.logDir, 'derby-server.log')}`,
        '-cp',
        `${join(options.sparkJars, 'derby-10.14.2.0.jar')}:${options.derbyNetJar}`,
        'org.apache.derby.drda.NetworkServerControl',
        'start',
        '-h',
        '127.0.0.1',
        '-p',
        String(options.port),
        '-noSecurityManager',
      ],
      logFile: join(options.logDir, 'metastore.log'),
      ready: () => portOpen(options.port),
      readyTimeoutMs: 60_000,
      detached: options.detached,
    },
    signal,
  );
}

export function metastoreJdbcUrl(port: number): string {
  return `jdbc:derby://127.0.0.1:${port}/metastore_db;create=true`;
}
