import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SandboxProgress, SandboxStatus } from '../../shared/contract/index.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/node/log.js';
import { sandboxPaths, type SandboxPaths } from './paths.js';
import { portOpen } from '../../shared/node/ports.js';
import { logTail, pidAlive, stopGroup, stopPid } from '../../shared/node/process.js';
import { sleep } from '../../shared/node/sleep.js';
import type { DaemonCommand } from './daemon-command.js';
import { readRunFile, type RunFile } from './run-file.js';
import { sparkJars, mavenJarsStep } from '../setup/maven-jars.js';
import { pythonEnvStep } from '../setup/python-env.js';

/**
 * The app's and the CLI's handle on the sandbox. The services live in one
 * daemon process; this reads its progress and its run file, and stops it.
 */
export class SandboxManager {
  readonly paths: SandboxPaths;
  private startedHere: number | undefined;
  private starting = false;

  constructor(
    private readonly dataDir: string,
    private readonly daemon: DaemonCommand,
    private readonly log: Logger,
    cacheDir?: string,
  ) {
    this.paths = sandboxPaths(dataDir, cacheDir);
  }

  async status(): Promise<SandboxStatus> {
    const setUp = await this.setUp();
    const run = readRunFile(this.paths.runFile);
    if (!run || !pidAlive(run.pid)) return { state: this.starting ? 'starting' : 'stopped', setUp, services: [] };
    const services = await Promise.all(
      run.services.map(async (s) => ({
        id: s.id,
        name: s.name,
        port: s.port,
        version: s.version,
        state: (await portOpen(s.port)) ? ('running' as const) : ('failed' as const),
      })),
    );
    const down = services.filter((s) => s.state === 'failed');
    return {
      state: down.length ? 'failed' : 'running',
      endpoint: run.endpoint,
      setUp,
      services,
      ...(down.length ? { error: `Not answering: ${down.map((s) => s.name).join(', ')}` } : {}),
    };
  }

  /** What a running sandbox published (its daemon alive), else undefined. */
  running(): RunFile | undefined {
    const run = readRunFile(this.paths.runFile);
    return run && pidAlive(run.pid) ? run : undefined;
  }

  /** Starts the daemon (unless one runs) and relays its progress until it is up or has failed. */
  async *start(signal: AbortSignal, detached = false): AsyncGenerator<SandboxProgress> {
    const current = await this.status();
    if (current.state === 'running') {
      yield { kind: 'status', status: current };
      return;
    }
    if (this.starting) throw new AppError('CONFLICT', 'The sandbox is already starting');
    this.starting = true;
    try {
      mkdirSync(this.paths.logs, { recursive: true, mode: 0o700 });
      const outFile = join(this.paths.logs, 'daemon.out');
      rmSync(outFile, { force: true });
      const out = openSync(outFile, 'a');
      const child = spawn(this.daemon.command, [...this.daemon.args, '--data-dir', this.dataDir, '--cache-dir', this.paths.cache], {
        env: { ...process.env, ...this.daemon.env },
        stdio: ['ignore', out, out],
        detached: true,
      });
      closeSync(out);
      if (detached) child.unref();
      this.startedHere = detached ? undefined : child.pid;
      let exited = false;
      child.once('exit', () => (exited = true));
      const onAbort = () => void stopPid(child.pid);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      let offset = 0;
      let pending = '';
      try {
        for (;;) {
          const size = statSync(outFile).size;
          if (size > offset) {
            const chunk = readFileSync(outFile).subarray(offset, size).toString('utf8');
            offset = size;
            const lines = (pending + chunk).split('\n');
            pending = lines.pop() ?? '';
            for (const line of lines) {
              const progress = parseProgress(line);
              if (!progress) continue;
              yield progress;
              if (progress.kind === 'status') {
                if (progress.status.state === 'running') return;
                throw new AppError('UNAVAILABLE', progress.status.error ?? 'The sandbox did not start');
              }
            }
          }
          if (signal.aborted)
            throw new AppError('CANCELLED', 'Sandbox start cancelled; its services were stopped. The next start resumes setup.');
          if (exited) {
            // It died without stopping what it had started: those are in its process group.
            stopGroup(child.pid);
            throw new AppError('UNAVAILABLE', `The sandbox process exited during start.\n${logTail(outFile, 15)}`);
          }
          await sleep(200, signal);
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    } finally {
      this.starting = false;
    }
  }

  async stop(): Promise<SandboxStatus> {
    const run = readRunFile(this.paths.runFile);
    const pid = run?.pid ?? this.startedHere;
    await stopPid(pid, 30_000);
    // The daemon leads its process group; anything it could not stop goes with it.
    stopGroup(pid);
    this.startedHere = undefined;
    return this.status();
  }

  /** Deletes the sandbox's data and state; downloads in the cache stay. */
  async reset(): Promise<SandboxStatus> {
    await this.stop();
    rmSync(this.paths.root, { recursive: true, force: true });
    // As root PostgreSQL's data lives in a directory of its own outside the data directory (see paths.ts): that goes too.
    rmSync(process.getuid?.() === 0 ? dirname(this.paths.postgres) : this.paths.postgres, { recursive: true, force: true });
    this.log.info('sandbox', 'Sandbox data deleted (reset)');
    return this.status();
  }

  /** Stops the sandbox if this process started it (the app quitting); one started by `sandbox up` keeps running. */
  async dispose(): Promise<void> {
    if (this.startedHere) await this.stop();
  }

  /**
   * Processes log to files of their own; the daemon's in-process services share its log. The tail goes to the
   * renderer: redacted as every log line is (moto's request lines may hold presigned query strings).
   */
  logTail(service: string, lines: number): string {
    const own: Record<string, string> = { aws: 'moto.log', 'spark-thrift': 'spark-thrift.log', daemon: 'daemon.out' };
    return this.log.redact(logTail(join(this.paths.logs, own[service] ?? 'tributary.log'), lines));
  }

  private async setUp(): Promise<boolean> {
    const steps = [pythonEnvStep(this.paths.venv, '', this.paths.pipCache), mavenJarsStep(this.paths.jars, sparkJars)];
    return (await Promise.all(steps.map((step) => step.done()))).every(Boolean);
  }
}

function parseProgress(line: string): SandboxProgress | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as SandboxProgress;
  } catch {
    return undefined;
  }
}
