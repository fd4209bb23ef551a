/**
 * Redshift's table health and disk views on PostgreSQL. A table's design
 * (DISTSTYLE, DISTKEY, SORTKEY, ENCODE) reaches tributary_sys.table_design
 * from the comment the rewriter leaves in its CREATE or ALTER TABLE (see
 * table-design.ts), through an event trigger, keyed by table oid so a rename
 * keeps it and a drop forgets it. Distribution, sortedness and size are
 * measured on the table itself (a sample of at most 20,000 rows on bigger
 * tables) each time the view is read.
 */
export const SLICE_LAYOUT = { nodes: 2, slicesPerNode: 2, nodeCapacityMb: 163_840 };
const SLICES = SLICE_LAYOUT.nodes * SLICE_LAYOUT.slicesPerNode;
const SAMPLE_ROWS = 20_000;

export const tableHealthSql = String.raw`
CREATE TABLE IF NOT EXISTS tributary_sys.table_design (
  table_oid oid PRIMARY KEY, diststyle text NOT NULL DEFAULT 'AUTO', distkey smallint, sortkeys smallint[], sort_style text,
  encodings jsonb NOT NULL DEFAULT '{}', encode_auto boolean NOT NULL DEFAULT true,
  create_time timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE OR REPLACE FUNCTION tributary_sys.attnums(oid, jsonb) RETURNS smallint[] LANGUAGE sql STABLE AS $$
  SELECT array_agg(a.attnum ORDER BY k.n) FROM jsonb_array_elements_text($2) WITH ORDINALITY AS k(name, n)
  JOIN pg_attribute a ON a.attrelid = $1 AND a.attname = k.name AND NOT a.attisdropped $$;
CREATE OR REPLACE FUNCTION tributary_sys.record_design() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  command record;
  design jsonb;
BEGIN
  FOR command IN SELECT objid, command_tag FROM pg_event_trigger_ddl_commands() WHERE object_type = 'table' LOOP
    SELECT found.d INTO design FROM (SELECT m[1]::jsonb AS d
      FROM regexp_matches(current_query(), '/\*tributary:design (\{.*?\})\*/', 'g') AS m) AS found
      WHERE found.d->>'t' = (SELECT relname FROM pg_class WHERE oid = command.objid) LIMIT 1;
    IF command.command_tag <> 'ALTER TABLE' THEN
      -- A new table starts from Redshift's defaults, whatever a table that had its oid before left behind.
      INSERT INTO tributary_sys.table_design AS d (table_oid) VALUES (command.objid)
        ON CONFLICT (table_oid) DO UPDATE SET diststyle = 'AUTO', distkey = NULL, sortkeys = NULL, sort_style = NULL,
          encodings = '{}', encode_auto = true, create_time = now() AT TIME ZONE 'UTC';
    ELSIF design IS NOT NULL THEN
      INSERT INTO tributary_sys.table_design (table_oid) VALUES (command.objid) ON CONFLICT DO NOTHING;
    END IF;
    CONTINUE WHEN design IS NULL;
    UPDATE tributary_sys.table_design d SET
      diststyle = coalesce(design->>'ds', d.diststyle),
      distkey = CASE WHEN design ? 'dk' THEN (tributary_sys.attnums(command.objid, jsonb_build_array(design->>'dk')))[1]
        WHEN design ? 'ds' THEN NULL ELSE d.distkey END,
      sortkeys = CASE WHEN design ? 'sk' THEN tributary_sys.attnums(command.objid, design->'sk')
        WHEN design ? 'ss' THEN NULL ELSE d.sortkeys END,
      sort_style = CASE WHEN design ? 'ss' THEN design->>'ss' ELSE d.sort_style END,
      encodings = d.encodings || coalesce(design->'enc', '{}'),
      encode_auto = CASE WHEN design ? 'ea' THEN (design->>'ea')::boolean WHEN design ? 'enc' THEN false ELSE d.encode_auto END
    WHERE d.table_oid = command.objid;
  END LOOP;
EXCEPTION WHEN OTHERS THEN
  -- Keeping a table's design must never fail the client's DDL.
  NULL;
END $$;
CREATE OR REPLACE FUNCTION tributary_sys.forget_design() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM tributary_sys.table_design
    WHERE table_oid IN (SELECT objid FROM pg_event_trigger_dropped_objects() WHERE object_type = 'table');
EXCEPTION WHEN OTHERS THEN
  NULL;
END $$;
DROP EVENT TRIGGER IF EXISTS tributary_record_design;
CREATE EVENT TRIGGER tributary_record_design ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE') EXECUTE FUNCTION tributary_sys.record_design();
DROP EVENT TRIGGER IF EXISTS tributary_forget_design;
CREATE EVENT TRIGGER tributary_forget_design ON sql_drop EXECUTE FUNCTION tributary_sys.forget_design();
GRANT SELECT ON tributary_sys.table_design TO PUBLIC;

-- Rows per slice, sortedness and size, measured on the table (a sample above ${SAMPLE_ROWS} rows). A table another
-- session holds locked is not waited for: the catalog's estimates stand in.
CREATE OR REPLACE FUNCTION tributary_sys.table_shape(rel oid, OUT visible_rows bigint, OUT skew_rows numeric, OUT unsorted numeric,
  OUT bytes bigint) LANGUAGE plpgsql STABLE SET lock_timeout = '200ms' AS $$
DECLARE
  design record;
  estimate real;
  sampled boolean;
  slice text := 'NULL::int';
  sortkey text;
  counted record;
BEGIN
  SELECT reltuples, relpages::bigint * 8192 INTO estimate, bytes FROM pg_class WHERE oid = rel;
  SELECT d.diststyle, dk.attname AS distkey, sk.attname AS sortkey INTO design
    FROM tributary_sys.table_design d
    LEFT JOIN pg_attribute dk ON dk.attrelid = d.table_oid AND dk.attnum = d.distkey
    LEFT JOIN pg_attribute sk ON sk.attrelid = d.table_oid AND sk.attnum = d.sortkeys[1]
    WHERE d.table_oid = rel;
  bytes := pg_total_relation_size(rel);
  sampled := estimate > ${SAMPLE_ROWS};
  IF design.diststyle = 'KEY' AND design.distkey IS NOT NULL THEN
    slice := format('coalesce(abs(hashtext(%I::text)) %% ${SLICES}, 0)', design.distkey);
  END IF;
  sortkey := CASE WHEN design.sortkey IS NULL THEN 'NULL::int' ELSE format('%I', design.sortkey) END;
  EXECUTE format($q$
    WITH r AS MATERIALIZED (SELECT %1$s AS slice, %2$s AS k, %3$s AS m FROM %4$s %5$s)
    SELECT (SELECT count(*) FROM r) AS n, (SELECT count(*) FROM r WHERE k < m) AS disordered,
      (SELECT max(c)::numeric / greatest(min(c), 1) FROM (SELECT count(r.slice) AS c FROM generate_series(0, ${SLICES - 1}) AS s
        LEFT JOIN r ON r.slice = s GROUP BY s) AS per_slice) AS skew $q$,
    slice, sortkey,
    CASE WHEN design.sortkey IS NULL THEN 'NULL::int'
      ELSE format('max(%I) OVER (ORDER BY ctid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)', design.sortkey) END,
    rel::regclass,
    CASE WHEN sampled THEN format('TABLESAMPLE SYSTEM (%s) REPEATABLE (0)', 100.0 * ${SAMPLE_ROWS} / estimate) ELSE '' END) INTO counted;
  visible_rows := CASE WHEN sampled THEN estimate::bigint ELSE counted.n END;
  unsorted := CASE WHEN design.sortkey IS NULL THEN NULL WHEN counted.n = 0 THEN 0
    ELSE round(100.0 * counted.disordered / counted.n, 2) END;
  skew_rows := CASE WHEN visible_rows = 0 OR design.diststyle = 'ALL' THEN NULL
    WHEN design.diststyle = 'KEY' THEN round(counted.skew, 2)
    -- EVEN and AUTO: round robin, so the slices differ by one row at most.
    ELSE round(ceil(visible_rows / ${SLICES}.0) / greatest(floor(visible_rows / ${SLICES}.0), 1), 2) END;
EXCEPTION WHEN lock_not_available OR insufficient_privilege OR feature_not_supported OR undefined_function THEN
  visible_rows := estimate::bigint;
END $$;

-- Redshift's VACUUM that sorts: a table with a sort key is rewritten in its order (CLUSTER on an index made for the
-- purpose and dropped after), unless it is already at least 'percent' sorted; one without is rewritten as it is,
-- which drops deleted rows.
CREATE OR REPLACE PROCEDURE tributary_sys.vacuum(target regclass, percent int) LANGUAGE plpgsql AS $$
DECLARE
  rel record;
  keys text;
  index_name text := 'tributary_vacuum_sort';
BEGIN
  FOR rel IN SELECT c.oid, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND (c.oid = target OR (target IS NULL AND c.relpersistence = 'p'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'tributary_sys') AND pg_has_role(c.relowner, 'USAGE')))
  LOOP
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.n) INTO keys
      FROM tributary_sys.table_design d, unnest(d.sortkeys) WITH ORDINALITY AS k(attnum, n)
      JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum = k.attnum
      WHERE d.table_oid = rel.oid;
    CONTINUE WHEN keys IS NOT NULL AND (SELECT s.unsorted FROM tributary_sys.table_shape(rel.oid) s) <= 100 - percent;
    EXECUTE format('CREATE INDEX %I ON %s (%s)', index_name, rel.oid::regclass, coalesce(keys, '(0)'));
    EXECUTE format('CLUSTER %s USING %I', rel.oid::regclass, index_name);
    EXECUTE format('DROP INDEX %I.%I', rel.nspname, index_name);
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION tributary_sys.used_mb() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT ceil(sum(pg_database_size(oid)) / 1048576.0)::bigint FROM pg_database
  WHERE datallowconn AND has_database_privilege(oid, 'CONNECT') $$;

SET allow_system_table_mods = on;
DROP VIEW IF EXISTS pg_catalog.svv_table_info, pg_catalog.stv_partitions, pg_catalog.stv_node_storage_capacity CASCADE;
CREATE VIEW pg_catalog.svv_table_info AS
  SELECT current_database()::text AS database, n.nspname::text AS schema, c.oid AS table_id, c.relname::text AS "table",
    (CASE WHEN coalesce(d.encode_auto, true) THEN 'Y, AUTO(ENCODE)'
      WHEN EXISTS (SELECT 1 FROM jsonb_each_text(d.encodings) AS e WHERE lower(e.value) NOT IN ('raw', 'none')) THEN 'Y'
      ELSE 'N' END)::text AS encoded,
    (CASE coalesce(d.diststyle, 'AUTO') WHEN 'KEY' THEN 'KEY(' || dk.attname || ')' WHEN 'EVEN' THEN 'EVEN' WHEN 'ALL' THEN 'ALL'
      ELSE 'AUTO(EVEN)' END)::text AS diststyle,
    (CASE WHEN d.sortkeys IS NOT NULL THEN CASE WHEN d.sort_style = 'INTERLEAVED' THEN 'INTERLEAVED' ELSE sk.attname::text END
      WHEN d.sort_style = 'NONE' THEN NULL ELSE 'AUTO(SORTKEY)' END)::text AS sortkey1,
    (SELECT max(a.atttypmod - 4) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      AND a.atttypid IN ('varchar'::regtype, 'bpchar'::regtype))::int AS max_varchar,
    (CASE WHEN sk.attname IS NULL THEN NULL ELSE coalesce(d.encodings->>sk.attname::text, 'none') END)::char(32) AS sortkey1_enc,
    coalesce(cardinality(d.sortkeys), 0) AS sortkey_num,
    ceil(shape.bytes / 1048576.0)::bigint AS size,
    round(100.0 * ceil(shape.bytes / 1048576.0) / ${SLICE_LAYOUT.nodes * SLICE_LAYOUT.nodeCapacityMb}, 4)::numeric(10,4) AS pct_used,
    0::bigint AS empty,
    shape.unsorted::numeric(5,2) AS unsorted,
    (CASE WHEN st.relid IS NULL THEN 0
      WHEN coalesce(st.last_analyze, st.last_autoanalyze) IS NULL THEN CASE WHEN st.n_live_tup + st.n_mod_since_analyze > 0 THEN 100 ELSE 0 END
      ELSE least(100, round(100.0 * st.n_mod_since_analyze / greatest(c.reltuples, 1)::numeric, 2)) END)::numeric(5,2) AS stats_off,
    (shape.visible_rows + coalesce(st.n_dead_tup, 0))::numeric(38,0) AS tbl_rows,
    round((SELECT max(s.avg_width) FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname <> sk.attname)::numeric
      / nullif((SELECT s.avg_width FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = sk.attname), 0),
      2)::numeric(19,2) AS skew_sortkey1,
    shape.skew_rows::numeric(19,2) AS skew_rows,
    shape.visible_rows::numeric(38,0) AS estimated_visible_rows,
    NULL::text AS risk_event,
    shape.unsorted::numeric(12,2) AS vacuum_sort_benefit,
    d.create_time
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN tributary_sys.table_design d ON d.table_oid = c.oid
  LEFT JOIN pg_attribute dk ON dk.attrelid = c.oid AND dk.attnum = d.distkey
  LEFT JOIN pg_attribute sk ON sk.attrelid = c.oid AND sk.attnum = d.sortkeys[1]
  LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
  CROSS JOIN LATERAL tributary_sys.table_shape(c.oid) AS shape
  WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'tributary_sys')
    AND n.nspname NOT LIKE 'pg\_toast%' AND has_table_privilege(c.oid, 'SELECT');
CREATE VIEW pg_catalog.stv_partitions AS
  SELECT node AS owner, node AS host, 0 AS diskno, 0::bigint AS part_begin, ${SLICE_LAYOUT.nodeCapacityMb}::bigint AS part_end,
    ceil(tributary_sys.used_mb() / ${SLICE_LAYOUT.nodes}.0)::int AS used, 0 AS tossed, ${SLICE_LAYOUT.nodeCapacityMb} AS capacity,
    0::bigint AS reads, 0::bigint AS writes, 0 AS seek_forward, 0 AS seek_back, 0 AS is_san, 0 AS failed, 0 AS mbps,
    '/dev/nvme0n1'::char(256) AS mount
  FROM generate_series(0, ${SLICE_LAYOUT.nodes - 1}) AS node;
CREATE VIEW pg_catalog.stv_node_storage_capacity AS
  SELECT owner AS node, used::bigint AS used, capacity::bigint AS capacity FROM pg_catalog.stv_partitions;
RESET allow_system_table_mods;
GRANT SELECT ON pg_catalog.svv_table_info, pg_catalog.stv_partitions, pg_catalog.stv_node_storage_capacity TO PUBLIC;
`;
