import { awsClientConfig } from '../../shared/node/aws-config.js';

export const SANDBOX_REGION = 'us-east-1';
/** The EC2 key pair the sandbox account has from the start; its private key opens the sandbox master. */
export const SANDBOX_KEY_PAIR = 'tributary-sandbox';

/** Where a sandbox's AWS endpoint is and the access key pair it requires: what a run file says (run-file.ts). */
export interface SandboxAccess {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** SDK client settings for the sandbox's one endpoint, signed with the run's keys, through the one SDK configuration. */
export function sandboxClientConfig(access: SandboxAccess, version = 'sandbox') {
  return awsClientConfig({ region: SANDBOX_REGION, endpoint: access.endpoint, credentials: access.credentials }, `tributary/${version}`);
}
