import { execFileSync } from 'node:child_process';
import { DescribeClusterCommand, EMRClient, RunJobFlowCommand } from '@aws-sdk/client-emr';
import type { Core } from '../../electron/core/core.js';
import { sandboxClientConfig, type SandboxAccess } from '../../sandbox/client/constants.js';
import type { RunFile } from '../../sandbox/client/run-file.js';
import { until } from './until.js';

/** An EMR cluster in the sandbox, made as the provisioning wizard makes one, once it is WAITING. */
export async function startSandboxCluster(
  access: SandboxAccess,
  name: string,
  { applications = [], logUri, timeoutMs = 60_000 }: { applications?: string[]; logUri?: string; timeoutMs?: number } = {},
): Promise<string> {
  const emr = new EMRClient(sandboxClientConfig(access));
  try {
    const { JobFlowId } = await emr.send(
      new RunJobFlowCommand({
        Name: name,
        ReleaseLabel: 'emr-7.5.0',
        // The wizard sets one: step logs reach S3 there, where the app reads them (as on AWS).
        ...(logUri ? { LogUri: logUri } : {}),
        ...(applications.length ? { Applications: applications.map((Name) => ({ Name })) } : {}),
        Instances: {
          KeepJobFlowAliveWhenNoSteps: true,
          InstanceCount: 1,
          MasterInstanceType: 'm5.xlarge',
          Ec2KeyName: 'tributary-sandbox',
        },
        JobFlowRole: 'EMR_EC2_DefaultRole',
        ServiceRole: 'EMR_DefaultRole',
      }),
    );
    const clusterId = JobFlowId!;
    await until(
      'WAITING cluster',
      async () => (await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }))).Cluster?.Status?.State === 'WAITING',
      timeoutMs,
    );
    return clusterId;
  } finally {
    emr.destroy();
  }
}

/** An SSH session to the sandbox cluster's master through the core (with the sandbox's own key), trusting the host key the run file publishes. */
export async function openSandboxMaster(core: Core, run: RunFile, clusterId: string, signal: AbortSignal): Promise<string> {
  const fingerprint = execFileSync('ssh-keygen', ['-lf', '-'], { input: `${run.master.knownHostsLine}\n`, encoding: 'utf8' }).split(
    ' ',
  )[1]!;
  const opened = await core.handlers['sessions.openMaster']({ clusterId, trustFingerprint: fingerprint }, { signal });
  if (opened.kind !== 'session') throw new Error(`no session: ${JSON.stringify(opened)}`);
  return opened.session.id;
}
