import type { ConnectionInfo } from '../../../shared/contract/index.js';
import type { Engine } from '../engines/engine.js';

/** What the warehouse domain needs of the workbench's connections: an engine of its own, never the operator's session. */
export interface WarehouseConnections {
  /** The connection as listed (its engine kind, dialect, spec without secret). */
  info(connectionId: string, signal: AbortSignal): Promise<ConnectionInfo>;
  /** A new engine on the connection, with its login and tunnel, that the caller closes. */
  open(connectionId: string, signal: AbortSignal): Promise<Engine>;
}

/** What a Redshift connection runs on, as pricing needs it: a provisioned cluster's nodes, or a Serverless workgroup's base RPU. */
export type WarehouseCompute =
  | {
      kind: 'cluster';
      nodeType: string;
      count: number;
      region: string;
      /** Said beside the price when the shape was not read from AWS. */ assumed?: string;
    }
  | { kind: 'workgroup'; baseRpu: number; region: string };

/** What the warehouse domain needs of provision: the compute behind a connection and the dated price table. */
export interface WarehousePricing {
  /** The cluster or workgroup behind a connection (DescribeClusters, or the workgroup's base RPU); undefined when unknown. */
  compute(connection: ConnectionInfo, signal: AbortSignal): Promise<WarehouseCompute | undefined>;
  /** A node type's on-demand $/hour in a region, and the region the table priced. */
  nodePrice(region: string, nodeType: string): { usd: number; pricedRegion: string } | undefined;
  /** Serverless's $ per RPU-hour in a region. */
  rpuPrice(region: string): { rpuHour: number; minimumChargeSeconds: number; pricedRegion: string };
  /** The price table's date (YYYY-MM-DD). */
  priceDate: string;
}
