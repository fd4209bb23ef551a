import type { Environment } from '../../../shared/contract/index.js';
import { awsClientConfig as sdkClientConfig, type AwsTarget } from '../../../shared/node/aws-config.js';

export type { AwsTarget };

/** Every AWS client of the app: the one SDK configuration (shared/node/aws-config.ts) with Tributary's user agent. */
export function awsClientConfig(target: AwsTarget, version: string) {
  return sdkClientConfig(target, `tributary/${version}`);
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
