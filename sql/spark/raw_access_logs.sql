-- Spark SQL (EMR master: spark-sql, or the Spark Thrift Server): the raw access logs
-- kinesis_to_s3 writes, read in place with Hive's RegexSerDe, as in the seed note
-- ("create new external table with expected columns, parsing instructions and location").
-- Placeholders the app fills: {{bucket}}.
-- The regex is the producer's (shared/pipeline/access-log.ts, ACCESS_LOG_REGEX) with every
-- backslash doubled for the SQL string literal. RegexSerDe columns are STRING; a line that
-- does not match reads as all NULLs (raw_to_parquet counts and sets those aside).
-- dt is the day the record reached Kinesis (UTC), from the object's path.

CREATE EXTERNAL TABLE IF NOT EXISTS raw_access_logs (
  client_ip STRING,
  ident STRING,
  remote_user STRING,
  time_local STRING,
  method STRING,
  path STRING,
  protocol STRING,
  status STRING,
  bytes STRING,
  referrer STRING,
  user_agent STRING,
  record_id STRING
)
PARTITIONED BY (dt STRING)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
WITH SERDEPROPERTIES ('input.regex' = '^(\\S+) (\\S+) (\\S+) \\[([^\\]]+)\\] "(\\S+) (\\S+) (\\S+)" (\\d{3}) (\\d+|-) "((?:[^"\\\\]|\\\\.)*)" "((?:[^"\\\\]|\\\\.)*)" "rid=([A-Za-z0-9_.-]+)"$')
STORED AS TEXTFILE
LOCATION 's3://{{bucket}}/raw/access_logs/';

-- New dt=... folders appear as kinesis_to_s3 runs: add them to the metastore.
MSCK REPAIR TABLE raw_access_logs;
