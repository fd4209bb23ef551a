/** Who a proxy session is, as the system tables record it. */
export interface SessionInfo {
  user: string;
  database: string;
  pid: number;
  /** The id of the COPY being carried out, given by the proxy; the first load of the statement takes it. */
  queryId?: number;
}

/** A UTC wall-clock time with microseconds, as Redshift's system tables keep it (timestamp without time zone). */
export function utcTimestamp(micros: bigint): string {
  const millis = micros / 1000n;
  const rest = micros % 1000n;
  return `${new Date(Number(millis)).toISOString().slice(0, 23).replace('T', ' ')}${rest.toString().padStart(3, '0')}`;
}
