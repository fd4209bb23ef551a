import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A MOCK, not an emulator: no real IAM Identity Center can run here, and moto
 * emulates neither SSO OIDC nor the SSO portal. This loopback HTTP server
 * answers just the wire calls of `aws sso login` and of the SDK's fromSSO, in
 * their real protocols, so the SDK's own clients talk to it through the
 * standard endpoint variables (AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO,
 * AWS_ENDPOINT_URL_STS) or an environment's endpoint override:
 *
 * - SSO OIDC (restJson1): RegisterClient, StartDeviceAuthorization, CreateToken
 *   (authorization_pending `pendingPolls` times, then a token);
 * - the SSO portal: GetRoleCredentials (GET /federation/credentials), for the
 *   access token it issued only;
 * - STS (awsQuery) GetCallerIdentity, for the role credentials it issued only;
 * - Redshift (awsQuery) DescribeClusters, from `redshiftClusters`.
 */
export interface AwsStandIn {
  url: string;
  /** Operation names in the order they arrived. */
  calls: string[];
  /** The JSON bodies of RegisterClient calls. */
  registrations: Record<string, unknown>[];
  /** CreateToken polls answered with authorization_pending before the token; Infinity never approves. */
  pendingPolls: number;
  /** Every secret handed out (client secrets, device codes, access and refresh tokens, role keys): none may reach a UI or a log. */
  secrets: string[];
  /** What GetRoleCredentials was last asked for. */
  lastRole?: { accountId: string; roleName: string };
  /** The region of the last GetCallerIdentity's signature. */
  stsRegion?: string;
  redshiftClusters: Record<string, { address: string; port: number }>;
  close(): Promise<void>;
}

export const USER_CODE = 'WDJB-MJHT';

export async function startAwsStandIn(): Promise<AwsStandIn> {
  const secret = (prefix: string) => {
    const value = `${prefix}${randomBytes(12).toString('hex')}`;
    standIn.secrets.push(value);
    return value;
  };
  const issued = { accessTokens: new Set<string>(), keyIds: new Set<string>() };
  let polls = 0;

  const json = (res: ServerResponse, status: number, body: unknown, errorType?: string) => {
    res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
    res.end(JSON.stringify(body));
  };
  const xml = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    let text = '';
    for await (const chunk of req) text += (chunk as Buffer).toString();
    if (req.method === 'POST' && url.pathname === '/client/register') {
      standIn.calls.push('RegisterClient');
      standIn.registrations.push(JSON.parse(text) as Record<string, unknown>);
      const now = Math.floor(Date.now() / 1000);
      return json(res, 200, {
        clientId: `client-${randomBytes(4).toString('hex')}`,
        clientSecret: secret('client-secret-'),
        clientIdIssuedAt: now,
        clientSecretExpiresAt: now + 90 * 86400,
      });
    }
    if (req.method === 'POST' && url.pathname === '/device_authorization') {
      standIn.calls.push('StartDeviceAuthorization');
      polls = 0;
      return json(res, 200, {
        deviceCode: secret('device-code-'),
        userCode: USER_CODE,
        verificationUri: 'https://device.sso.us-east-1.amazonaws.com/',
        verificationUriComplete: `https://device.sso.us-east-1.amazonaws.com/?user_code=${USER_CODE}`,
        expiresIn: 600,
        // One second keeps the test short; the service says 1 too.
        interval: 1,
      });
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      standIn.calls.push('CreateToken');
      const body = JSON.parse(text) as { grantType?: string };
      if (body.grantType !== 'urn:ietf:params:oauth:grant-type:device_code')
        return json(res, 400, { error: 'unsupported_grant_type' }, 'UnsupportedGrantTypeException');
      if (polls++ < standIn.pendingPolls)
        return json(res, 400, { error: 'authorization_pending', error_description: 'Not approved yet' }, 'AuthorizationPendingException');
      const accessToken = secret('access-token-');
      issued.accessTokens.add(accessToken);
      return json(res, 200, { accessToken, tokenType: 'Bearer', expiresIn: 3600, refreshToken: secret('refresh-token-') });
    }
    if (req.method === 'GET' && url.pathname === '/federation/credentials') {
      standIn.calls.push('GetRoleCredentials');
      if (!issued.accessTokens.has(String(req.headers['x-amz-sso_bearer_token'])))
        return json(res, 401, { message: 'Session token not found or invalid' }, 'UnauthorizedException');
      standIn.lastRole = { accountId: url.searchParams.get('account_id') ?? '', roleName: url.searchParams.get('role_name') ?? '' };
      const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
      issued.keyIds.add(accessKeyId);
      return json(res, 200, {
        roleCredentials: {
          accessKeyId,
          secretAccessKey: secret('role-secret-'),
          sessionToken: secret('role-session-'),
          expiration: Date.now() + 3600_000,
        },
      });
    }
    const form = new URLSearchParams(text);
    const action = form.get('Action');
    if (req.method === 'POST' && action === 'GetCallerIdentity') {
      standIn.calls.push('GetCallerIdentity');
      const [, keyId = '', region] = /Credential=([A-Z0-9]+)\/\d+\/([a-z0-9-]+)\/sts\//.exec(String(req.headers.authorization)) ?? [];
      standIn.stsRegion = region;
      if (!issued.keyIds.has(keyId) || !standIn.lastRole) {
        return xml(
          res,
          403,
          '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>',
        );
      }
      const { accountId, roleName } = standIn.lastRole;
      return xml(
        res,
        200,
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::${accountId}:assumed-role/AWSReservedSSO_${roleName}_0123456789abcdef/operator</Arn><UserId>AROAEXAMPLE:operator</UserId><Account>${accountId}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    }
    if (req.method === 'POST' && action === 'DescribeClusters') {
      standIn.calls.push('DescribeClusters');
      const id = form.get('ClusterIdentifier') ?? '';
      const cluster = standIn.redshiftClusters[id];
      if (!cluster) {
        return xml(
          res,
          404,
          `<ErrorResponse><Error><Type>Sender</Type><Code>ClusterNotFound</Code><Message>Cluster ${id} not found.</Message></Error></ErrorResponse>`,
        );
      }
      return xml(
        res,
        200,
        `<DescribeClustersResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/"><DescribeClustersResult><Clusters><Cluster><ClusterIdentifier>${id}</ClusterIdentifier><ClusterStatus>available</ClusterStatus><PubliclyAccessible>false</PubliclyAccessible><Endpoint><Address>${cluster.address}</Address><Port>${cluster.port}</Port></Endpoint></Cluster></Clusters></DescribeClustersResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></DescribeClustersResponse>`,
      );
    }
    standIn.calls.push(`unexpected ${req.method} ${url.pathname} ${action ?? ''}`);
    return json(res, 404, { message: 'The stand-in does not answer this call' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => json(res, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const standIn: AwsStandIn = {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    calls: [],
    registrations: [],
    pendingPolls: 2,
    secrets: [],
    redshiftClusters: {},
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return standIn;
}
