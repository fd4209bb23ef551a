-- Redshift: load one version of the curated access logs.
-- Placeholders the app fills: {{bucket}}, {{version}}, {{iam_role}} (a role the cluster may
-- assume that can read the bucket, e.g. arn:aws:iam::123456789012:role/TributaryRedshiftS3Role).
-- COPY reads every object under the prefix (all dt=... partitions); Spark's _SUCCESS marker
-- and dot-files are skipped. On failure, the rows are in sys_load_error_detail (below).

COPY access_logs
FROM 's3://{{bucket}}/curated/access_logs/v{{version}}/'
IAM_ROLE '{{iam_role}}'
FORMAT AS PARQUET;

-- What the last load into access_logs rejected, if anything.
SELECT query_id, start_time, file_name, line_number, column_name, column_type, error_code, error_message, raw_field_value
FROM sys_load_error_detail
WHERE file_name LIKE 's3://{{bucket}}/curated/access_logs/v{{version}}/%'
ORDER BY start_time DESC, line_number
LIMIT 100;
