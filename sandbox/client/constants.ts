import { awsClientConfig } from '../../shared/node/aws-config.js';

/** The sandbox's fixed credentials: the emulator accepts any, and these are not secrets. */
export const SANDBOX_CREDENTIALS = { accessKeyId: 'AKIASANDBOX000000000', secretAccessKey: 'tributary-sandbox' } as const;
export const SANDBOX_REGION = 'us-east-1';
/** The EC2 key pair the sandbox account has from the start; its private key opens the sandbox master. */
export const SANDBOX_KEY_PAIR = 'tributary-sandbox';

/** SDK client settings for the sandbox's one endpoint, through the one SDK configuration. */
export function sandboxClientConfig(endpoint: string, version = 'sandbox') {
  return awsClientConfig({ region: SANDBOX_REGION, endpoint, credentials: SANDBOX_CREDENTIALS }, `tributary/${version}`);
}
