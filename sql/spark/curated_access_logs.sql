-- Spark SQL: the curated, typed access logs raw_to_parquet writes (Parquet, partitioned by dt,
-- one prefix per version). raw_to_parquet registers this table itself; run this by hand to
-- point the metastore at another version. Placeholders the app fills: {{bucket}}, {{version}}.
-- Columns are in the order of the Parquet files (Redshift's COPY matches Parquet by position);
-- dt (the log line's UTC day) lives in the path, not in the files.

CREATE EXTERNAL TABLE IF NOT EXISTS access_logs (
  ts TIMESTAMP,
  client_ip STRING,
  method STRING,
  path STRING,
  protocol STRING,
  status INT,
  bytes BIGINT,
  referrer STRING,
  user_agent STRING,
  record_id STRING,
  extra STRING
)
PARTITIONED BY (dt DATE)
STORED AS PARQUET
LOCATION 's3://{{bucket}}/curated/access_logs/v{{version}}/';

-- Partitions written since the table was created (or after a new version): into the metastore.
MSCK REPAIR TABLE access_logs;

SHOW PARTITIONS access_logs;
