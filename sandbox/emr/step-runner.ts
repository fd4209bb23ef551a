import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../shared/node/log.js';
import { logTail } from '../../shared/node/process.js';
import { StepLogUpload, stepLogLocation } from './step-logs.js';

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

export interface StepRunnerOptions {
  clusterId: string;
  /** The master's own copy of the step logs (EMR's /mnt/var/log/hadoop/steps/): <logDir>/<step-id>/{stdout,stderr,controller}. */
  logDir: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Steps wait until the cluster is ready (epoch ms). */
  readyAt: number;
  /** The sandbox's S3, where step logs go under the cluster's LogUri as EMR puts them. */
  s3: S3Client;
  /** The cluster's LogUri, if it has one (read when logs are uploaded). */
  logUri: () => string | undefined;
  log: Logger;
}

/**
 * Runs a cluster's steps one at a time on the sandbox master, as EMR does:
 * `command-runner.jar` steps run their command (spark-submit, spark-sql, …)
 * for real, and the exit status decides COMPLETED or FAILED. Their logs reach
 * the cluster's LogUri in S3 while they run and when they end.
 */
export class StepRunner {
  private readonly runs = new Map<string, StepRun>();
  private readonly queue: StepRun[] = [];
  private active: StepRun | undefined;

  constructor(private readonly options: StepRunnerOptions) {}

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
    const wait = this.options.readyAt - Date.now();
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
    const { clusterId, logDir, s3, log } = this.options;
    const stepId = run.definition.id;
    const dir = join(logDir, stepId);
    mkdirSync(dir, { recursive: true });
    const stderrFile = join(dir, 'stderr');
    const controller = (line: string) => appendFileSync(join(dir, 'controller'), `${new Date().toISOString()} INFO ${line}\n`);
    const location = () => stepLogLocation(this.options.logUri(), clusterId, stepId);
    // FailureDetails.LogFile names the uploaded log when the cluster has a LogUri, as on EMR.
    const logFile = () => {
      const where = location();
      return where ? `s3://${where.bucket}/${where.prefix}stderr.gz` : stderrFile;
    };
    const upload = new StepLogUpload(s3, dir, location, (error) => log.warn('emr', `Step ${stepId}'s logs did not reach S3`, error));
    let settled = false;
    const end = (state: StepState, failure?: { reason: string; message: string }) => {
      if (settled) return;
      settled = true;
      if (failure) run.failure = { ...failure, logFile: logFile() };
      controller(failure ? `Step failed: ${failure.reason}` : `Step ${state.toLowerCase()}`);
      void upload.finish().then(() => this.finish(run, state));
    };
    const { jar, args } = run.definition;
    if (jar !== 'command-runner.jar' || args.length === 0) {
      end('FAILED', { reason: 'Unsupported step', message: `The sandbox runs command-runner.jar steps; this step uses ${jar}.` });
      return;
    }
    controller(`startExec '${args.join(' ')}'`);
    const child = spawn(args[0]!, args.slice(1), { cwd: this.options.cwd, env: this.options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    run.child = child;
    const written = [child.stdout.pipe(createWriteStream(join(dir, 'stdout'))), child.stderr.pipe(createWriteStream(stderrFile))];
    upload.start();
    child.once('error', (error) => end('FAILED', { reason: 'Command failed to start', message: error.message }));
    child.once('close', async (code, signal) => {
      // The last output is in the files before they are uploaded for the last time.
      await Promise.all(written.map((stream) => finished(stream).catch(() => undefined)));
      controller(signal ? `Process killed by ${signal}` : `Process exited with code ${code}`);
      if (run.state === 'CANCEL_PENDING') return end('CANCELLED');
      if (code === 0) return end('COMPLETED');
      const tail = logTail(stderrFile, 5);
      end('FAILED', {
        reason: signal ? `Killed by ${signal}` : `Exit status ${code}`,
        message:
          tail
            .split('\n')
            .reverse()
            .find((line) => /error|exception/i.test(line)) ??
          tail.split('\n').pop() ??
          '',
      });
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
