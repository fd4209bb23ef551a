import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { AddJobFlowStepsCommand, CancelStepsCommand, DescribeStepCommand, EMRClient, ListStepsCommand } from '@aws-sdk/client-emr';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type {
  PipelineJobOptions,
  PipelineRunChunk,
  PipelineRunInfo,
  PipelineRunState,
  PipelineSubmitted,
  SessionInfo,
  TunnelInfo,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { AwsAccess } from '../aws/clients.js';
import type { Logger } from '../../../shared/node/log.js';
import type { SessionAccess } from '../engines/descriptor.js';
import { jobScript } from './assets.js';
import { emrError, S3StepLogs, TAIL_BYTES } from './step-logs.js';
import { sleep } from '../../../shared/node/sleep.js';

/** What the jobs need of the sessions service: the open sessions, a YARN tunnel, and commands on a master. */
export interface JobSessions {
  list(): SessionInfo[];
  forward(sessionId: string, service: 'yarn'): Promise<TunnelInfo>;
  ports: Pick<SessionAccess, 'masterExec'>;
}

export interface JobsDeps {
  aws: AwsAccess;
  sessions: JobSessions;
  log: Logger;
}

const TERMINAL = new Set<PipelineRunState>(['COMPLETED', 'CANCELLED', 'FAILED', 'INTERRUPTED']);
/** The most one log chunk carries. */
const CHUNK_BYTES = 64 * 1024;
const SSH_OUTPUT_KEEP = 1024 * 1024;
const POLL_MS = 1000;
/** EMR uploads step logs to the LogUri every few minutes; reading them that often is enough. */
const S3_LOG_POLL_MS = 15_000;
/** The sandbox uploads them every few seconds (sandbox/emr/step-logs.ts), so its live tail reads as often. */
const SANDBOX_LOG_POLL_MS = 2_000;

interface SshRun {
  id: string;
  clusterId: string;
  name: string;
  state: PipelineRunState;
  createdAt: number;
  endedAt?: number;
  reason?: string;
  /** stdout and stderr together (2>&1), the last SSH_OUTPUT_KEEP characters, and how many were dropped before them. */
  output: string;
  dropped: number;
  abort: AbortController;
  changed: Set<() => void>;
}

/** The script's arguments for one job's options. */
export function jobArguments(bucket: string, options: PipelineJobOptions): string[] {
  const args = ['--bucket', bucket];
  const add = (flag: string, value: string | number | undefined) => {
    if (value !== undefined) args.push(flag, String(value));
  };
  if (options.job === 'kinesis_to_s3') {
    add('--stream', options.stream);
    add('--batch-size', options.batchSize);
    add('--max-batches', options.maxBatches);
    add('--until-idle-seconds', options.untilIdleSeconds);
    add('--batch-interval-seconds', options.batchIntervalSeconds);
    add('--endpoint-url', options.endpointUrl);
    add('--region', options.region);
  } else {
    add('--version', options.version);
    add('--database', options.database);
    add('--table', options.table);
  }
  return args;
}

/** One argument for a POSIX shell. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The Spark jobs on an EMR cluster: uploaded to the bucket, run as steps
 * (command-runner.jar spark-submit, as the console and CLI add them) or with
 * spark-submit over the open SSH session, followed live and cancelled.
 */
export class PipelineJobs {
  private readonly sshRuns = new Map<string, SshRun>();

  constructor(private readonly deps: JobsDeps) {}

  async submit(
    input: { clusterId: string; bucket: string; via: 'step' | 'ssh'; options: PipelineJobOptions },
    signal: AbortSignal,
  ): Promise<PipelineSubmitted> {
    const { job } = input.options;
    const scope = await this.deps.aws.aws();
    const script = jobScript(job);
    // boto3 on an EMR master does not know its region by itself; the sandbox master's environment names it.
    const options =
      input.options.job === 'kinesis_to_s3' && !input.options.region && !scope.sandbox
        ? { ...input.options, region: scope.region }
        : input.options;
    const key = `spark/${job}.py`;
    await scope.use(S3Client, (s3) =>
      s3.send(new PutObjectCommand({ Bucket: input.bucket, Key: key, Body: script.text, ContentType: 'text/x-python' }), {
        abortSignal: signal,
      }),
    );
    const location = `s3://${input.bucket}/${key}`;
    const command = ['spark-submit', '--deploy-mode', 'client', location, ...jobArguments(input.bucket, options)];
    if (input.via === 'step') {
      const answer = await scope.use(EMRClient, (emr) =>
        emr.send(
          new AddJobFlowStepsCommand({
            JobFlowId: input.clusterId,
            Steps: [{ Name: `tributary ${job}`, ActionOnFailure: 'CONTINUE', HadoopJarStep: { Jar: 'command-runner.jar', Args: command } }],
          }),
          { abortSignal: signal },
        ),
      );
      const runId = answer.StepIds?.[0];
      if (!runId) throw new AppError('UNAVAILABLE', 'EMR accepted the step but returned no step id.');
      this.deps.log.info('pipeline', `Step ${runId} (${job}) added to ${input.clusterId}`);
      return { runId, clusterId: input.clusterId, via: 'step', job, command, script: location };
    }
    const run = this.startSsh(input.clusterId, `spark-submit ${job}`, command);
    return { runId: run.id, clusterId: input.clusterId, via: 'ssh', job, command, script: location };
  }

  private startSsh(clusterId: string, name: string, command: string[]): SshRun {
    const run: SshRun = {
      id: `ssh-${randomBytes(6).toString('hex')}`,
      clusterId,
      name,
      state: 'RUNNING',
      createdAt: Date.now(),
      output: '',
      dropped: 0,
      abort: new AbortController(),
      changed: new Set(),
    };
    this.sshRuns.set(run.id, run);
    const notify = () => run.changed.forEach((listener) => listener());
    const decoder = new StringDecoder('utf8');
    const append = (text: string) => {
      run.output += text;
      if (run.output.length > SSH_OUTPUT_KEEP) {
        const cut = run.output.length - SSH_OUTPUT_KEEP;
        run.output = run.output.slice(cut);
        run.dropped += cut;
      }
      notify();
    };
    // The login shell of `hadoop` on the master has spark-submit on its PATH (EMR and the sandbox alike).
    const line = `${command.map(shellQuote).join(' ')} 2>&1`;
    this.deps.sessions.ports
      .masterExec(clusterId, line, '', run.abort.signal, async (chunk) => append(decoder.write(chunk)))
      .then(
        (outcome) => {
          append(decoder.end());
          if (run.abort.signal.aborted) run.state = 'CANCELLED';
          else if (outcome.code === 0) run.state = 'COMPLETED';
          else {
            run.state = 'FAILED';
            run.reason = `Exit status ${outcome.code ?? 'unknown (the session closed)'}`;
          }
        },
        (error: unknown) => {
          run.state = run.abort.signal.aborted ? 'CANCELLED' : 'FAILED';
          run.reason = error instanceof Error ? error.message : String(error);
        },
      )
      .finally(() => {
        run.endedAt = Date.now();
        notify();
      });
    return run;
  }

  async runs(clusterId: string, signal: AbortSignal): Promise<PipelineRunInfo[]> {
    const scope = await this.deps.aws.aws();
    try {
      const listed = await scope.use(EMRClient, (emr) => emr.send(new ListStepsCommand({ ClusterId: clusterId }), { abortSignal: signal }));
      const iso = (date: Date | undefined) => (date ? new Date(date).toISOString() : undefined);
      const steps: PipelineRunInfo[] = (listed.Steps ?? []).map((step) => ({
        runId: step.Id ?? '',
        name: step.Name ?? '',
        via: 'step',
        state: (step.Status?.State ?? 'PENDING') as PipelineRunState,
        ...(step.Status?.Timeline?.CreationDateTime ? { createdAt: iso(step.Status.Timeline.CreationDateTime) } : {}),
        ...(step.Status?.Timeline?.EndDateTime ? { endedAt: iso(step.Status.Timeline.EndDateTime) } : {}),
      }));
      const ssh: PipelineRunInfo[] = [...this.sshRuns.values()]
        .filter((run) => run.clusterId === clusterId)
        .map((run) => ({
          runId: run.id,
          name: run.name,
          via: 'ssh',
          state: run.state,
          createdAt: new Date(run.createdAt).toISOString(),
          ...(run.endedAt ? { endedAt: new Date(run.endedAt).toISOString() } : {}),
        }));
      return [...ssh, ...steps];
    } catch (error) {
      throw emrError(error, clusterId);
    }
  }

  async cancel(
    clusterId: string,
    runId: string,
    signal: AbortSignal,
  ): Promise<{ state: PipelineRunState | 'SUBMITTED'; message?: string }> {
    if (runId.startsWith('ssh-')) {
      const run = this.sshRun(clusterId, runId);
      if (TERMINAL.has(run.state)) throw new AppError('CONFLICT', `The run has already ended (${run.state}).`);
      run.state = 'CANCEL_PENDING';
      run.abort.abort();
      run.changed.forEach((listener) => listener());
      return { state: 'CANCEL_PENDING' };
    }
    const scope = await this.deps.aws.aws();
    try {
      const answer = await scope.use(EMRClient, (emr) =>
        emr.send(new CancelStepsCommand({ ClusterId: clusterId, StepIds: [runId], StepCancellationOption: 'SEND_INTERRUPT' }), {
          abortSignal: signal,
        }),
      );
      const info = answer.CancelStepsInfoList?.[0];
      if (info?.Status === 'FAILED')
        throw new AppError('CONFLICT', `EMR did not cancel ${runId}: ${info.Reason ?? 'it is not pending or running'}`);
      return { state: 'SUBMITTED', ...(info?.Reason ? { message: info.Reason } : {}) };
    } catch (error) {
      throw emrError(error, clusterId);
    }
  }

  follow(clusterId: string, runId: string, signal: AbortSignal): AsyncGenerator<PipelineRunChunk> {
    return runId.startsWith('ssh-') ? this.followSsh(this.sshRun(clusterId, runId), signal) : this.followStep(clusterId, runId, signal);
  }

  private sshRun(clusterId: string, runId: string): SshRun {
    const run = this.sshRuns.get(runId);
    if (!run || run.clusterId !== clusterId) throw new AppError('NOT_FOUND', `No spark-submit run ${runId} on ${clusterId}`);
    return run;
  }

  private async *followSsh(run: SshRun, signal: AbortSignal): AsyncGenerator<PipelineRunChunk> {
    const parser = new OutputParser();
    let sent = Math.max(run.dropped, run.dropped + run.output.length - TAIL_BYTES);
    let state: PipelineRunState | undefined;
    let wake: (() => void) | undefined;
    const listener = () => wake?.();
    run.changed.add(listener);
    try {
      for (;;) {
        const ended = TERMINAL.has(run.state);
        if (run.state !== state && !ended) {
          state = run.state;
          yield { kind: 'state', state };
        }
        const end = run.dropped + run.output.length;
        if (end > sent) {
          const text = run.output.slice(Math.max(0, sent - run.dropped));
          sent = end;
          for (const piece of pieces(text)) yield { kind: 'log', stream: 'stdout', text: piece };
          for (const found of parser.push(text)) yield await this.withSparkUi(run.clusterId, found, false);
        }
        if (ended) {
          yield { kind: 'state', state: run.state, ...(run.reason ? { reason: run.reason } : {}) };
          return;
        }
        await sleep(POLL_MS, signal, (done) => (wake = done));
        if (signal.aborted) return;
      }
    } finally {
      run.changed.delete(listener);
    }
  }

  private async *followStep(clusterId: string, stepId: string, signal: AbortSignal): AsyncGenerator<PipelineRunChunk> {
    const scope = await this.deps.aws.aws();
    const { sandbox } = scope;
    // Both live as long as the follow does.
    const emr = scope.client(EMRClient);
    const s3 = scope.client(S3Client);
    const parser = new OutputParser();
    let state: PipelineRunState | undefined;
    try {
      // Step logs are read one way, from the cluster's LogUri, on AWS and on the sandbox alike.
      const logs = await S3StepLogs.of(emr, s3, clusterId, stepId, sandbox ? SANDBOX_LOG_POLL_MS : S3_LOG_POLL_MS, signal);
      for (;;) {
        const step = await emr
          .send(new DescribeStepCommand({ ClusterId: clusterId, StepId: stepId }), { abortSignal: signal })
          .catch((error: unknown) => {
            throw emrError(error, clusterId);
          });
        const status = step.Step?.Status;
        const now = (status?.State ?? 'PENDING') as PipelineRunState;
        const ended = TERMINAL.has(now);
        if (now !== state && !ended) {
          state = now;
          yield { kind: 'state', state: now };
        }
        for (const { stream, text } of await logs.read(ended, signal)) {
          for (const piece of pieces(text)) yield { kind: 'log', stream, text: piece };
          if (stream === 'stdout') for (const found of parser.push(text)) yield await this.withSparkUi(clusterId, found, sandbox);
        }
        if (ended) {
          const failure = status?.FailureDetails;
          const reason = [failure?.Reason, failure?.Message].filter(Boolean).join(': ') || status?.StateChangeReason?.Message;
          yield { kind: 'state', state: now, ...(reason ? { reason } : {}), ...(failure?.LogFile ? { logFile: failure.LogFile } : {}) };
          return;
        }
        await sleep(POLL_MS, signal);
        if (signal.aborted) return;
      }
    } finally {
      emr.destroy();
      s3.destroy();
    }
  }

  /** An event chunk as parsed, plus a Spark UI chunk when the job says it started. */
  private async withSparkUi(clusterId: string, found: PipelineRunChunk, sandbox: boolean): Promise<PipelineRunChunk> {
    if (found.kind !== 'event' || found.event.event !== 'started' || typeof found.event.applicationId !== 'string') return found;
    const applicationId = found.event.applicationId;
    // The event itself is part of the log; the UI link is what the renderer needs from it.
    if (sandbox || applicationId.startsWith('local-')) {
      return {
        kind: 'sparkUi',
        applicationId,
        note: 'Spark runs in local mode on the sandbox master with its web UI off (spark.ui.enabled=false); the step’s logs are its record.',
      };
    }
    const session = this.deps.sessions.list().find((s) => s.kind === 'master' && s.clusterId === clusterId && s.state === 'up');
    if (!session)
      return {
        kind: 'sparkUi',
        applicationId,
        note: `Open an SSH session to ${clusterId} under Sessions to reach the Spark UI through the YARN ResourceManager’s proxy (/proxy/${applicationId}/).`,
      };
    try {
      const tunnel =
        session.tunnels.find((t) => t.service === 'yarn' && !t.state.startsWith('failed')) ??
        (await this.deps.sessions.forward(session.id, 'yarn'));
      return { kind: 'sparkUi', applicationId, url: `${tunnel.url ?? `http://127.0.0.1:${tunnel.localPort}/`}proxy/${applicationId}/` };
    } catch (error) {
      return {
        kind: 'sparkUi',
        applicationId,
        note: `No tunnel to the YARN ResourceManager: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }

  dispose(): void {
    for (const run of this.sshRuns.values()) run.abort.abort();
  }
}

/** Lines the jobs print for the app: TRIBUTARY_EVENT {json} and TRIBUTARY_SUMMARY {json}. */
export class OutputParser {
  private partial = '';

  push(text: string): PipelineRunChunk[] {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    const found: PipelineRunChunk[] = [];
    for (const line of lines) {
      const match = /^(TRIBUTARY_EVENT|TRIBUTARY_SUMMARY) (\{.*\})\s*$/.exec(line);
      if (!match) continue;
      try {
        const value = JSON.parse(match[2]!) as Record<string, unknown>;
        found.push(match[1] === 'TRIBUTARY_SUMMARY' ? { kind: 'summary', summary: value } : { kind: 'event', event: value });
      } catch {
        // A line that only looks like one: it stays in the log.
      }
    }
    return found;
  }
}

function pieces(text: string): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += CHUNK_BYTES) out.push(text.slice(at, at + CHUNK_BYTES));
  return out;
}
