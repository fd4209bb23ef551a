-- Spark SQL (EMR master: spark-sql, or the Spark Thrift Server): the raw access logs
-- kinesis_to_s3 writes, read in place with Hive's RegexSerDe, as in the seed note
-- ("create new external table with expected columns, parsing instructions and location").
-- Placeholders the app fills: {{bucket}}.
-- The regex is the line shape's (shared/pipeline/access-log.ts, ACCESS_LOG_REGEX) with every
-- backslash doubled for the SQL string literal. RegexSerDe columns are STRING, as written
-- (escapes kept); a line that does not match reads as all NULLs, and the fields are not
-- checked here (raw_to_parquet checks each and sets bad lines aside with the reason). A field
-- a line lacks (the common format's referrer and user agent, a foreign line's record_id) is
-- NULL.
-- dt is the day the record reached Kinesis (UTC), from the object's path.

CREATE EXTERNAL TABLE IF NOT EXISTS raw_access_logs (
  client_ip STRING,
  ident STRING,
  remote_user STRING,
  time_local STRING,
  request STRING,
  status STRING,
  bytes STRING,
  referrer STRING,
  user_agent STRING,
  extra STRING,
  record_id STRING
)
PARTITIONED BY (dt STRING)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
WITH SERDEPROPERTIES ('input.regex' = '^(\\S+) (\\S+) (\\S+) \\[([^\\]]*)\\] "([^"\\\\]*(?:\\\\.[^"\\\\]*)*)" (\\S+) (\\S+)(?: "([^"\\\\]*(?:\\\\.[^"\\\\]*)*)" "([^"\\\\]*(?:\\\\.[^"\\\\]*)*)")?((?: (?:"[^"\\\\]*(?:\\\\.[^"\\\\]*)*"|[^\\s"]+)){0,16}?)(?: "rid=([A-Za-z0-9_.-]+)")?$')
STORED AS TEXTFILE
LOCATION 's3://{{bucket}}/raw/access_logs/';

-- New dt=... folders appear as kinesis_to_s3 runs: add them to the metastore.
MSCK REPAIR TABLE raw_access_logs;
