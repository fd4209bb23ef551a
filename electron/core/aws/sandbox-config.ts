import { awsClientConfig } from './clients.js';

/** The sandbox's fixed credentials: the emulator accepts any, and these are not secrets. */
export const SANDBOX_CREDENTIALS = { accessKeyId: 'AKIASANDBOX000000000', secretAccessKey: 'tributary-sandbox' } as const;
export const SANDBOX_REGION = 'us-east-1';

/** SDK client settings for the sandbox's one endpoint, through the one client factory. */
export function sandboxClientConfig(endpoint: string, version = 'sandbox') {
  return awsClientConfig({ region: SANDBOX_REGION, endpoint, credentials: SANDBOX_CREDENTIALS }, version);
}
