import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../errors.js';
import { sleep } from './sleep.js';

export interface ProcessSpec {
  /** Shown in errors: "moto", "spark-thrift". */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr go here, so a failure can show its tail. */
  logFile: string;
  /**
   * Resolves true once the service answers; polled until `readyTimeoutMs`. It is handed what this start has
   * written to the log so far: a port that answers may be another process's (a second sandbox, a neighbour
   * squatting on it), so a service that says in its log when it has bound can be waited for by that line.
   */
  ready: (logSinceStart: () => string) => Promise<boolean>;
  readyTimeoutMs: number;
  /** Keep running after this process exits (`npm run sandbox -- up`). */
  detached?: boolean;
}

export interface RunningProcess {
  pid: number;
  stop(): Promise<void>;
}

/** The last lines of a log file, for error messages and the health panel. */
export function logTail(file: string, lines = 20): string {
  try {
    const size = statSync(file).size;
    const text = readFileSync(file, 'utf8').slice(Math.max(0, size - 64 * 1024));
    return text.split('\n').filter(Boolean).slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts a service process and waits until it answers. It never hangs: a
 * process that exits or does not answer in time is stopped, and the error
 * names it and quotes its log. Without a `signal` only the ready timeout ends the wait.
 */
export async function startProcess(spec: ProcessSpec, signal = new AbortController().signal): Promise<RunningProcess> {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  const startedAt = fstatSync(out).size;
  const logSinceStart = () => {
    try {
      return readFileSync(spec.logFile).subarray(startedAt).toString('utf8');
    } catch {
      return '';
    }
  };
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', out, out],
      detached: spec.detached ?? false,
    });
  } finally {
    closeSync(out);
  }
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = sig ? `was killed by ${sig}` : `exited with code ${code}`));
  child.once('error', (error) => (exited = `could not start (${error.message})`));
  if (spec.detached) child.unref();

  const deadline = Date.now() + spec.readyTimeoutMs;
  for (;;) {
    if (exited) throw failure(spec, exited);
    if (signal.aborted) {
      await stopPid(child.pid);
      throw new AppError('CANCELLED', `Starting ${spec.name} was cancelled`);
    }
    if (await spec.ready(logSinceStart).catch(() => false)) break;
    if (Date.now() > deadline) {
      await stopPid(child.pid);
      throw failure(spec, `did not answer within ${Math.round(spec.readyTimeoutMs / 1000)} s`);
    }
    await sleep(250, signal);
  }
  const pid = child.pid ?? 0;
  return { pid, stop: () => stopPid(pid) };
}

function failure(spec: ProcessSpec, what: string): AppError {
  const tail = logTail(spec.logFile, 12);
  return new AppError('UNAVAILABLE', `${spec.name} ${what}.${tail ? `\nLast lines of ${spec.logFile}:\n${tail}` : ''}`);
}

export function pidAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whatever is left of a process group whose leader is gone (a daemon killed before it could stop its children). */
export function stopGroup(pgid: number | undefined): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    // No such group: nothing left.
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export async function stopPid(pid: number | undefined, graceMs = 8000): Promise<void> {
  if (!pid || !pidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone between the check and the kill.
    }
  }
}
