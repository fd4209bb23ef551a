import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Environment } from '../../../shared/contract/index.js';

export interface AwsTarget {
  region: string;
  /** An endpoint override (the sandbox, a VPC endpoint); AWS's own endpoints otherwise. */
  endpoint?: string;
  /** Absent for APIs that take no signature (SSO OIDC's sign-in calls). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/**
 * The one place every AWS client is configured: region, endpoint, adaptive
 * retries, Tributary's user agent, and HTTP/1.1 (the SDK's HTTP/2 default
 * fails against local emulators and gains nothing for these APIs). Callers
 * pass the operation's AbortSignal to `send`, so a cancel stops the request.
 */
export function awsClientConfig(target: AwsTarget, version: string) {
  return {
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 60_000 }),
    retryMode: 'adaptive',
    maxAttempts: 5,
    customUserAgent: `tributary/${version}`,
    // Path-style S3 works with endpoint overrides; checksums only where required keep uploads plain.
    forcePathStyle: target.endpoint !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
}

/** What every SDK v3 client has: built from a config, and `destroy()` to close its sockets. */
export interface AwsClient {
  destroy(): void;
}
export type AwsClientClass<C extends AwsClient> = new (config: ReturnType<typeof awsClientConfig>) => C;

/**
 * An environment's AWS, as every service reaches it: the one way to build a
 * client for it (`use`, which destroys the client afterwards, or `client`
 * for one that lives as long as its owner, who destroys it).
 */
export class AwsScope {
  constructor(
    readonly environment: Pick<Environment, 'id' | 'name' | 'kind' | 'region'>,
    readonly target: AwsTarget,
    private readonly version: string,
  ) {}

  get sandbox(): boolean {
    return this.environment.kind === 'sandbox';
  }

  get region(): string {
    return this.target.region;
  }

  /** A client that its owner destroys; in another region when `region` is given (S3 buckets live in theirs). */
  client<C extends AwsClient>(Client: AwsClientClass<C>, region?: string): C {
    return new Client(awsClientConfig(region ? { ...this.target, region } : this.target, this.version));
  }

  /** Runs `work` with a fresh client and destroys it however `work` ends. */
  async use<C extends AwsClient, T>(Client: AwsClientClass<C>, work: (client: C) => Promise<T>, region?: string): Promise<T> {
    const client = this.client(Client, region);
    try {
      return await work(client);
    } finally {
      client.destroy();
    }
  }
}

/** The port services take to reach AWS: the active environment's scope, or a named environment's. */
export interface AwsAccess {
  aws(environmentId?: string): Promise<AwsScope>;
}
