"""Kinesis resharding as AWS does it, where moto 5.2.5 does not (sandbox/DIFFERENCES.md lists these).

- SplitShard and MergeShards leave a closed parent's records where they are, readable
  until retention ends; moto moves a split parent's records into its children under new
  sequence numbers (so a reader sees them twice, or misses the ones put after) and
  copies merged parents' records into the child (twice again).
- New records go to the open shard whose hash key range holds the key, both ends
  included; moto picks the first shard in the range, closed or not, so records kept
  going to a split parent, and a key equal to a range's end matched no shard at all.
- GetRecords on a closed shard read to its end gives no NextShardIterator, which is
  how a reader learns it may move on to the children; moto always gave one.
- MergeShards refuses a shard that is already closed, and OpenShardCount follows
  SplitShard and MergeShards, not only UpdateShardCount.
"""

from collections import OrderedDict


def fix_resharding():
    from moto.kinesis.exceptions import InvalidArgumentError
    from moto.kinesis.models import KinesisBackend, Stream
    from moto.kinesis.utils import decompose_shard_iterator
    from moto.utilities.utils import md5_hash

    def keeping_records(reshard, parents_of):
        def wrapped(self, *args):
            parents = [self.shards[shard_id] for shard_id in parents_of(args) if shard_id in self.shards]
            for parent in parents:
                if not parent.is_open:
                    raise InvalidArgumentError(
                        message=f"Shard {parent.shard_id} in stream {self.stream_name} under account {self.account_id} has already been merged or split, and thus is not eligible for merging or splitting."
                    )
            kept = [parent.records for parent in parents]
            # Empty while moto reshards, so it has nothing to move; given back once the parents are closed.
            for parent in parents:
                parent.records = OrderedDict()
            try:
                reshard(self, *args)
            finally:
                for parent, records in zip(parents, kept):
                    parent.records = records
            self.shard_count = sum(1 for shard in self.shards.values() if shard.is_open)

        return wrapped

    def get_shard_for_key(self, partition_key, explicit_hash_key):
        if not isinstance(partition_key, str) or len(partition_key) > 256:
            raise InvalidArgumentError("partition_key")
        if explicit_hash_key:
            if not isinstance(explicit_hash_key, str) or int(explicit_hash_key) >= 2**128:
                raise InvalidArgumentError("explicit_hash_key")
            key = int(explicit_hash_key)
        else:
            key = int(md5_hash(partition_key.encode("utf-8")).hexdigest(), 16)
        return next(s for s in self.shards.values() if s.is_open and s.starting_hash <= key <= s.ending_hash)

    moto_get_records = KinesisBackend.get_records

    def get_records(self, stream_arn, shard_iterator, limit):
        next_iterator, records, millis_behind = moto_get_records(self, stream_arn, shard_iterator, limit)
        stream_name, shard_id, last = decompose_shard_iterator(next_iterator)
        shard = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name).get_shard(shard_id)
        if not shard.is_open and int(last) >= shard.get_max_sequence_number():
            return None, records, millis_behind
        return next_iterator, records, millis_behind

    Stream.split_shard = keeping_records(Stream.split_shard, lambda args: args[:1])
    Stream.merge_shards = keeping_records(Stream.merge_shards, lambda args: args[:2])
    Stream.get_shard_for_key = get_shard_for_key
    KinesisBackend.get_records = get_records
