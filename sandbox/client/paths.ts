import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the sandbox keeps things. State (data, logs, keys) lives under the app
 * data directory; downloads live in a cache shared by every data directory and
 * by CI runs on the same machine, so a second setup is quick.
 */
export interface SandboxPaths {
  root: string;
  state: string;
  logs: string;
  runFile: string;
  /** The daemon's own copy of the warehouse's admin password, the same across restarts; clients read it from the run file. */
  adminPassword: string;
  /** PostgreSQL's data directory (see below for root). */
  postgres: string;
  cache: string;
  venv: string;
  pipCache: string;
  jars: string;
}

export function defaultCacheDir(): string {
  return process.env.TRIBUTARY_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tributary');
}

export function sandboxPaths(dataDir: string, cacheDir = defaultCacheDir()): SandboxPaths {
  const root = join(dataDir, 'sandbox');
  return {
    root,
    state: join(root, 'state'),
    logs: join(root, 'logs'),
    runFile: join(root, 'run.json'),
    adminPassword: join(root, 'state', 'postgres-admin-password'),
    // PostgreSQL refuses to run as root and drops to the postgres user, who cannot
    // enter root's home; as root its data lives in a directory of its own, one per data directory.
    postgres:
      process.getuid?.() === 0
        ? join('/var/lib/tributary-sandbox', createHash('sha256').update(root).digest('hex').slice(0, 16), 'postgres')
        : join(root, 'state', 'postgres'),
    cache: cacheDir,
    venv: join(cacheDir, 'venv-py'),
    pipCache: join(cacheDir, 'pip'),
    jars: join(cacheDir, 'jars'),
  };
}
