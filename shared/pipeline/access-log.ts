/**
 * The record format of the pipeline's Kinesis stream, shared by the producer
 * (electron/core/ingest), the Spark job that parses raw logs
 * (spark/raw_to_parquet.py) and the Redshift table.
 *
 * One Kinesis record is one access-log line in the Apache/Nginx "combined"
 * format, without a line terminator, followed by one more quoted field that
 * carries the record's unique id (as Nginx's `log_format` can append fields):
 *
 *     203.0.113.9 - - [27/Nov/2026:14:03:07 +0000] "GET /products/1234 HTTP/1.1" 200 5120 "https://www.google.com/" "Mozilla/5.0 (…)" "rid=rmbx1k2a9f3c1d2e-42"
 *
 * The id is `<runId>-<sequence>`: the run id is unique across runs (time and
 * randomness), the sequence counts the run's records from 1. It survives every
 * stage as the `record_id` column, so loss and duplication can be counted from
 * the stream to Redshift against the producer's ledger of acknowledged ids.
 *
 * Times are UTC (`+0000`); bytes are a number (`0` for an empty body, Nginx's
 * `$body_bytes_sent`; replayed Apache lines may carry `-`).
 */

/**
 * The shape of a log line (anchored), with the groups in ACCESS_LOG_FIELDS'
 * order: Apache/Nginx "common" (no referrer and user agent) or "combined",
 * then up to 16 extra trailing fields (Nginx's `$request_time`, upstream
 * times: bare or quoted), then, from this app's producer, the `"rid=<id>"`
 * field. Fields are matched loosely (the time, request, status and bytes as
 * any text) so that the Spark job can name the first bad field of a line;
 * `spark/raw_to_parquet.py` then checks each. The syntax is common to
 * JavaScript, Python `re` and Java's `java.util.regex`, so Hive's RegexSerDe
 * (`input.regex`) and PySpark's `regexp_extract` can use the same text.
 * Quoted fields may contain backslash escapes (`\"`, `\\`, `\xHH`), as Apache
 * and Nginx write them.
 */
export const ACCESS_LOG_REGEX =
  '^(\\S+) (\\S+) (\\S+) \\[([^\\]]*)\\] "([^"\\\\]*(?:\\\\.[^"\\\\]*)*)" (\\S+) (\\S+)(?: "([^"\\\\]*(?:\\\\.[^"\\\\]*)*)" "([^"\\\\]*(?:\\\\.[^"\\\\]*)*)")?((?: (?:"[^"\\\\]*(?:\\\\.[^"\\\\]*)*"|[^\\s"]+)){0,16}?)(?: "rid=([A-Za-z0-9_.-]+)")?$';

/** The request field (group 5): an HTTP method token, the path, the protocol. */
export const REQUEST_REGEX = '^([A-Za-z0-9!#$%&*+.^_|~-]+) (\\S+) (HTTP/[0-9]+(?:\\.[0-9]+)?)$';

/** The regex's capture groups, in order (group 1 is the first), with the column type each becomes downstream. */
export const ACCESS_LOG_FIELDS = [
  { name: 'client_ip', type: 'string' },
  { name: 'ident', type: 'string' },
  { name: 'remote_user', type: 'string' },
  /** `dd/MMM/yyyy:HH:mm:ss Z`, e.g. `27/Nov/2026:14:03:07 +0000` (Spark: to_timestamp(x, 'dd/MMM/yyyy:HH:mm:ss Z')). */
  { name: 'time', type: 'timestamp' },
  /** `METHOD path PROTOCOL` (REQUEST_REGEX): method, path and protocol downstream. */
  { name: 'request', type: 'string' },
  { name: 'status', type: 'int' },
  /** `-` means no body: 0. */
  { name: 'bytes', type: 'bigint' },
  /** Referrer and user agent: empty in the common format (null downstream). */
  { name: 'referrer', type: 'string' },
  { name: 'user_agent', type: 'string' },
  /** The trailing fields after the user agent (or the bytes), as written, without the leading space. */
  { name: 'extra', type: 'string' },
  /** Empty on a line from another producer: the Spark job then derives one (spark/README.md). */
  { name: 'record_id', type: 'string' },
] as const;

export type AccessLogField = (typeof ACCESS_LOG_FIELDS)[number]['name'];

/** The timestamp's pattern for Spark's `to_timestamp` and Java's DateTimeFormatter. */
export const ACCESS_LOG_TIME_FORMAT = 'dd/MMM/yyyy:HH:mm:ss Z';

const compiled = new RegExp(ACCESS_LOG_REGEX);

/** The fields of one record, as text (what the regex captures; '' for a field the line lacks), or undefined when it does not match. */
export function parseAccessLog(record: string): Record<AccessLogField, string> | undefined {
  const match = compiled.exec(record);
  if (!match) return undefined;
  return Object.fromEntries(ACCESS_LOG_FIELDS.map((field, i) => [field.name, match[i + 1] ?? ''])) as Record<AccessLogField, string>;
}

/** The id a record carries, read from its last field (cheaper than the whole regex). */
export function recordIdOf(record: string): string | undefined {
  const at = record.lastIndexOf('"rid=');
  if (at < 0 || !record.endsWith('"')) return undefined;
  return record.slice(at + 5, -1);
}

/** Appends the id field to a log line (a replayed line, or one the generator wrote). */
export function withRecordId(line: string, id: string): string {
  return `${line} "rid=${id}"`;
}
