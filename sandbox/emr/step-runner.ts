import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { logTail } from '../../shared/node/process.js';

export type StepState = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'CANCEL_PENDING' | 'CANCELLED' | 'FAILED' | 'INTERRUPTED';

export interface StepDefinition {
  id: string;
  name: string;
  jar: string;
  args: string[];
  actionOnFailure: string;
}

export interface StepRun {
  definition: StepDefinition;
  state: StepState;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  failure?: { reason: string; message: string; logFile: string };
  child?: ChildProcess;
}

/**
 * Runs a cluster's steps one at a time on the sandbox master, as EMR does:
 * `command-runner.jar` steps run their command (spark-submit, spark-sql, …)
 * for real, and the exit status decides COMPLETED or FAILED.
 */
export class StepRunner {
  private readonly runs = new Map<string, StepRun>();
  private readonly queue: StepRun[] = [];
  private active: StepRun | undefined;

  constructor(
    private readonly logDir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
    /** Steps wait until the cluster is ready (epoch ms). */
    private readonly readyAt: number,
  ) {}

  /** A step is running or waiting to run. */
  busy(): boolean {
    return this.active !== undefined || this.queue.some((run) => run.state === 'PENDING');
  }

  everRan(): boolean {
    return this.runs.size > 0;
  }

  add(definitions: StepDefinition[]): void {
    for (const definition of definitions) {
      const run: StepRun = { definition, state: 'PENDING', createdAt: Date.now() };
      this.runs.set(definition.id, run);
      this.queue.push(run);
    }
    this.next();
  }

  get(id: string): StepRun | undefined {
    return this.runs.get(id);
  }

  /** CancelSteps: pending steps are cancelled; a running one is sent SIGTERM (EMR's SEND_INTERRUPT). */
  cancel(id: string): boolean {
    const run = this.runs.get(id);
    if (!run) return false;
    if (run.state === 'PENDING') {
      this.finish(run, 'CANCELLED');
      return true;
    }
    if (run.state === 'RUNNING' && run.child) {
      run.state = 'CANCEL_PENDING';
      run.child.kill('SIGTERM');
      return true;
    }
    return false;
  }

  /** The cluster ends: nothing more runs. */
  stopAll(): void {
    for (const run of this.queue.splice(0)) this.finish(run, 'CANCELLED');
    this.active?.child?.kill('SIGTERM');
  }

  private next(): void {
    if (this.active) return;
    const wait = this.readyAt - Date.now();
    if (wait > 0 && this.queue.length > 0) {
      setTimeout(() => this.next(), wait).unref();
      return;
    }
    const run = this.queue.shift();
    if (!run) return;
    if (run.state !== 'PENDING') return this.next();
    this.active = run;
    run.state = 'RUNNING';
    run.startedAt = Date.now();
    const dir = join(this.logDir, run.definition.id);
    mkdirSync(dir, { recursive: true });
    const stdoutFile = join(dir, 'stdout');
    const stderrFile = join(dir, 'stderr');
    const { jar, args } = run.definition;
    if (jar !== 'command-runner.jar' || args.length === 0) {
      run.failure = {
        reason: 'Unsupported step',
        message: `The sandbox runs command-runner.jar steps; this step uses ${jar}.`,
        logFile: stderrFile,
      };
      this.finish(run, 'FAILED');
      return;
    }
    const child = spawn(args[0]!, args.slice(1), { cwd: this.cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    run.child = child;
    child.stdout.pipe(createWriteStream(stdoutFile));
    child.stderr.pipe(createWriteStream(stderrFile));
    child.once('error', (error) => {
      run.failure = { reason: 'Command failed to start', message: error.message, logFile: stderrFile };
      this.finish(run, 'FAILED');
    });
    child.once('close', (code, signal) => {
      if (run.state === 'CANCEL_PENDING') return this.finish(run, 'CANCELLED');
      if (code === 0) return this.finish(run, 'COMPLETED');
      const tail = logTail(stderrFile, 5);
      run.failure = {
        reason: signal ? `Killed by ${signal}` : `Exit status ${code}`,
        message:
          tail
            .split('\n')
            .reverse()
            .find((line) => /error|exception/i.test(line)) ??
          tail.split('\n').pop() ??
          '',
        logFile: stderrFile,
      };
      this.finish(run, 'FAILED');
    });
  }

  private finish(run: StepRun, state: StepState): void {
    run.state = state;
    run.endedAt = Date.now();
    run.child = undefined;
    if (this.active === run) this.active = undefined;
    if (state === 'FAILED' && run.definition.actionOnFailure !== 'CONTINUE') {
      for (const pending of this.queue.splice(0)) {
        pending.state = 'CANCELLED';
        pending.endedAt = Date.now();
      }
    }
    this.next();
  }
}
