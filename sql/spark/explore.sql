-- Spark SQL: exploratory queries over the raw and curated access logs
-- (tables from raw_access_logs.sql and curated_access_logs.sql).

-- A first look at raw lines as the RegexSerDe reads them.
SELECT * FROM raw_access_logs LIMIT 10;

-- Raw lines that do not parse (every column NULL), per arrival day.
SELECT dt, count(*) AS malformed FROM raw_access_logs WHERE client_ip IS NULL GROUP BY dt ORDER BY dt;

-- Rows per partition of the curated table.
SELECT dt, count(*) AS requests, sum(bytes) AS bytes FROM access_logs GROUP BY dt ORDER BY dt;

-- Status classes per day.
SELECT dt, concat(substr(CAST(status AS STRING), 1, 1), 'xx') AS class, count(*) AS requests
FROM access_logs GROUP BY dt, concat(substr(CAST(status AS STRING), 1, 1), 'xx') ORDER BY dt, class;

-- The busiest paths (query string dropped).
SELECT regexp_extract(path, '^[^?]*', 0) AS path, count(*) AS requests
FROM access_logs GROUP BY regexp_extract(path, '^[^?]*', 0) ORDER BY requests DESC LIMIT 20;

-- Records that arrived more than once (should be none: record_id is unique per record).
SELECT record_id, count(*) AS copies FROM access_logs GROUP BY record_id HAVING count(*) > 1 LIMIT 20;

-- The heaviest clients by bytes, with their user agents.
SELECT client_ip, count(*) AS requests, sum(bytes) AS bytes, collect_set(user_agent) AS agents
FROM access_logs GROUP BY client_ip ORDER BY bytes DESC LIMIT 20;
