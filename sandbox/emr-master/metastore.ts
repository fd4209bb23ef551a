import { join } from 'node:path';
import { portOpen } from '../../shared/node/ports.js';
import { startProcess, type RunningProcess } from '../../shared/node/process.js';

export interface MetastoreOptions {
  java: string;
  /** pyspark's jars directory: its Derby is the engine, so the database stays readable by embedded Spark too. */
  sparkJars: string;
  derbyNetJar: string;
  dir: string;
  port: number;
  logDir: string;
  detached: boolean;
}

/**
 * The Hive metastore's database: Derby's network server. Embedded Derby admits
 * one process, but on a master the Thrift server, spark-sql and spark-submit
 * share one metastore. (PostgreSQL is not used: Hive's automatic schema
 * creation deadlocks there when two Spark processes start together.)
 */
export function startMetastoreDb(options: MetastoreOptions, signal: AbortSignal): Promise<RunningProcess> {
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
