/**
 * SYS_SERVERLESS_USAGE computed from statement durations: a workgroup is
 * billed while any statement runs, at its base capacity, per second with a
 * 60-second minimum for each burst of activity. The base capacity is a
 * setting of the database (tributary_sys.settings, `base_capacity`, default
 * 128 RPU), which the sandbox's Serverless workgroups set with
 * setBaseCapacitySql.
 */
export const DEFAULT_BASE_CAPACITY = 128;

export const serverlessUsageSql = String.raw`
CREATE TABLE IF NOT EXISTS tributary_sys.settings (name text PRIMARY KEY, value text NOT NULL);
CREATE OR REPLACE FUNCTION tributary_sys.base_capacity() RETURNS double precision LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT value::double precision FROM tributary_sys.settings WHERE name = 'base_capacity'), ${DEFAULT_BASE_CAPACITY}) $$;
SET allow_system_table_mods = on;
DROP VIEW IF EXISTS pg_catalog.sys_serverless_usage;
CREATE VIEW pg_catalog.sys_serverless_usage AS
  WITH busy AS (
    SELECT unnest(range_agg(tsrange(s, e))) AS r FROM (
      SELECT start_time AS s, end_time AS e FROM tributary_sys.query_history WHERE end_time > start_time
      UNION ALL
      SELECT starttime, clock_timestamp() AT TIME ZONE 'UTC' FROM tributary_sys.statements WHERE running AND db_name = current_database()
    ) AS statements
  ), charged AS (
    SELECT unnest(range_agg(tsrange(lower(r), greatest(upper(r), lower(r) + interval '60 seconds')))) AS r FROM busy
  ), windows AS (
    SELECT DISTINCT tsrange(m, m + interval '1 minute') AS w FROM charged,
      generate_series(date_trunc('minute', lower(r)), upper(r) - interval '1 microsecond', interval '1 minute') AS m
  )
  SELECT lower(w) AS start_time, upper(w) AS end_time,
    (coalesce((SELECT sum(extract(epoch FROM upper(b.r * w) - lower(b.r * w))) FROM busy AS b WHERE b.r && w), 0)
      * tributary_sys.base_capacity())::double precision AS compute_seconds,
    tributary_sys.base_capacity() AS compute_capacity,
    ceil(pg_database_size(current_database()) / 1048576.0)::bigint AS data_storage,
    0::bigint AS cross_region_transferred_data,
    (coalesce((SELECT sum(extract(epoch FROM upper(c.r * w) - lower(c.r * w))) FROM charged AS c WHERE c.r && w), 0)
      * tributary_sys.base_capacity())::double precision AS charged_seconds,
    NULL::bigint AS usage_limit
  FROM windows;
RESET allow_system_table_mods;
GRANT SELECT ON pg_catalog.sys_serverless_usage TO PUBLIC;
`;

/** The statement (for the database of a workgroup) that sets the workgroup's base capacity in RPU. */
export function setBaseCapacitySql(rpu: number): { text: string; values: [string] } {
  return {
    text: `INSERT INTO tributary_sys.settings (name, value) VALUES ('base_capacity', $1) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
    values: [String(rpu)],
  };
}
