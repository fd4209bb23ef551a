import type { Interceptor } from './gateway/server.js';

export interface RedshiftEndpoint {
  host: string;
  /** The Redshift stand-in's port (the PostgreSQL wire-protocol proxy). */
  port: number;
  creatingMs: number;
  /** Makes the master user and database exist on the stand-in, as CreateCluster does on AWS. */
  provision(cluster: { user: string; password: string; database: string }): Promise<void>;
  /** Makes GetClusterCredentials' temporary user log in, as the named user, until it expires. */
  temporaryCredentials(credentials: { dbUser: string; asUser: string; password: string; expiresAt: string }): Promise<void>;
}

/**
 * Redshift's control plane as an operator sees it, on top of the emulator: a new
 * cluster is "creating" for a while, then "available" at an endpoint that really
 * answers SQL, with the master user and database the request asked for.
 */
export function redshiftInterceptor(endpoint: RedshiftEndpoint): Interceptor {
  const createdAt = new Map<string, number>();

  const rewriteCluster = (block: string): string => {
    const id = /<ClusterIdentifier>([^<]+)<\/ClusterIdentifier>/.exec(block)?.[1] ?? '';
    const age = Date.now() - (createdAt.get(id) ?? 0);
    let out = block.replace(
      /<Endpoint>[\s\S]*?<\/Endpoint>/,
      `<Endpoint><Address>${endpoint.host}</Address><Port>${endpoint.port}</Port></Endpoint>`,
    );
    if (age < endpoint.creatingMs) {
      out = out.replace(/<ClusterStatus>[^<]*<\/ClusterStatus>/, '<ClusterStatus>creating</ClusterStatus>');
      // While creating, AWS has no endpoint yet.
      out = out.replace(/<Endpoint>[\s\S]*?<\/Endpoint>/, '');
    }
    return out;
  };

  return {
    async rewrite(operation, requestBody, responseBody, status) {
      if (status !== 200) return responseBody;
      if (operation === 'CreateCluster') {
        const form = new URLSearchParams(requestBody);
        const id = form.get('ClusterIdentifier') ?? '';
        createdAt.set(id, Date.now());
        await endpoint.provision({
          user: form.get('MasterUsername') ?? 'awsuser',
          password: form.get('MasterUserPassword') ?? '',
          database: form.get('DBName') ?? 'dev',
        });
      }
      if (operation === 'GetClusterCredentials') {
        const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(responseBody)?.[1] ?? '';
        const dbUser = field('DbUser');
        await endpoint.temporaryCredentials({
          dbUser,
          asUser: dbUser.replace(/^IAMA?:/, ''),
          password: field('DbPassword'),
          expiresAt: field('Expiration'),
        });
      }
      if (
        operation === 'CreateCluster' ||
        operation === 'DescribeClusters' ||
        operation === 'ModifyCluster' ||
        operation === 'RebootCluster'
      ) {
        return responseBody.replace(/<Cluster>[\s\S]*?<\/Cluster>/g, rewriteCluster);
      }
      return responseBody;
    },
  };
}
