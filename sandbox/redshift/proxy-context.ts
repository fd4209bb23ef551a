import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../shared/node/log.js';
import type { SystemTables } from './system-tables.js';

/** What every session of the proxy shares, and what COPY and UNLOAD carried out in it reach. */
export interface ProxyContext {
  upstreamPort: number;
  s3: S3Client;
  log: Logger;
  system: SystemTables;
}
