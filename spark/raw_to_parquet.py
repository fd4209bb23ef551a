"""Raw -> curated: parses the raw access-log lines under s3://<bucket>/raw/access_logs/
into a typed table, writes it as Parquet partitioned by dt into the versioned
prefix s3://<bucket>/curated/access_logs/v<N>/, sets every line that is not a
valid access-log line aside under s3://<bucket>/rejects/access_logs/run=<id>/
with the reason (counted by reason, never dropped silently), and registers or
refreshes the external table in the Hive metastore.

Runs unchanged on EMR 7 (command-runner.jar spark-submit s3://.../raw_to_parquet.py ...)
and on Tributary's sandbox. stdout ends with one TRIBUTARY_SUMMARY JSON line.

Lines are Apache/Nginx common or combined logs, with any extra trailing fields
(Nginx's $request_time, upstream times) and, from Tributary's producer, the
record id as a last quoted field:
  1.2.3.4 - - [02/Jan/2024:03:04:05 +0000] "GET /a?b=1 HTTP/1.1" 200 512 "-" "curl/8" 0.004 "rid=abc"
"""

import argparse
import json
import re
import sys
from datetime import datetime, timezone

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.window import Window

# The line's shape, as shared/pipeline/access-log.ts declares it (ACCESS_LOG_REGEX and REQUEST_REGEX, kept
# identical here and, for the first, in sql/spark/raw_access_logs.sql; a unit test compares them). Fields are
# matched loosely and checked one by one below, so a bad line gets the reason of its first bad field.
# Groups: 1 client, 2 ident, 3 remote_user, 4 time, 5 request, 6 status, 7 bytes, 8 referrer, 9 user_agent,
# 10 extra (up to 16 trailing fields), 11 record_id.
ACCESS_LOG_REGEX = r'^(\S+) (\S+) (\S+) \[([^\]]*)\] "([^"\\]*(?:\\.[^"\\]*)*)" (\S+) (\S+)(?: "([^"\\]*(?:\\.[^"\\]*)*)" "([^"\\]*(?:\\.[^"\\]*)*)")?((?: (?:"[^"\\]*(?:\\.[^"\\]*)*"|[^\s"]+)){0,16}?)(?: "rid=([A-Za-z0-9_.-]+)")?$'
# The request field: 1 method (an HTTP token), 2 path, 3 protocol.
REQUEST_REGEX = r'^([A-Za-z0-9!#$%&*+.^_|~-]+) (\S+) (HTTP/[0-9]+(?:\.[0-9]+)?)$'
TIME_FORMAT = "dd/MMM/yyyy:HH:mm:ss Z"

_IPV4 = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}"
_H = "[0-9A-Fa-f]{1,4}"
_IPV6 = (
    f"(?:(?:{_H}:){{7}}{_H}|(?:{_H}(?::{_H}){{0,6}})?::(?:{_H}(?::{_H}){{0,6}})?"
    f"|(?:{_H}:){{6}}{_IPV4}|(?:{_H}(?::{_H}){{0,5}})?::(?:{_H}:){{0,4}}{_IPV4})"
)
# RFC 1123 names; an all-numeric dotted name is a broken IPv4 address, not a host.
_HOST = r"(?=.{1,253}$)(?![0-9.]+$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
CLIENT_REGEX = f"^(?:{_IPV4}|{_IPV6}|{_HOST})$"
# C0 and C1 controls and DEL: Redshift's COPY refuses NUL, and none of them belongs in a log field.
CONTROL_REGEX = r"[\x00-\x1f\x7f-\x9f]"
# U+FFFD is what Spark reads bytes that are not UTF-8 as (and what a \xHH escape of such bytes decodes to);
# U+FFFE and U+FFFF are noncharacters (Redshift's ACCEPTINVCHARS would replace them).
NOT_UTF8_REGEX = r"[\uFFFD\uFFFE\uFFFF]"
# Java's regex engine recurses once per repetition of a group, so a quoted field with a few thousand escapes
# overflows its stack and fails the whole job. The job therefore first turns the escapes \\ and \" into two
# noncharacters (a line holding either is not_utf8 anyway) and matches quoted fields as [^"]*: a character
# class, which Java repeats without recursing.
QUOTED = r'[^"\\]*(?:\\.[^"\\]*)*'
ESCAPED_BACKSLASH, ESCAPED_QUOTE = "\ufffe", "\uffff"
LINE_REGEX = ACCESS_LOG_REGEX.replace(QUOTED, '[^"]*')
# A line cut short: any beginning of a combined line, up to and inside its referrer, user agent and one more
# quoted field (the record id). Only asked of lines that start as a log line does and do not match.
_CUT_PIECES = [r"\S*", " ", r"\S*", " ", r"\S*", " ", r"\[", r"[^\]]*", r"\]", " ", '"', '[^"]*', '"', " ", r"\S*", " ", r"\S*"]
_CUT_PIECES += [" ", '"', '[^"]*', '"'] * 3


def _prefixes(pieces):
    """A regex for every beginning of the pieces in order: (?:a(?:b(?:c)?)?)?."""
    nested = ""
    for piece in reversed(pieces):
        nested = f"(?:{piece}{nested})?"
    return f"^{nested}$"


TRUNCATED_REGEX = _prefixes(_CUT_PIECES)
LOOKS_LIKE_A_LOG_REGEX = r"^\S+ \S+ \S+ \["

# Each curated string column with the most bytes the shipped Redshift table (sql/redshift/access_logs.sql)
# holds: a longer value is set aside here (too_long) rather than failing the COPY. A unit test compares them.
VARCHAR_BYTES = {
    "client_ip": 255,
    "method": 16,
    "path": 8192,
    "protocol": 16,
    "referrer": 8192,
    "user_agent": 4096,
    "record_id": 64,
    "extra": 4096,
}

# The curated columns, in the Parquet files' order (Redshift's COPY matches by position); extra is last so a
# table made for the earlier ten columns needs only ADD COLUMN extra.
COLUMNS = ["ts", "client_ip", "method", "path", "protocol", "status", "bytes", "referrer", "user_agent", "record_id", "extra"]

# Why a line was set aside, in the order they are checked (the first that applies is the one recorded).
REASONS = [
    "empty",
    "control_chars",
    "not_utf8",
    "truncated",
    "not_the_format",
    "bad_client",
    "bad_time",
    "bad_request",
    "bad_status",
    "bad_bytes",
    "too_long",
]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bucket", required=True)
    p.add_argument("--raw-prefix", default="raw/access_logs")
    p.add_argument("--curated-prefix", default="curated/access_logs")
    p.add_argument("--rejects-prefix", default="rejects/access_logs")
    p.add_argument("--version", type=int, default=0, help="write v<N> (replacing it); 0: the next free version")
    p.add_argument("--run-id", default=None, help="names the rejects folder (default: a UTC timestamp)")
    p.add_argument("--database", default="default")
    p.add_argument("--table", default="access_logs")
    p.add_argument("--no-register", action="store_true", help="do not touch the metastore")
    p.add_argument("--scheme", default="s3")
    return p.parse_args(argv)


def emit(kind, **fields):
    print(f"{kind} " + json.dumps(fields, sort_keys=True), flush=True)


def next_version(spark, root):
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(root)
    fs = path.getFileSystem(conf)
    if not fs.exists(path):
        return 1
    versions = [0]
    for status in fs.listStatus(path):
        match = re.fullmatch(r"v(\d+)", status.getPath().getName())
        if match and status.isDirectory():
            versions.append(int(match.group(1)))
    return max(versions) + 1


def hide_escapes(line):
    """The line with its \\ and \" escapes replaced by ESCAPED_BACKSLASH and ESCAPED_QUOTE (pairs of
    backslashes first, left to right, so \\" is an escaped backslash before a closing quote)."""
    return F.regexp_replace(F.regexp_replace(line, r"\\\\", ESCAPED_BACKSLASH), r'\\"', ESCAPED_QUOTE)


def unescape(c):
    r"""A quoted field as the server meant it: the hidden \\ and \" back as \ and ", and Nginx's \xHH bytes
    decoded as UTF-8 (url_decode decodes the bytes once % and + are protected). Other backslashes stay."""
    encoded = F.regexp_replace(F.regexp_replace(c, "%", "%25"), r"\+", "%2B")
    encoded = F.regexp_replace(encoded, r"\\x([0-9A-Fa-f]{2})", "%$1")
    decoded = F.when(c.rlike(r"\\x[0-9A-Fa-f]{2}"), F.url_decode(encoded)).otherwise(c)
    return F.translate(decoded, ESCAPED_BACKSLASH + ESCAPED_QUOTE, '\\"')


def first_reason(checks):
    """The reason of the first check that holds, null when none does."""
    reason = F.lit(None).cast("string")
    for name, failed in reversed(checks):
        reason = F.when(failed, F.lit(name)).otherwise(reason)
    return reason


def parse(raw):
    """Typed columns, and a reason (null when the line is good), computed with Spark SQL functions only
    (no Python UDF), so each line stays in the JVM."""
    g = lambda i: F.regexp_extract("hidden", LINE_REGEX, i)  # noqa: E731
    r = lambda i: F.regexp_extract(F.col("request"), REQUEST_REGEX, i)  # noqa: E731
    fields = raw.withColumn("hidden", hide_escapes(F.col("line"))).select(
        "line",
        "source_file",
        "hidden",
        F.col("hidden").rlike(LINE_REGEX).alias("matched"),
        g(1).alias("client_ip"),
        g(4).alias("time"),
        g(5).alias("request"),
        g(6).alias("status_text"),
        g(7).alias("bytes_text"),
        # A common-format line has neither: null, not an empty string.
        F.nullif(g(8), F.lit("")).alias("referrer_text"),
        F.nullif(g(9), F.lit("")).alias("user_agent_text"),
        F.nullif(F.ltrim(g(10)), F.lit("")).alias("extra"),
        g(11).alias("rid"),
    )
    typed = fields.select(
        "*",
        F.try_to_timestamp("time", F.lit(TIME_FORMAT)).alias("ts"),
        r(1).alias("method"),
        unescape(r(2)).alias("path"),
        r(3).alias("protocol"),
        F.col("status_text").cast("int").alias("status"),
        F.when(F.col("bytes_text") == "-", F.lit(0)).otherwise(F.col("bytes_text")).cast("bigint").alias("bytes"),
        unescape(F.col("referrer_text")).alias("referrer"),
        unescape(F.col("user_agent_text")).alias("user_agent"),
    )
    decoded = [F.coalesce(F.col(c), F.lit("")) for c in ("path", "referrer", "user_agent")]
    too_long = [F.octet_length(F.col("rid" if c == "record_id" else c)) > limit for c, limit in VARCHAR_BYTES.items()]
    reason = first_reason(
        [
            ("empty", F.trim("line") == ""),
            # Checked again after unescaping: a \x00 or \x1b written as an escape is still a control character.
            ("control_chars", F.col("line").rlike(CONTROL_REGEX) | F.concat(*decoded).rlike(CONTROL_REGEX)),
            ("not_utf8", F.col("line").rlike(NOT_UTF8_REGEX) | F.concat(*decoded).rlike(NOT_UTF8_REGEX)),
            ("truncated", ~F.col("matched") & F.col("line").rlike(LOOKS_LIKE_A_LOG_REGEX) & F.col("hidden").rlike(TRUNCATED_REGEX)),
            ("not_the_format", ~F.col("matched")),
            ("bad_client", ~F.col("client_ip").rlike(CLIENT_REGEX)),
            ("bad_time", F.col("ts").isNull()),
            ("bad_request", ~F.col("request").rlike(REQUEST_REGEX)),
            ("bad_status", ~F.col("status_text").rlike("^[1-5][0-9]{2}$")),
            ("bad_bytes", ~F.col("bytes_text").rlike("^(?:[0-9]{1,18}|-)$")),
            ("too_long", F.greatest(*too_long)),
        ]
    )
    # Only what the job uses next: the cache holds these, not the intermediate texts.
    return typed.select("line", "source_file", "rid", reason.alias("reason"), *[c for c in COLUMNS if c != "record_id"])


def with_record_ids(good):
    """The producer's id where the line has one. A foreign line (no "rid=...") gets an id made of where it lies:
    its raw object's key, its text and which of that object's identical lines it is. Raw objects are never
    rewritten with other content (kinesis_to_s3 names each by its shard and sequence numbers), so the id is
    the same on every run and each line is counted once."""
    key = F.regexp_replace("source_file", "^[A-Za-z0-9]+://[^/]*/", "")
    nth = F.row_number().over(Window.partitionBy("source_file", "line").orderBy("source_file"))
    foreign = good.where(F.col("rid") == "").withColumn(
        "record_id", F.concat(F.lit("h-"), F.substring(F.sha2(F.concat_ws("\n", key, F.col("line"), nth.cast("string")), 256), 1, 32))
    )
    own = good.where(F.col("rid") != "").withColumn("record_id", F.col("rid"))
    return own.unionByName(foreign)


def main(argv):
    args = parse_args(argv)
    spark = (
        SparkSession.builder.appName("raw_to_parquet")
        .config("spark.sql.session.timeZone", "UTC")
        # Microsecond timestamps (not INT96): what Redshift COPY and every reader take.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.sources.partitionOverwriteMode", "static")
        .enableHiveSupport()
        .getOrCreate()
    )
    sc = spark.sparkContext
    emit("TRIBUTARY_EVENT", event="started", job="raw_to_parquet", applicationId=sc.applicationId, uiWebUrl=sc.uiWebUrl)
    base = f"{args.scheme}://{args.bucket}"
    raw_path = f"{base}/{args.raw_prefix.strip('/')}/"
    curated_root = f"{base}/{args.curated_prefix.strip('/')}"
    version = args.version or next_version(spark, curated_root)
    location = f"{curated_root}/v{version}/"
    run_id = args.run_id or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    rejects = f"{base}/{args.rejects_prefix.strip('/')}/run={run_id}/"

    # Lines end at \n only: a \r inside a line is a control character to report, not a line break.
    raw = (
        spark.read.option("recursiveFileLookup", "true")
        .option("pathGlobFilter", "*.txt")
        .option("lineSep", "\n")
        .text(raw_path)
        .select(F.col("value").alias("line"), F.input_file_name().alias("source_file"))
    )
    parsed = parse(raw).cache()
    by_reason = {r["reason"]: r["count"] for r in parsed.groupBy("reason").count().collect()}
    good_count = by_reason.pop(None, 0)
    rejected = {reason: by_reason[reason] for reason in REASONS if reason in by_reason}
    bad_count = sum(rejected.values())
    total = good_count + bad_count
    good = parsed.where(F.col("reason").isNull())
    # The producer's record id is unique: a record delivered twice upstream is kept once.
    curated = with_record_ids(good).dropDuplicates(["record_id"]).select(*COLUMNS, F.to_date("ts").alias("dt"))
    curated_count = curated.count()
    foreign_count = good.where(F.col("rid") == "").count()

    if bad_count:
        parsed.where(F.col("reason").isNotNull()).select("line", "source_file", "reason").coalesce(1).write.mode("overwrite").json(rejects)
    curated.repartition("dt").write.mode("overwrite").partitionBy("dt").parquet(location)
    partitions = sorted(str(r["dt"]) for r in curated.select("dt").distinct().collect())

    table = f"`{args.database}`.`{args.table}`"
    registered = None
    if not args.no_register:
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `{args.database}`")
        exists = spark.catalog.tableExists(f"{args.database}.{args.table}")
        if exists:
            current = [r for r in spark.sql(f"DESCRIBE FORMATTED {table}").collect() if r[0] == "Location"]
            moved = not current or current[0][1].rstrip("/") != location.rstrip("/")
            if moved or spark.table(table).columns != COLUMNS + ["dt"]:
                # A new version or a new column: the table is made again (external, so the data stays).
                spark.sql(f"DROP TABLE {table}")
                exists = False
        if not exists:
            spark.sql(
                f"""CREATE EXTERNAL TABLE {table} (
                  ts TIMESTAMP, client_ip STRING, method STRING, path STRING, protocol STRING,
                  status INT, bytes BIGINT, referrer STRING, user_agent STRING, record_id STRING, extra STRING)
                PARTITIONED BY (dt DATE)
                STORED AS PARQUET
                LOCATION '{location}'"""
            )
        spark.sql(f"MSCK REPAIR TABLE {table}")
        spark.catalog.refreshTable(f"{args.database}.{args.table}")
        registered = f"{args.database}.{args.table}"

    reasons = ", ".join(f"{reason} {count}" for reason, count in rejected.items())
    print(f"raw_to_parquet: {total} line(s) read, {good_count} parsed, {bad_count} malformed set aside" + (f" in {rejects} ({reasons})" if bad_count else ""), flush=True)
    emit(
        "TRIBUTARY_SUMMARY",
        job="raw_to_parquet",
        version=version,
        location=location,
        lines=total,
        good=good_count,
        bad=bad_count,
        rejected=rejected,
        foreign=foreign_count,
        duplicates=good_count - curated_count,
        rows=curated_count,
        rejects=rejects if bad_count else None,
        partitions=partitions,
        table=registered,
    )
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
