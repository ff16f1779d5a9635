"""Where a consumer reads from after its partitions are assigned, or after the broker's offsets went
backwards (docs/reliability.md, finding 7).

kafka-python keeps a partition's in-memory fetch position across a rebalance when the partition
stays with the member. A broker that lost its log (the local tansu restarted empty) numbers new
records from 0 again and forgets the committed offsets; the member rejoins the group, keeps its old
position and skips every new record below it. So on every assignment the position is set again from
the broker: the committed offset, or the beginning when there is none or it is outside the log.
Records are applied once whatever is read again (the inbox, STYLE rule 7), so reading from the
beginning costs time, never correctness."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition

log = logging.getLogger(__name__)

# Each look-up is bounded: a broker that does not answer raises (a KafkaError), and the consumer loop
# starts again with a new member instead of waiting out kafka-python's five-minute default.
LOOKUP_MILLISECONDS = 5_000


class AssignedPartitions(ConsumerRebalanceListener):
    """Collects the partitions assigned since the consumer loop last set their positions. The
    listener runs inside kafka-python's network loop, where no request may wait for an answer, so it
    only records them: the loop seeks (:func:`seek_committed_or_beginning`) after the poll."""

    def __init__(self) -> None:
        self.pending: set[TopicPartition] = set()

    def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self.pending -= set(revoked)

    def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        self.pending |= set(assigned)

    def take(self) -> set[TopicPartition]:
        taken, self.pending = self.pending, set()
        return taken


def seek_committed_or_beginning(consumer: KafkaConsumer, partitions: Iterable[TopicPartition]) -> None:
    """Set each partition's position to its committed offset, or to the beginning of its log when
    nothing is committed or the offset is not in the log (the broker's offsets went backwards)."""
    wanted = sorted(set(partitions) & set(consumer.assignment()))
    if not wanted:
        return
    starts = consumer.beginning_offsets(wanted, timeout_ms=LOOKUP_MILLISECONDS)
    ends = consumer.end_offsets(wanted, timeout_ms=LOOKUP_MILLISECONDS)
    for partition in wanted:
        committed = consumer.committed(partition, timeout_ms=LOOKUP_MILLISECONDS)
        if committed is not None and starts[partition] <= committed <= ends[partition]:
            consumer.seek(partition, committed)
        else:
            if committed is not None:
                log.warning("committed offset outside the log; reading from the beginning",
                            extra={"fields": {"partition": str(partition), "committed": committed,
                                              "log_end": ends[partition]}})
            consumer.seek_to_beginning(partition)


def past_the_log_end(consumer: KafkaConsumer) -> set[TopicPartition]:
    """Assigned partitions whose position is beyond the end of the log the last fetch reported: the
    broker lost records this member had read (no request is sent)."""
    behind = set()
    for partition in consumer.assignment():
        high = consumer.highwater(partition)
        position = consumer.position(partition, timeout_ms=100) if high is not None else None
        if high is not None and position is not None and position > high:
            behind.add(partition)
    return behind
