import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface AwsTarget {
  region: string;
  /** An endpoint override (the sandbox, a VPC endpoint); AWS's own endpoints otherwise. */
  endpoint?: string;
  /** Absent for APIs that take no signature (SSO OIDC's sign-in calls). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/**
 * The one SDK client configuration, for the app and the sandbox alike: region, endpoint, adaptive
 * retries, the caller's user agent, and HTTP/1.1 (the SDK's HTTP/2 default fails against local
 * emulators and gains nothing for these APIs). Callers pass the operation's AbortSignal to `send`,
 * so a cancel stops the request.
 */
export function awsClientConfig(target: AwsTarget, userAgent: string) {
  return {
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 60_000 }),
    retryMode: 'adaptive',
    maxAttempts: 5,
    customUserAgent: userAgent,
    // Path-style S3 works with endpoint overrides; checksums only where required keep uploads plain.
    forcePathStyle: target.endpoint !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
}
