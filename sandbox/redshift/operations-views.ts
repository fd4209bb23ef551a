/**
 * Redshift's views of running work, locks, WLM and query history, built from
 * PostgreSQL's own statistics. Each statement from a client carries its query
 * id in a leading comment (see statement-tracker.ts), so pg_stat_activity
 * shows which Redshift query a backend runs; finished statements are in
 * tributary_sys.query_history, written by the proxy. Dropped and made again
 * on every start, so a changed column list never blocks an upgrade.
 */
export const operationsSql = String.raw`
CREATE TABLE IF NOT EXISTS tributary_sys.query_history (
  query_id bigint PRIMARY KEY, user_id integer, user_name text, transaction_id bigint, session_id integer, database_name text,
  status text, start_time timestamp, end_time timestamp, error_message text, returned_rows bigint, returned_bytes bigint, query_text text
);
CREATE INDEX IF NOT EXISTS query_history_end_time ON tributary_sys.query_history (end_time);
-- Each statement's executed plan, one row per plan node (auto_explain's, see sandbox/postgres.ts and plan-steps.ts).
CREATE TABLE IF NOT EXISTS tributary_sys.query_steps (
  query_id bigint, child_query_sequence integer, plan_node_id integer, plan_parent_id integer, step_name text, table_id oid,
  table_name text, plan_node text, plan_info text, start_offset bigint, duration bigint, input_rows bigint, output_rows bigint,
  output_bytes bigint, blocks_read bigint, spilled_blocks bigint, is_diskbased boolean, workmem bigint,
  PRIMARY KEY (query_id, child_query_sequence, plan_node_id)
);
CREATE SEQUENCE IF NOT EXISTS tributary_sys.query_block START 1000000 INCREMENT 100000;
SET allow_system_table_mods = on;
DROP VIEW IF EXISTS tributary_sys.statements, tributary_sys.locks, tributary_sys.finished, pg_catalog.stv_sessions,
  pg_catalog.stv_wlm_service_class_config, pg_catalog.stl_wlm_rule_action, pg_catalog.stl_query, tributary_sys.steps CASCADE;
CREATE OR REPLACE FUNCTION tributary_sys.utc(timestamptz) RETURNS timestamp LANGUAGE sql IMMUTABLE AS $$ SELECT $1 AT TIME ZONE 'UTC' $$;
CREATE OR REPLACE FUNCTION tributary_sys.micros(interval) RETURNS bigint LANGUAGE sql IMMUTABLE
  AS $$ SELECT (extract(epoch FROM $1) * 1000000)::bigint $$;
CREATE OR REPLACE FUNCTION tributary_sys.query_type(text) RETURNS varchar(32) LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN w IN ('select', 'with', 'values', 'show', 'fetch', 'table') THEN 'SELECT'
    WHEN w IN ('insert', 'update', 'delete', 'copy', 'unload', 'merge') THEN upper(w)
    WHEN w = 'create' AND $1 ~* '^\s*create\s+(temp\w*\s+)?table\b.*\mas\s+(select|with)\M' THEN 'CTAS'
    WHEN w IN ('create', 'alter', 'drop', 'truncate', 'grant', 'revoke', 'comment') THEN 'DDL'
    ELSE 'UTILITY' END
  FROM lower(substring(regexp_replace($1, '^(\s|--[^\n]*\n|/\*([^*]|\*[^/])*\*/)*', '') FROM '^\w+')) AS w $$;
-- A transaction that has written nothing has no PostgreSQL xid; it is numbered from its virtual transaction id, above 2^40.
CREATE OR REPLACE FUNCTION tributary_sys.xid(xid, text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce($1::text::bigint,
    (1::bigint << 40) + (split_part($2, '/', 1)::bigint << 28) + (split_part($2, '/', 2)::bigint & ((1 << 28) - 1))) $$;
-- PostgreSQL's eight lock modes as Redshift's three.
CREATE OR REPLACE FUNCTION tributary_sys.lock_mode(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE $1 WHEN 'AccessShareLock' THEN 'AccessShareLock' WHEN 'AccessExclusiveLock' THEN 'AccessExclusiveLock'
    ELSE 'ShareRowExclusiveLock' END $$;
CREATE OR REPLACE VIEW tributary_sys.statements AS
  SELECT a.pid, a.usesysid::int AS userid, a.usename::text AS user_name, a.datname::text AS db_name,
    (regexp_match(a.query, '^/\* tributary:q=(\d+) '))[1]::bigint AS query,
    regexp_replace(a.query, '^/\* tributary:q=\d+ last=-?\d+ \*/ ', '') AS text,
    a.state = 'active' AS running, tributary_sys.utc(a.query_start) AS starttime,
    tributary_sys.micros(CASE WHEN a.state = 'active' THEN clock_timestamp() ELSE a.state_change END - a.query_start) AS duration,
    coalesce(a.backend_xid::text::bigint, 0) AS xid
  FROM pg_stat_activity a
  WHERE a.query LIKE '/* tributary:q=%';
-- As on Redshift, a user sees their own statements; a superuser (or a member of pg_read_all_stats) everyone's.
CREATE OR REPLACE VIEW tributary_sys.finished AS
  SELECT h.*, tributary_sys.micros(h.end_time - h.start_time) AS elapsed_time FROM tributary_sys.query_history h
  WHERE h.user_name = session_user OR pg_has_role('pg_read_all_stats', 'USAGE');
CREATE OR REPLACE VIEW tributary_sys.locks AS
  SELECT l.pid, l.mode, l.granted, a.usename::text AS user_name, a.datname::text AS db_name,
    tributary_sys.utc(a.xact_start) AS xact_start, tributary_sys.utc(a.state_change) AS state_change,
    tributary_sys.xid(a.backend_xid, l.virtualtransaction) AS xid,
    -- A row lock waits on the holder's transaction id; it is shown on the table of the row, as Redshift locks whole tables.
    CASE WHEN l.locktype IN ('relation', 'tuple') THEN l.relation
      ELSE (SELECT t.relation FROM pg_locks t WHERE t.pid = l.pid AND t.locktype = 'tuple' LIMIT 1) END AS relation
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE a.application_name <> 'tributary-sandbox-system'
    AND CASE l.locktype
      WHEN 'relation' THEN l.relation >= 16384 AND (l.database <> (SELECT oid FROM pg_database WHERE datname = current_database())
        OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = l.relation AND c.relkind IN ('r', 'p', 'm')
          AND c.relnamespace <> 'tributary_sys'::regnamespace))
      WHEN 'tuple' THEN NOT l.granted
      WHEN 'transactionid' THEN NOT l.granted
      ELSE false END;

CREATE VIEW pg_catalog.stv_recents AS
  SELECT userid, (CASE WHEN running THEN 'Running' ELSE 'Done' END)::char(20) AS status, starttime, duration,
    user_name::char(50) AS user_name, db_name::char(50) AS db_name, left(text, 600)::char(600) AS query, pid
  FROM tributary_sys.statements;
CREATE VIEW pg_catalog.stv_inflight AS
  SELECT userid, 0 AS slice, query::int AS query, 'default'::char(320) AS label, xid, pid, starttime,
    left(text, 100)::char(100) AS text, 0 AS suspended, 0 AS insert_pristine, 0 AS concurrency_scaling_status
  FROM tributary_sys.statements WHERE running;
CREATE VIEW pg_catalog.stv_sessions AS
  SELECT tributary_sys.utc(a.backend_start) AS starttime, a.pid AS process, a.usename::char(50) AS user_name,
    a.datname::char(50) AS db_name, 0 AS timeout_sec
  FROM pg_stat_activity a
  WHERE a.backend_type = 'client backend' AND a.application_name <> 'tributary-sandbox-system';
CREATE VIEW pg_catalog.stv_wlm_query_state AS
  SELECT xid, query::int AS task, query::int AS query, 6 AS service_class, 1 AS slot_count, starttime AS wlm_start_time,
    'Running'::char(16) AS state, 0::bigint AS queue_time, duration AS exec_time, 'Normal'::char(20) AS query_priority
  FROM tributary_sys.statements WHERE running;
CREATE VIEW pg_catalog.stv_wlm_service_class_config AS
  SELECT c.service_class, 'FIFO'::char(32) AS queueing_strategy, c.slots AS num_query_tasks, c.slots AS target_num_query_tasks,
    'false'::char(8) AS evictable, 0::bigint AS eviction_threshold,
    (pg_size_bytes(current_setting('work_mem')) / 1048576)::int AS query_working_mem,
    (pg_size_bytes(current_setting('work_mem')) / 1048576)::int AS target_query_working_mem, 0 AS min_step_mem,
    c.name::char(64) AS name, 0::bigint AS max_execution_time, false AS user_group_wild_card, false AS query_group_wild_card,
    'off'::char(20) AS concurrency_scaling, 'Normal'::char(20) AS query_priority
  FROM (VALUES (5, 1, 'Superuser queue'), (6, 5, 'Default queue')) AS c(service_class, slots, name);
CREATE VIEW pg_catalog.stv_wlm_service_class_state AS
  SELECT c.service_class, 0 AS num_queued_queries, c.executing AS num_executing_queries,
    c.executing + c.executed AS num_serviced_queries, c.executed AS num_executed_queries, 0 AS num_restarted_queries,
    0 AS num_evicted_queries
  FROM (SELECT 5 AS service_class, 0 AS executing, 0 AS executed
    UNION ALL SELECT 6, (SELECT count(*)::int FROM tributary_sys.statements WHERE running),
      (SELECT count(*)::int FROM tributary_sys.finished)) AS c;
CREATE VIEW pg_catalog.stl_wlm_rule_action AS
  SELECT NULL::int AS userid, NULL::int AS query, NULL::int AS service_class, NULL::char(256) AS rule,
    NULL::char(256) AS action, NULL::timestamp AS recordtime, NULL::double precision AS action_value
  WHERE false;
CREATE VIEW pg_catalog.stv_locks AS
  SELECT relation::bigint AS table_id, xact_start AS last_commit, state_change AS last_update, xid AS lock_owner,
    pid::bigint AS lock_owner_pid, xact_start AS lock_owner_start_ts, NULL::timestamp AS lock_owner_end_ts,
    (CASE tributary_sys.lock_mode(mode) WHEN 'AccessShareLock' THEN 'Holding read lock'
      WHEN 'AccessExclusiveLock' THEN 'Holding exclusive lock' ELSE 'Holding write lock' END)::varchar(22) AS lock_status
  FROM tributary_sys.locks WHERE granted AND relation IS NOT NULL;
CREATE VIEW pg_catalog.svv_transactions AS
  SELECT user_name AS txn_owner, db_name AS txn_db, xid, pid, xact_start AS txn_start, tributary_sys.lock_mode(mode) AS lock_mode,
    (CASE WHEN relation IS NULL THEN 'transactionid' ELSE 'relation' END)::text AS lockable_object_type, relation::int AS relation,
    granted
  FROM tributary_sys.locks;
CREATE VIEW pg_catalog.sys_query_history AS
  SELECT userid AS user_id, query AS query_id, 'default'::varchar(320) AS query_label, nullif(xid, 0) AS transaction_id,
    pid AS session_id, db_name::varchar(128) AS database_name, tributary_sys.query_type(text) AS query_type,
    'running'::varchar(10) AS status, starttime AS start_time, NULL::timestamp AS end_time, duration AS elapsed_time,
    0::bigint AS queue_time, duration AS execution_time, NULL::varchar(512) AS error_message, 0::bigint AS returned_rows,
    0::bigint AS returned_bytes, left(text, 4000)::varchar(4000) AS query_text, 6 AS service_class_id,
    'Default queue'::varchar(64) AS service_class_name, 'primary'::varchar(32) AS compute_type, false AS result_cache_hit
  FROM tributary_sys.statements WHERE running
  UNION ALL
  SELECT user_id, query_id, 'default', transaction_id, session_id, database_name::varchar(128), tributary_sys.query_type(query_text),
    status::varchar(10), start_time, end_time, elapsed_time, 0::bigint, elapsed_time, error_message::varchar(512), returned_rows,
    returned_bytes, query_text::varchar(4000), 6, 'Default queue', 'primary', false
  FROM tributary_sys.finished;
CREATE VIEW pg_catalog.stl_query AS
  SELECT user_id AS userid, query_id::int AS query, 'default'::char(320) AS label, coalesce(transaction_id, 0) AS xid,
    session_id AS pid, database_name::char(32) AS database, query_text::char(4000) AS querytxt, start_time AS starttime,
    end_time AS endtime, (status <> 'success')::int AS aborted, 0 AS insert_pristine, 0 AS concurrency_scaling_status
  FROM tributary_sys.finished;
CREATE VIEW tributary_sys.steps AS
  SELECT s.*, h.user_id, h.start_time + s.start_offset * interval '1 microsecond' AS step_start,
    h.start_time + (s.start_offset + s.duration) * interval '1 microsecond' AS step_end
  FROM tributary_sys.query_steps s JOIN tributary_sys.finished h USING (query_id);
CREATE VIEW pg_catalog.sys_query_detail AS
  SELECT user_id, query_id, child_query_sequence, 0 AS stream_id, plan_node_id AS segment_id, 0 AS step_id,
    step_name::char(30) AS step_name, table_id::int AS table_id, table_name::char(136) AS table_name, step_start AS start_time,
    step_end AS end_time, duration, (CASE WHEN is_diskbased THEN 'Query step spilled to disk' ELSE '' END)::char(256) AS alert,
    input_rows, input_rows * coalesce(output_bytes / nullif(output_rows, 0), 0) AS input_bytes, output_rows, output_bytes,
    blocks_read, spilled_blocks AS spilled_block_local_disk, 0::bigint AS spilled_block_remote_disk, plan_node_id, plan_parent_id,
    'main'::char(64) AS source
  FROM tributary_sys.steps;
CREATE VIEW pg_catalog.svl_query_summary AS
  SELECT user_id AS userid, query_id::int AS query, child_query_sequence AS stm, plan_node_id AS seg, 0 AS step, duration AS maxtime,
    duration AS avgtime, output_rows AS rows, output_bytes AS bytes,
    (output_rows * 1e6 / nullif(duration, 0))::numeric(38,2) AS rate_row, (output_bytes * 1e6 / nullif(duration, 0))::numeric(38,2) AS rate_byte,
    (step_name || CASE WHEN table_name IS NULL THEN '' ELSE '   tbl=' || coalesce(table_id::text, '0') || ' name=' || table_name END)::char(164) AS label,
    (CASE WHEN is_diskbased THEN 't' ELSE 'f' END)::char(1) AS is_diskbased, workmem, 'f'::char(1) AS is_rrscan,
    'f'::char(1) AS is_delayed_scan, input_rows AS rows_pre_filter
  FROM tributary_sys.steps;
CREATE VIEW pg_catalog.stl_explain AS
  SELECT user_id AS userid, query_id::int AS query, plan_node_id AS nodeid, plan_parent_id AS parentid,
    left(plan_node, 400)::char(400) AS plannode, left(plan_info, 400)::char(400) AS info
  FROM tributary_sys.steps WHERE child_query_sequence = 0;
CREATE VIEW pg_catalog.sys_query_explain AS
  SELECT user_id, query_id, child_query_sequence, plan_node_id, plan_parent_id, plan_node::varchar(400) AS plan_node,
    plan_info::varchar(400) AS plan_info, 0 AS stream_id
  FROM tributary_sys.steps;
CREATE OR REPLACE FUNCTION pg_catalog.pg_last_query_id() RETURNS integer LANGUAGE sql VOLATILE
  AS $$ SELECT coalesce((regexp_match(current_query(), '^/\* tributary:q=\d+ last=(-?\d+) \*/'))[1]::int, -1) $$;
RESET allow_system_table_mods;
GRANT SELECT ON pg_catalog.stv_recents, pg_catalog.stv_inflight, pg_catalog.stv_sessions, pg_catalog.stv_wlm_query_state,
  pg_catalog.stv_wlm_service_class_config, pg_catalog.stv_wlm_service_class_state, pg_catalog.stl_wlm_rule_action,
  pg_catalog.stv_locks, pg_catalog.svv_transactions, pg_catalog.sys_query_history, pg_catalog.stl_query, pg_catalog.sys_query_detail,
  pg_catalog.svl_query_summary, pg_catalog.stl_explain, pg_catalog.sys_query_explain TO PUBLIC;
`;
