"""Raw -> curated: parses the raw access-log lines under s3://<bucket>/raw/access_logs/
into a typed table, writes it as Parquet partitioned by dt into the versioned
prefix s3://<bucket>/curated/access_logs/v<N>/, sets malformed lines aside under
s3://<bucket>/rejects/access_logs/run=<id>/ (counted, never dropped silently),
and registers or refreshes the external table in the Hive metastore.

Runs unchanged on EMR 7 (command-runner.jar spark-submit s3://.../raw_to_parquet.py ...)
and on Tributary's sandbox. stdout ends with one TRIBUTARY_SUMMARY JSON line.

The line format is Nginx's combined log with the producer's record id as a last
quoted field:
  1.2.3.4 - - [02/Jan/2024:03:04:05 +0000] "GET /a?b=1 HTTP/1.1" 200 512 "-" "curl/8" "rid=abc"
"""

import argparse
import json
import re
import sys
from datetime import datetime, timezone

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

# The producer's format, as shared/pipeline/access-log.ts declares it (ACCESS_LOG_REGEX, kept identical
# here and in sql/spark/raw_access_logs.sql; a unit test compares the three). Groups: 1 client_ip, 2 ident,
# 3 remote_user, 4 time, 5 method, 6 path, 7 protocol, 8 status, 9 bytes, 10 referrer, 11 user_agent, 12 record_id.
ACCESS_LOG_REGEX = r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" "rid=([A-Za-z0-9_.-]+)"$'
TIME_FORMAT = "dd/MMM/yyyy:HH:mm:ss Z"

COLUMNS = ["ts", "client_ip", "method", "path", "protocol", "status", "bytes", "referrer", "user_agent", "record_id"]


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


def parse(raw):
    """Typed columns, and a reason (null when the line is good)."""
    g = lambda i: F.regexp_extract("line", ACCESS_LOG_REGEX, i)  # noqa: E731
    matched = F.col("line").rlike(ACCESS_LOG_REGEX)
    ts = F.to_timestamp(g(4), TIME_FORMAT)
    parsed = raw.select(
        "line",
        "source_file",
        matched.alias("matched"),
        ts.alias("ts"),
        g(1).alias("client_ip"),
        g(5).alias("method"),
        g(6).alias("path"),
        g(7).alias("protocol"),
        g(8).cast("int").alias("status"),
        F.when(g(9) == "-", F.lit(0)).otherwise(g(9)).cast("bigint").alias("bytes"),
        g(10).alias("referrer"),
        g(11).alias("user_agent"),
        g(12).alias("record_id"),
    )
    reason = (
        F.when(~F.col("matched"), F.lit("does not match the access-log format"))
        .when(F.col("ts").isNull(), F.lit("unreadable timestamp"))
        .when(F.col("bytes").isNull(), F.lit("unreadable byte count"))
    )
    return parsed.withColumn("reason", reason)


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

    raw = (
        spark.read.option("recursiveFileLookup", "true")
        .option("pathGlobFilter", "*.txt")
        .text(raw_path)
        .select(F.col("value").alias("line"), F.input_file_name().alias("source_file"))
        .where(F.length(F.trim("line")) > 0)
    )
    parsed = parse(raw).cache()
    total = parsed.count()
    bad = parsed.where(F.col("reason").isNotNull())
    bad_count = bad.count()
    good = parsed.where(F.col("reason").isNull())
    good_count = good.count()
    # The producer's record id is unique: a record delivered twice upstream is kept once.
    curated = good.dropDuplicates(["record_id"]).select(*COLUMNS, F.to_date("ts").alias("dt"))
    curated_count = curated.count()

    if bad_count:
        bad.select("line", "source_file", "reason").coalesce(1).write.mode("overwrite").json(rejects)
    curated.repartition("dt").write.mode("overwrite").partitionBy("dt").parquet(location)
    partitions = sorted(str(r["dt"]) for r in curated.select("dt").distinct().collect())

    table = f"`{args.database}`.`{args.table}`"
    registered = None
    if not args.no_register:
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `{args.database}`")
        exists = spark.catalog.tableExists(f"{args.database}.{args.table}")
        if exists:
            current = [r for r in spark.sql(f"DESCRIBE FORMATTED {table}").collect() if r[0] == "Location"]
            if not current or current[0][1].rstrip("/") != location.rstrip("/"):
                # A new version: the table moves to it (external, so the old version's data stays).
                spark.sql(f"DROP TABLE {table}")
                exists = False
        if not exists:
            spark.sql(
                f"""CREATE EXTERNAL TABLE {table} (
                  ts TIMESTAMP, client_ip STRING, method STRING, path STRING, protocol STRING,
                  status INT, bytes BIGINT, referrer STRING, user_agent STRING, record_id STRING)
                PARTITIONED BY (dt DATE)
                STORED AS PARQUET
                LOCATION '{location}'"""
            )
        spark.sql(f"MSCK REPAIR TABLE {table}")
        spark.catalog.refreshTable(f"{args.database}.{args.table}")
        registered = f"{args.database}.{args.table}"

    print(f"raw_to_parquet: {total} line(s) read, {good_count} parsed, {bad_count} malformed set aside" + (f" in {rejects}" if bad_count else ""), flush=True)
    emit(
        "TRIBUTARY_SUMMARY",
        job="raw_to_parquet",
        version=version,
        location=location,
        lines=total,
        good=good_count,
        bad=bad_count,
        duplicates=good_count - curated_count,
        rows=curated_count,
        rejects=rejects if bad_count else None,
        partitions=partitions,
        table=registered,
    )
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
