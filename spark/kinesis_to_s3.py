"""Kinesis -> S3 raw: reads an access-log stream and writes its records to
s3://<bucket>/<prefix>/dt=YYYY-MM-DD/batch-<shard>-<firstSeq>-<lastSeq>.txt in
micro-batches, checkpointing each shard's position in S3.

Runs unchanged on EMR 7 (command-runner.jar spark-submit s3://.../kinesis_to_s3.py ...)
and on Tributary's sandbox. Spark 3.5 has no Kinesis source on Maven Central, so
the driver reads each shard with boto3 (GetShardIterator/GetRecords) and writes
through Spark's own Hadoop filesystem (EMRFS on EMR, S3A on the sandbox), with the
cluster's credentials.

Exactly once into S3, across kills and restarts:
  1. a batch is read (records firstSeq..lastSeq of one shard);
  2. the shard's checkpoint records it as pending (committed position unchanged);
  3. the batch's objects are written; their names depend only on the records, so a
     rewrite replaces, never adds;
  4. the checkpoint commits lastSeq.
A run that starts after a kill between 2 and 4 replays exactly the pending batch
(the same records, the same object names), then reads AFTER the committed sequence.
A kill before 2 leaves nothing behind; after 4 nothing is repeated.

stdout carries one JSON line per event, prefixed TRIBUTARY_EVENT, and a final
TRIBUTARY_SUMMARY line, which the app parses.
"""

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone

import boto3
from botocore.config import Config
from pyspark.sql import SparkSession


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stream", required=True, help="Kinesis stream name")
    p.add_argument("--bucket", required=True, help="the pipeline's bucket")
    p.add_argument("--prefix", default="raw/access_logs", help="raw prefix in the bucket")
    p.add_argument("--checkpoint-prefix", default="checkpoints/kinesis_to_s3", help="where shard positions are kept")
    p.add_argument("--endpoint-url", default=None, help="Kinesis endpoint (the sandbox); omit on EMR")
    p.add_argument("--region", default=None, help="AWS region (default: the cluster's)")
    p.add_argument("--batch-size", type=int, default=1000, help="records per shard per batch (GetRecords Limit, at most 10000)")
    p.add_argument("--max-batches", type=int, default=0, help="stop after this many batches (0: no limit)")
    p.add_argument("--until-idle-seconds", type=float, default=0, help="stop when no record arrived for this long (0: run until cancelled)")
    p.add_argument("--poll-seconds", type=float, default=1.0, help="wait between empty polls of a shard")
    p.add_argument("--batch-interval-seconds", type=float, default=0.0, help="pause after each written batch")
    p.add_argument("--scheme", default="s3", help="filesystem scheme for the bucket (s3 on EMR; s3a works too)")
    # Fault injection for tests: die right after writing batch N's objects, before its checkpoint commits.
    p.add_argument("--crash-after-write", type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def emit(kind, **fields):
    print(f"{kind} " + json.dumps(fields, sort_keys=True), flush=True)


class Store:
    """Objects in the bucket through Spark's Hadoop filesystem: one PUT per object, replaced whole."""

    def __init__(self, spark, root):
        jvm = spark.sparkContext._jvm
        self._jvm = jvm
        conf = spark.sparkContext._jsc.hadoopConfiguration()
        self._fs = jvm.org.apache.hadoop.fs.Path(root).getFileSystem(conf)
        self.root = root.rstrip("/")

    def _path(self, key):
        return self._jvm.org.apache.hadoop.fs.Path(f"{self.root}/{key}")

    def write(self, key, data):
        out = self._fs.create(self._path(key), True)
        try:
            out.write(bytearray(data))
        finally:
            # S3A and EMRFS upload on close: the object appears whole or not at all.
            out.close()

    def read(self, key):
        path = self._path(key)
        if not self._fs.exists(path):
            return None
        stream = self._fs.open(path)
        try:
            chunks = []
            buf = self._jvm.java.io.ByteArrayOutputStream()
            self._jvm.org.apache.hadoop.io.IOUtils.copyBytes(stream, buf, 65536, False)
            chunks.append(bytes(buf.toByteArray()))
            return b"".join(chunks)
        finally:
            stream.close()


class Checkpoints:
    def __init__(self, store, prefix, stream):
        self.store = store
        self.prefix = f"{prefix.strip('/')}/{stream}"

    def key(self, shard):
        return f"{self.prefix}/{shard}.json"

    def load(self, shard):
        data = self.store.read(self.key(shard))
        return json.loads(data) if data else {"committed": None, "pending": None, "batches": 0}

    def save(self, shard, state):
        state = dict(state, updated=datetime.now(timezone.utc).isoformat())
        self.store.write(self.key(shard), json.dumps(state, sort_keys=True).encode())


def arrival_day(record):
    stamp = record.get("ApproximateArrivalTimestamp")
    if isinstance(stamp, datetime):
        return stamp.astimezone(timezone.utc).strftime("%Y-%m-%d")
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def lines_of(record):
    text = record["Data"].decode("utf-8", errors="replace")
    # Only \n ends a line (str.splitlines would also split on \x1c, \u2028, ... inside a field).
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


class Job:
    def __init__(self, args, spark, kinesis):
        self.args = args
        self.kinesis = kinesis
        self.store = Store(spark, f"{args.scheme}://{args.bucket}")
        self.checkpoints = Checkpoints(self.store, args.checkpoint_prefix, args.stream)
        self.batches = 0
        self.records = 0
        self.objects = 0
        self.replayed = 0

    def write_batch(self, shard, state, records):
        first, last = records[0]["SequenceNumber"], records[-1]["SequenceNumber"]
        state = dict(state, pending={"first": first, "last": last})
        self.checkpoints.save(shard, state)
        by_day = {}
        for record in records:
            by_day.setdefault(arrival_day(record), []).extend(lines_of(record))
        keys = []
        for day, lines in sorted(by_day.items()):
            key = f"{self.args.prefix.strip('/')}/dt={day}/batch-{shard}-{first}-{last}.txt"
            self.store.write(key, ("\n".join(lines) + "\n").encode("utf-8"))
            keys.append(key)
        self.batches += 1
        self.objects += len(keys)
        if self.args.crash_after_write and self.batches == self.args.crash_after_write:
            emit("TRIBUTARY_EVENT", event="crash", shard=shard, batch=self.batches, first=first, last=last)
            os._exit(3)
        state = {"committed": last, "pending": None, "batches": int(state.get("batches") or 0) + 1}
        self.checkpoints.save(shard, state)
        self.records += len(records)
        emit("TRIBUTARY_EVENT", event="batch", shard=shard, records=len(records), first=first, last=last, objects=keys)
        return state

    def iterator(self, shard, after):
        if after:
            answer = self.kinesis.get_shard_iterator(StreamName=self.args.stream, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=after)
        else:
            answer = self.kinesis.get_shard_iterator(StreamName=self.args.stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        return answer["ShardIterator"]

    def replay(self, shard, state):
        """Re-reads exactly the pending batch (committed, last] and writes it again under the same names."""
        pending = state["pending"]
        last = int(pending["last"])
        it = self.iterator(shard, state.get("committed"))
        records = []
        while it:
            answer = self.kinesis.get_records(ShardIterator=it, Limit=self.args.batch_size)
            got = answer.get("Records", [])
            records.extend(r for r in got if int(r["SequenceNumber"]) <= last)
            if any(int(r["SequenceNumber"]) >= last for r in got):
                break
            if not got and answer.get("MillisBehindLatest", 0) == 0:
                break
            it = answer.get("NextShardIterator")
        if records and records[-1]["SequenceNumber"] == pending["last"] and records[0]["SequenceNumber"] == pending["first"]:
            emit("TRIBUTARY_EVENT", event="replay", shard=shard, first=pending["first"], last=pending["last"], records=len(records))
            self.replayed += 1
            return self.write_batch(shard, state, records)
        # The stream no longer holds those records (retention passed): nothing of the pending batch can be rewritten.
        emit("TRIBUTARY_EVENT", event="replay-missing", shard=shard, first=pending["first"], last=pending["last"], found=len(records))
        return dict(state, pending=None)

    def run(self):
        shards = []
        token = None
        while True:
            answer = self.kinesis.list_shards(NextToken=token) if token else self.kinesis.list_shards(StreamName=self.args.stream)
            shards.extend(s["ShardId"] for s in answer.get("Shards", []))
            token = answer.get("NextToken")
            if not token:
                break
        states, iterators = {}, {}
        for shard in shards:
            state = self.checkpoints.load(shard)
            if state.get("pending"):
                state = self.replay(shard, state)
            states[shard] = state
            iterators[shard] = self.iterator(shard, state.get("committed"))
            emit("TRIBUTARY_EVENT", event="resume", shard=shard, after=state.get("committed"))

        last_activity = time.monotonic()
        while any(iterators.values()):
            got_any = False
            for shard in shards:
                it = iterators.get(shard)
                if not it:
                    continue
                answer = self.kinesis.get_records(ShardIterator=it, Limit=self.args.batch_size)
                iterators[shard] = answer.get("NextShardIterator")  # None: the shard is closed and read to its end
                records = answer.get("Records", [])
                if not records:
                    continue
                got_any = True
                states[shard] = self.write_batch(shard, states[shard], records)
                if self.args.max_batches and self.batches >= self.args.max_batches:
                    return
                if self.args.batch_interval_seconds:
                    time.sleep(self.args.batch_interval_seconds)
            now = time.monotonic()
            if got_any:
                last_activity = now
                continue
            if self.args.until_idle_seconds and now - last_activity >= self.args.until_idle_seconds:
                return
            time.sleep(self.args.poll_seconds)


def main(argv):
    args = parse_args(argv)
    spark = SparkSession.builder.appName(f"kinesis_to_s3 {args.stream}").getOrCreate()
    sc = spark.sparkContext
    emit("TRIBUTARY_EVENT", event="started", job="kinesis_to_s3", applicationId=sc.applicationId, uiWebUrl=sc.uiWebUrl)
    kinesis = boto3.client(
        "kinesis",
        region_name=args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or boto3.session.Session().region_name,
        endpoint_url=args.endpoint_url,
        config=Config(retries={"mode": "adaptive", "max_attempts": 10}),
    )
    job = Job(args, spark, kinesis)
    started = time.time()
    job.run()
    emit(
        "TRIBUTARY_SUMMARY",
        job="kinesis_to_s3",
        stream=args.stream,
        batches=job.batches,
        records=job.records,
        objects=job.objects,
        replayed=job.replayed,
        seconds=round(time.time() - started, 1),
    )
    print(f"kinesis_to_s3: {job.records} record(s) in {job.batches} batch(es) written to s3://{args.bucket}/{args.prefix.strip('/')}/", flush=True)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
