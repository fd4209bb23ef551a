import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../shared/node/log.js';
import type { Interceptor } from '../gateway/server.js';
import { StepRunner, type StepDefinition, type StepRun } from './step-runner.js';

export interface EmrPacing {
  startingMs: number;
  bootstrappingMs: number;
  terminatingMs: number;
}

export interface EmrMaster {
  /** What DescribeCluster and ListInstances give as the master's address. */
  host: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  logDir: string;
  /** The sandbox's S3, where step logs go under each cluster's LogUri. */
  s3: S3Client;
  log: Logger;
}

interface ClusterRun {
  createdAt: number;
  keepAlive: boolean;
  terminatedAt?: number;
  /** From RunJobFlow, or from DescribeCluster for a cluster this gateway did not see created. */
  logUri?: string;
  runner: StepRunner;
}

type Json = Record<string, unknown>;

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/**
 * EMR as an operator sees it, on top of the emulator's bookkeeping: clusters go
 * STARTING → BOOTSTRAPPING → WAITING over real seconds, their master is the
 * sandbox master, and steps run for real there with their real exit status.
 */
export function emrInterceptor(master: EmrMaster, pace: EmrPacing): Interceptor {
  const clusters = new Map<string, ClusterRun>();

  const track = (id: string, createdAt: number, keepAlive: boolean, readyAt: number, logUri: string | undefined): ClusterRun => {
    const run: ClusterRun = {
      createdAt,
      keepAlive,
      ...(logUri ? { logUri } : {}),
      runner: new StepRunner({
        clusterId: id,
        logDir: join(master.logDir, id),
        env: master.env,
        cwd: master.cwd,
        readyAt,
        s3: master.s3,
        logUri: () => run.logUri,
        log: master.log,
      }),
    };
    clusters.set(id, run);
    return run;
  };

  // A cluster created before this gateway started: treat it as long ready.
  const cluster = (id: string): ClusterRun => clusters.get(id) ?? track(id, 0, true, 0, undefined);

  const state = (id: string, emulated: string): string => {
    const run = cluster(id);
    const now = Date.now();
    if (run.terminatedAt !== undefined) return now - run.terminatedAt < pace.terminatingMs ? 'TERMINATING' : 'TERMINATED';
    const age = now - run.createdAt;
    if (age < pace.startingMs) return 'STARTING';
    if (age < pace.startingMs + pace.bootstrappingMs) return 'BOOTSTRAPPING';
    if (run.runner.busy()) return 'RUNNING';
    if (!run.keepAlive && run.runner.everRan()) {
      run.terminatedAt = now;
      return 'TERMINATING';
    }
    return emulated === 'TERMINATED' && run.keepAlive ? 'WAITING' : emulated;
  };

  const stepStatus = (run: StepRun): Json => ({
    State: run.state,
    StateChangeReason: {},
    Timeline: { CreationDateTime: seconds(run.createdAt), StartDateTime: seconds(run.startedAt), EndDateTime: seconds(run.endedAt) },
    ...(run.failure ? { FailureDetails: { Reason: run.failure.reason, Message: run.failure.message, LogFile: run.failure.logFile } } : {}),
  });

  /** Steps the emulator knows of (e.g. given to RunJobFlow) that have not been queued yet. */
  const adopt = (clusterId: string, steps: Json[]) => {
    const runner = cluster(clusterId).runner;
    const fresh = steps.filter((step) => !runner.get(String(step.Id))).map((step) => definitionFrom(String(step.Id), step));
    // The emulator lists newest first; EMR runs them in submission order.
    if (fresh.length) runner.add(fresh.reverse());
  };

  return {
    async answer(operation, body) {
      if (operation !== 'CancelSteps') return undefined;
      const input = JSON.parse(body || '{}') as { ClusterId?: string; StepIds?: string[] };
      const runner = cluster(String(input.ClusterId)).runner;
      const list = (input.StepIds ?? []).map((id) =>
        runner.cancel(id)
          ? { StepId: id, Status: 'SUBMITTED' }
          : { StepId: id, Status: 'FAILED', Reason: 'Step is not pending or running' },
      );
      return { status: 200, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ CancelStepsInfoList: list }) };
    },

    async rewrite(operation, requestBody, responseBody, status) {
      if (status !== 200) return responseBody;
      const request = JSON.parse(requestBody || '{}') as Json;
      const response = JSON.parse(responseBody || '{}') as Json;
      switch (operation) {
        case 'RunJobFlow': {
          const instances = (request.Instances ?? {}) as Json;
          const readyAt = Date.now() + pace.startingMs + pace.bootstrappingMs;
          const logUri = typeof request.LogUri === 'string' ? request.LogUri : undefined;
          track(String(response.JobFlowId), Date.now(), instances.KeepJobFlowAliveWhenNoSteps === true, readyAt, logUri);
          break;
        }
        case 'DescribeCluster': {
          const c = response.Cluster as Json;
          const s = c.Status as Json;
          s.State = state(String(c.Id), String(s.State));
          c.MasterPublicDnsName = master.host;
          // The LogUri RunJobFlow was given, kept here whether or not the emulator answers with it; learnt from its answer otherwise.
          const run = cluster(String(c.Id));
          if (typeof c.LogUri === 'string') run.logUri ??= c.LogUri;
          else if (run.logUri) c.LogUri = run.logUri;
          break;
        }
        case 'ListClusters':
          for (const c of (response.Clusters ?? []) as Json[]) {
            const s = c.Status as Json;
            s.State = state(String(c.Id), String(s.State));
          }
          break;
        case 'ListInstances':
          if (!((response.Instances as Json[] | undefined) ?? []).length) {
            response.Instances = [
              {
                Id: 'ci-sandbox-master',
                Ec2InstanceId: 'i-sandboxmaster',
                PublicDnsName: master.host,
                PublicIpAddress: master.host,
                PrivateDnsName: master.host,
                PrivateIpAddress: master.host,
                Status: { State: 'RUNNING' },
                InstanceType: 'local',
                Market: 'ON_DEMAND',
              },
            ];
          }
          break;
        case 'AddJobFlowSteps': {
          const ids = (response.StepIds ?? []) as string[];
          const steps = (request.Steps ?? []) as Json[];
          cluster(String(request.JobFlowId)).runner.add(ids.map((id, i) => definitionFrom(id, steps[i] ?? {})));
          break;
        }
        case 'ListSteps': {
          const steps = (response.Steps ?? []) as Json[];
          adopt(String(request.ClusterId), steps);
          const runner = cluster(String(request.ClusterId)).runner;
          for (const step of steps) {
            const run = runner.get(String(step.Id));
            if (run) step.Status = stepStatus(run);
          }
          break;
        }
        case 'DescribeStep': {
          const step = response.Step as Json;
          adopt(String(request.ClusterId), [step]);
          const run = cluster(String(request.ClusterId)).runner.get(String(step.Id));
          if (run) step.Status = stepStatus(run);
          break;
        }
        case 'TerminateJobFlows':
          for (const id of (request.JobFlowIds ?? []) as string[]) {
            const run = cluster(id);
            run.terminatedAt ??= Date.now();
            run.runner.stopAll();
          }
          break;
      }
      return JSON.stringify(response);
    },
  };
}

function definitionFrom(id: string, step: Json): StepDefinition {
  const jarStep = (step.HadoopJarStep ?? step.Config ?? {}) as Json;
  return {
    id,
    name: String(step.Name ?? id),
    jar: String(jarStep.Jar ?? ''),
    args: ((jarStep.Args ?? []) as unknown[]).map(String),
    actionOnFailure: String(step.ActionOnFailure ?? 'CONTINUE'),
  };
}
