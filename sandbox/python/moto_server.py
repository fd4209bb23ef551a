"""The sandbox's AWS emulator: moto's server, with its state kept on disk.

moto keeps everything in memory. This launcher snapshots the backends of the
services Tributary uses (pickle, which moto's S3 keys support explicitly) a few
seconds after a request that may have changed state, and on shutdown, and loads
the snapshot at start, so buckets, objects, streams, roles and clusters
survive a restart.
"""

import argparse
import hmac
import io
import os
import pickle
import signal
import sys
import tempfile
import threading
import time

from urllib.parse import parse_qs

from moto.backends import get_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from kinesis_resharding import fix_resharding

SERVICES = ["s3", "kinesis", "firehose", "cloudwatch", "iam", "ec2", "kms", "emr", "redshift", "secretsmanager", "sts"]


def snapshot(path, lock):
    lock.acquire_exclusive()
    try:
        state = {}
        for name in SERVICES:
            backends = get_backend(name)
            state[name] = {account: dict(regions) for account, regions in backends.items()}
        # Serialised while requests wait; written to disk after they resume.
        data = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        lock.release_exclusive()
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".moto-state-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def restore(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as handle:
        state = pickle.load(handle)
    count = 0
    for name, accounts in state.items():
        backends = get_backend(name)
        for account, regions in accounts.items():
            for region, backend in regions.items():
                backends[account][region] = backend
                count += 1
    return count


def speed_up_kinesis_shards():
    """moto finds a shard's last sequence number by listing every record, and
    reads by scanning from the first: each put and each read costs the whole
    shard, so a stream of 100,000 records slows to a crawl. Sequence numbers
    in a shard are consecutive integers (put assigns last + 1), so both are a
    lookup. Same results as moto's own methods, in constant time."""
    from moto.kinesis.models import Shard

    def last(self):
        return next(reversed(self.records)) if self.records else 0

    def first(self):
        return next(iter(self.records)) if self.records else 0

    def get_records(self, last_sequence_id, limit):
        last_sequence_int = int(last_sequence_id)
        results = []
        secs_behind_latest = 0.0
        if self.records:
            newest = self.records[last(self)]
            sequence = max(last_sequence_int + 1, first(self))
            while sequence <= newest.sequence_number and (limit is None or len(results) < limit):
                record = self.records.get(sequence)
                if record is not None:
                    results.append(record)
                    last_sequence_int = sequence
                    secs_behind_latest = newest.created_at - record.created_at
                sequence += 1
        return results, last_sequence_int, int(secs_behind_latest * 1000)

    Shard.get_max_sequence_number = last
    Shard.get_min_sequence_number = first
    Shard.get_records = get_records


READ_ONLY = ("Describe", "List", "Get")


class SharedExclusiveLock:
    """Requests share it; a snapshot takes it alone, so it never pickles a backend a request is changing."""

    def __init__(self):
        self.cond = threading.Condition()
        self.sharers = 0
        self.exclusive = False

    def acquire_shared(self):
        with self.cond:
            while self.exclusive:
                self.cond.wait()
            self.sharers += 1

    def release_shared(self):
        with self.cond:
            self.sharers -= 1
            self.cond.notify_all()

    def acquire_exclusive(self):
        with self.cond:
            # Taken first, so a steady stream of requests cannot starve the snapshot.
            while self.exclusive:
                self.cond.wait()
            self.exclusive = True
            while self.sharers:
                self.cond.wait()

    def release_exclusive(self):
        with self.cond:
            self.exclusive = False
            self.cond.notify_all()


class ChangeTracker:
    """WSGI middleware: notes requests that may change state (not reads), and holds them off while a snapshot is taken."""

    def __init__(self, app):
        self.app = app
        self.dirty = threading.Event()
        self.lock = SharedExclusiveLock()

    def __call__(self, environ, start_response):
        if self.may_change(environ):
            self.dirty.set()
        self.lock.acquire_shared()
        try:
            # Bodies are built inside the call for moto's responses; the list keeps any lazy iterable under the lock too.
            return list(self.app(environ, start_response))
        finally:
            self.lock.release_shared()

    @staticmethod
    def may_change(environ):
        method = environ.get("REQUEST_METHOD", "GET")
        if method in ("GET", "HEAD", "OPTIONS"):
            return False
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            return not target.split(".")[-1].startswith(READ_ONLY)
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
            return not action.startswith(READ_ONLY)
        return True


UPSTREAM_HEADER = "HTTP_X_TRIBUTARY_UPSTREAM"


class RequireToken:
    """WSGI middleware: answers only requests carrying the run's upstream token (X-Tributary-Upstream), which
    the gateway adds after checking the caller's signature. moto checks no signature itself, so without this
    anyone on the machine could reach it on its port and go around the gateway (add EMR steps, which the gateway
    then adopts and runs, or replace a job's script in S3)."""

    def __init__(self, app, token):
        self.app = app
        self.token = token.encode("utf-8")

    def __call__(self, environ, start_response):
        given = environ.get(UPSTREAM_HEADER, "").encode("utf-8")
        if hmac.compare_digest(given, self.token):
            return self.app(environ, start_response)
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"Only the sandbox's AWS endpoint talks to its emulator.\n"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()

    speed_up_kinesis_shards()
    fix_resharding()
    try:
        restored = restore(args.state)
    except Exception as error:  # a snapshot from another moto version, or a torn file
        aside = f"{args.state}.unreadable-{int(time.time())}"
        os.replace(args.state, aside)
        print(f"tributary: could not load {args.state} ({error}); kept it as {aside}", flush=True)
        restored = 0
    print(f"tributary: restored {restored} backend(s)", flush=True)

    token = os.environ.pop("TRIBUTARY_MOTO_TOKEN", "")
    if not token:
        print("tributary: TRIBUTARY_MOTO_TOKEN is not set", flush=True)
        return 2
    tracker = ChangeTracker(DomainDispatcherApplication(create_backend_app))
    app = RequireToken(tracker, token)
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"tributary: moto listening on 127.0.0.1:{args.port}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(args.interval):
        if tracker.dirty.is_set():
            tracker.dirty.clear()
            try:
                snapshot(args.state, tracker.lock)
            except Exception as error:
                tracker.dirty.set()
                print(f"tributary: snapshot failed, will try again: {error}", flush=True)
    server.shutdown()
    snapshot(args.state, tracker.lock)
    print("tributary: state saved", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
