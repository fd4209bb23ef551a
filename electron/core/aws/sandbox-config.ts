import { NodeHttpHandler } from '@smithy/node-http-handler';

/** The sandbox's fixed credentials: the emulator accepts any, and these are not secrets. */
export const SANDBOX_CREDENTIALS = { accessKeyId: 'AKIASANDBOX000000000', secretAccessKey: 'tributary-sandbox' } as const;
export const SANDBOX_REGION = 'us-east-1';
export const SANDBOX_ACCOUNT = '123456789012';

/**
 * SDK client settings for the sandbox's one endpoint. HTTP/1.1 on purpose: the
 * SDK's HTTP/2 default fails against local emulators. Checksums only where
 * required, so streamed uploads are not sent aws-chunked.
 */
export function sandboxClientConfig(endpoint: string) {
  return {
    endpoint,
    region: SANDBOX_REGION,
    credentials: SANDBOX_CREDENTIALS,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 60_000 }),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
    maxAttempts: 3,
  };
}
