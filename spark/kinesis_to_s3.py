"""Kinesis -> S3 raw: reads an access-log stream and writes its records to
s3://<bucket>/<prefix>/dt=YYYY-MM-DD/batch-<shard>-<firstSeq>-<lastSeq>.txt in
micro-batches, checkpointing each shard's position in S3.

Runs unchanged on EMR 7 (command-runner.jar spark-submit s3://.../kinesis_to_s3.py ...)
and on Tributary's sandbox. Spark 3.5 has no Kinesis source on Maven Central, so
each round the driver lists the shards and plans one Spark task per shard that may
be read now; the task reads its shard with boto3 (GetShardIterator/GetRecords) and
writes its batch with boto3 (PutObject), on whichever executor runs it: Py4J, and
with it Spark's Hadoop filesystem, exists only on the driver.

Exactly once into S3, across kills and restarts, per shard:
  1. the task reads a batch (records firstSeq..lastSeq);
  2. it records the batch in the shard's checkpoint as pending (committed unchanged);
  3. it writes the batch's objects; their names depend only on the records, so a
     rewrite replaces, never adds;
  4. once every task of the round has returned, the driver commits lastSeq.
A task that finds a pending batch in the checkpoint (a kill between 2 and 4, or an
earlier attempt of the same task) replays exactly that batch (the same records, the
same object names) before reading on. A kill before 2 leaves nothing behind; after
4 nothing is repeated.

Resharding: a shard is planned only once its parents (ParentShardId,
AdjacentParentShardId) are read to their end (GetRecords gave no NextShardIterator),
so a partition key's records reach S3 in the order Kinesis took them. Shards are
listed again every round, so children appear without a restart.

stdout carries one JSON line per event, prefixed TRIBUTARY_EVENT, and a final
TRIBUTARY_SUMMARY line, which the app parses. Only the driver prints them.
"""

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone

import boto3
from pyspark.sql import SparkSession

BOOTSTRAP_HINT = "boto3 is missing from this node's Python: add the bootstrap action in spark/bootstrap/install-boto3.sh (spark/README.md)"
# An empty answer does not mean the end of the shard (Kinesis can answer empty inside it); this many are enough to get past one.
EMPTY_READS = 5


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stream", required=True, help="Kinesis stream name")
    p.add_argument("--bucket", required=True, help="the pipeline's bucket")
    p.add_argument("--prefix", default="raw/access_logs", help="raw prefix in the bucket")
    p.add_argument("--checkpoint-prefix", default="checkpoints/kinesis_to_s3", help="where shard positions are kept")
    p.add_argument("--endpoint-url", default=None, help="Kinesis endpoint (the sandbox); omit on EMR")
    p.add_argument("--region", default=None, help="AWS region (default: the cluster's)")
    p.add_argument("--batch-size", type=int, default=1000, help="records per shard per batch (GetRecords Limit, at most 10000)")
    p.add_argument("--max-batches", type=int, default=0, help="stop after the round that reaches this many batches (0: no limit)")
    p.add_argument("--until-idle-seconds", type=float, default=0, help="stop when no record arrived for this long (0: run until cancelled)")
    p.add_argument("--poll-seconds", type=float, default=1.0, help="wait between rounds that found nothing")
    p.add_argument("--batch-interval-seconds", type=float, default=0.0, help="pause after each round that wrote batches")
    # Fault injection for tests: die once batch N's objects are written, before its checkpoint commits.
    p.add_argument("--crash-after-write", type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def emit(kind, **fields):
    print(f"{kind} " + json.dumps(fields, sort_keys=True), flush=True)


def aws_client(service, target):
    """A client for the driver or a task. Credentials come from where the process runs (the instance profile on
    EMR, the environment on the sandbox's master), never from the plan, which Spark ships to executors."""
    # Imported here, not with the module: a task imports what it refers to before it runs, and would fail without the hint.
    try:
        import boto3 as sdk
        from botocore.config import Config
    except ImportError as error:
        raise RuntimeError(BOOTSTRAP_HINT) from error
    endpoint = target["kinesis_endpoint"] if service == "kinesis" else target["s3_endpoint"]
    config = Config(retries={"mode": "adaptive", "max_attempts": 10}, s3={"addressing_style": "path" if endpoint else "auto"})
    return sdk.client(service, region_name=target["region"], endpoint_url=endpoint, config=config)


def checkpoint_key(target, shard):
    return f"{target['checkpoint_prefix'].strip('/')}/{target['stream']}/{shard}.json"


def load_checkpoint(s3, target, shard):
    try:
        body = s3.get_object(Bucket=target["bucket"], Key=checkpoint_key(target, shard))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return {"committed": None, "pending": None, "batches": 0, "ended": False}
    return dict({"ended": False}, **json.loads(body))


def save_checkpoint(s3, target, shard, state):
    state = dict(state, updated=datetime.now(timezone.utc).isoformat())
    s3.put_object(Bucket=target["bucket"], Key=checkpoint_key(target, shard), Body=json.dumps(state, sort_keys=True).encode())


def arrival_day(record):
    stamp = record.get("ApproximateArrivalTimestamp")
    if isinstance(stamp, datetime):
        return stamp.astimezone(timezone.utc).strftime("%Y-%m-%d")
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def lines_of(record):
    text = record["Data"].decode("utf-8", errors="replace")
    # Only \n ends a line (str.splitlines would also split on \x1c, \u2028, ... inside a field).
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


class ShardReader:
    """One shard, inside a task: reads a batch (or replays the pending one) and writes it, pending first."""

    def __init__(self, target, entry):
        self.target = target
        self.shard = entry["shard"]
        self.kinesis = aws_client("kinesis", target)
        self.s3 = aws_client("s3", target)
        self.state = load_checkpoint(self.s3, target, self.shard)
        if self.state.get("committed") != entry["committed"]:
            raise RuntimeError(f"{self.shard}: checkpoint at {self.state.get('committed')}, planned from {entry['committed']}: is another run reading this stream?")
        self.iterator = entry.get("iterator")

    def fresh_iterator(self):
        committed = self.state.get("committed")
        where = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": committed} if committed else {"ShardIteratorType": "TRIM_HORIZON"}
        return self.kinesis.get_shard_iterator(StreamName=self.target["stream"], ShardId=self.shard, **where)["ShardIterator"]

    def get_records(self):
        try:
            return self.kinesis.get_records(ShardIterator=self.iterator or self.fresh_iterator(), Limit=self.target["batch_size"])
        except self.kinesis.exceptions.ExpiredIteratorException:
            # The driver keeps an iterator between rounds; it lives five minutes.
            self.iterator = None
            return self.get_records()

    def run(self):
        pending = self.state.get("pending")
        return self.replay(pending) if pending else self.read()

    def read(self):
        records = []
        for _ in range(EMPTY_READS):
            answer = self.get_records()
            records = answer.get("Records", [])
            self.iterator = answer.get("NextShardIterator")  # None: the shard is closed and read to its end
            if records or not self.iterator or answer.get("MillisBehindLatest", 0) == 0:
                break
        outcome = {"shard": self.shard, "kind": "batch", "ended": not self.iterator, "iterator": self.iterator, "records": len(records)}
        if records:
            outcome.update(self.write(records))
        return outcome

    def replay(self, pending):
        """Re-reads exactly the pending batch (committed, last] and writes it again under the same names."""
        last = int(pending["last"])
        self.iterator = None
        records = []
        while True:
            answer = self.get_records()
            got = answer.get("Records", [])
            records.extend(r for r in got if int(r["SequenceNumber"]) <= last)
            self.iterator = answer.get("NextShardIterator")
            if not self.iterator or any(int(r["SequenceNumber"]) >= last for r in got) or (not got and answer.get("MillisBehindLatest", 0) == 0):
                break
        # The answer may go on past `last`, so the next round reads after it from a fresh iterator, and finds the end then.
        outcome = {"shard": self.shard, "iterator": None, "ended": False, "records": len(records)}
        if records and records[0]["SequenceNumber"] == pending["first"] and records[-1]["SequenceNumber"] == pending["last"]:
            outcome.update(self.write(records), kind="replay")
        else:
            # The stream no longer holds those records (retention passed): nothing of the pending batch can be rewritten.
            outcome.update(kind="replay-missing", first=pending["first"], last=pending["last"])
        return outcome

    def write(self, records):
        first, last = records[0]["SequenceNumber"], records[-1]["SequenceNumber"]
        save_checkpoint(self.s3, self.target, self.shard, dict(self.state, pending={"first": first, "last": last}))
        by_day = {}
        for record in records:
            by_day.setdefault(arrival_day(record), []).extend(lines_of(record))
        keys = []
        for day, lines in sorted(by_day.items()):
            key = f"{self.target['prefix'].strip('/')}/dt={day}/batch-{self.shard}-{first}-{last}.txt"
            self.s3.put_object(Bucket=self.target["bucket"], Key=key, Body=("\n".join(lines) + "\n").encode("utf-8"))
            keys.append(key)
        return {"first": first, "last": last, "objects": keys}


def read_shards(target):
    """The task body: each partition holds one shard's plan entry."""

    def task(entries):
        for entry in entries:
            yield ShardReader(target, entry).run()

    return task


class Job:
    """The driver: lists shards, plans a round, runs it as one task per shard, commits what the tasks wrote."""

    def __init__(self, args, sc, target):
        self.args = args
        self.sc = sc
        self.target = target
        self.kinesis = aws_client("kinesis", target)
        self.s3 = aws_client("s3", target)
        self.states = {}
        self.iterators = {}
        self.batches = 0
        self.records = 0
        self.objects = 0
        self.replayed = 0
        self.active_seconds = 0.0

    def list_shards(self):
        shards, token = [], None
        while True:
            answer = self.kinesis.list_shards(NextToken=token) if token else self.kinesis.list_shards(StreamName=self.args.stream)
            shards.extend(answer.get("Shards", []))
            token = answer.get("NextToken")
            if not token:
                return shards

    def plan(self):
        """Shards that may be read this round: not read to their end, and whose parents are (a parent no longer listed
        has passed the stream's retention)."""
        shards = self.list_shards()
        listed = {s["ShardId"] for s in shards}
        for shard in shards:
            sid = shard["ShardId"]
            if sid not in self.states:
                self.states[sid] = load_checkpoint(self.s3, self.target, sid)
                parents = [shard[p] for p in ("ParentShardId", "AdjacentParentShardId") if shard.get(p)]
                emit("TRIBUTARY_EVENT", event="resume", shard=sid, after=self.states[sid].get("committed"), parents=parents)

        def ready(shard):
            parents = [shard[p] for p in ("ParentShardId", "AdjacentParentShardId") if shard.get(p)]
            return not self.states[shard["ShardId"]].get("ended") and all(self.states[p].get("ended") for p in parents if p in listed)

        return [
            {"shard": s["ShardId"], "committed": self.states[s["ShardId"]].get("committed"), "iterator": self.iterators.get(s["ShardId"])}
            for s in shards
            if ready(s)
        ]

    def commit(self, outcome):
        shard = outcome["shard"]
        state = self.states[shard]
        kind = outcome["kind"]
        if kind == "replay-missing":
            emit("TRIBUTARY_EVENT", event=kind, shard=shard, first=outcome["first"], last=outcome["last"], found=outcome["records"])
            state = dict(state, pending=None)
        elif outcome.get("objects"):
            self.batches += 1
            if self.args.crash_after_write and self.batches == self.args.crash_after_write:
                emit("TRIBUTARY_EVENT", event="crash", shard=shard, batch=self.batches, first=outcome["first"], last=outcome["last"])
                os._exit(3)
            if kind == "replay":
                self.replayed += 1
                emit("TRIBUTARY_EVENT", event="replay", shard=shard, first=outcome["first"], last=outcome["last"], records=outcome["records"])
            state = {"committed": outcome["last"], "pending": None, "batches": int(state.get("batches") or 0) + 1, "ended": outcome["ended"]}
            self.records += outcome["records"]
            self.objects += len(outcome["objects"])
            emit("TRIBUTARY_EVENT", event="batch", shard=shard, records=outcome["records"], first=outcome["first"], last=outcome["last"], objects=outcome["objects"])
        elif outcome["ended"]:
            state = dict(state, ended=True)
        else:
            self.iterators[shard] = outcome["iterator"]
            return False
        if state.get("ended"):
            emit("TRIBUTARY_EVENT", event="shard-ended", shard=shard, last=state.get("committed"))
        save_checkpoint(self.s3, self.target, shard, state)
        self.states[shard] = state
        self.iterators[shard] = outcome["iterator"]
        return True

    def run(self):
        started = last_activity = time.monotonic()
        while True:
            plan = self.plan()
            if not plan:
                # Every listed shard is closed and read to its end: the stream has nothing more to give.
                return
            outcomes = self.sc.parallelize(plan, len(plan)).mapPartitions(read_shards(self.target)).collect()
            # Committed in the plan's order, so events and a crash are deterministic for a given outcome.
            progressed = [self.commit(o) for o in outcomes]
            now = time.monotonic()
            if any(o.get("objects") for o in outcomes):
                self.active_seconds = now - started
            if self.args.max_batches and self.batches >= self.args.max_batches:
                return
            if any(progressed):
                last_activity = now
                if self.args.batch_interval_seconds:
                    time.sleep(self.args.batch_interval_seconds)
                continue
            if self.args.until_idle_seconds and now - last_activity >= self.args.until_idle_seconds:
                return
            time.sleep(self.args.poll_seconds)


def main(argv):
    args = parse_args(argv)
    # A task attempt may not run twice at once: two writers of one shard's pending batch could read different records.
    spark = SparkSession.builder.appName(f"kinesis_to_s3 {args.stream}").config("spark.speculation", "false").getOrCreate()
    sc = spark.sparkContext
    emit("TRIBUTARY_EVENT", event="started", job="kinesis_to_s3", applicationId=sc.applicationId, uiWebUrl=sc.uiWebUrl)
    target = {
        "stream": args.stream,
        "bucket": args.bucket,
        "prefix": args.prefix,
        "checkpoint_prefix": args.checkpoint_prefix,
        "batch_size": args.batch_size,
        # Named here, where the job was started, and shipped to the tasks: an executor need not share the driver's environment.
        "region": args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or boto3.session.Session().region_name,
        "kinesis_endpoint": args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_KINESIS") or os.environ.get("AWS_ENDPOINT_URL"),
        "s3_endpoint": os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"),
    }
    job = Job(args, sc, target)
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
        activeSeconds=round(job.active_seconds, 2),
    )
    print(f"kinesis_to_s3: {job.records} record(s) in {job.batches} batch(es) written to s3://{args.bucket}/{args.prefix.strip('/')}/", flush=True)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
