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
from collections.abc import Callable, Iterable

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError

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
    starts = log_offsets(consumer.beginning_offsets, wanted)
    ends = log_offsets(consumer.end_offsets, wanted)
    for partition in wanted:
        committed = consumer.committed(partition, timeout_ms=LOOKUP_MILLISECONDS)
        start, end = starts.get(partition), ends.get(partition)  # absent: the topic was just recreated
        if committed is not None and start is not None and end is not None and start <= committed <= end:
            consumer.seek(partition, committed)
        else:
            if committed is not None:
                log.warning("committed offset outside the log; reading from the beginning",
                            extra={"fields": {"partition": str(partition), "committed": committed,
                                              "log_end": end}})
            consumer.seek_to_beginning(partition)


class ConsumerStalled(KafkaError):
    """The member read nothing for too long while its partitions held records (:class:`StallWatch`)."""


def log_offsets(lookup: Callable[..., dict[TopicPartition, int]],
                partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    """``consumer.beginning_offsets`` or ``end_offsets`` of ``partitions``, leaving out any partition
    the broker does not have (kafka-python raises KeyError for a partition of a topic that was
    recreated with fewer partitions; one look-up at a time then finds the others)."""
    try:
        return dict(lookup(partitions, timeout_ms=LOOKUP_MILLISECONDS))
    except KeyError:
        found: dict[TopicPartition, int] = {}
        for partition in partitions:
            try:
                found.update(lookup([partition], timeout_ms=LOOKUP_MILLISECONDS))
            except KeyError:
                continue
        return found


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


class StallWatch:
    """Notices a member that stopped reading although its partitions have records: kafka-python can
    wait out a group join that the broker never completes (seen with the local broker restarted empty:
    a leader's SyncGroup left unanswered for minutes) while the member keeps its old assignment and
    positions. Every ``check_seconds`` without records it asks the broker for the log ends; records
    waiting (a position short of or past its log end, or nothing assigned while the topics hold
    records) for ``stall_seconds`` in a row mean the member is stuck, and the consumer loop starts
    again with a new member."""

    def __init__(self, *, stall_seconds: float, check_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self.check_seconds = check_seconds
        self._waiting_since: float | None = None
        self._next_check = 0.0

    def reset(self, now: float) -> None:
        """Records were read (or a new member started): nothing is stuck."""
        self._waiting_since = None
        self._next_check = now + self.check_seconds

    def stuck(self, records_waiting: Callable[[], bool], now: float) -> bool:
        """Called after a poll that returned no records; True once records have waited too long.
        ``records_waiting`` asks the broker (:func:`records_waiting`), at most every check."""
        if now < self._next_check:
            return False
        self._next_check = now + self.check_seconds
        if not records_waiting():
            self._waiting_since = None
            return False
        if self._waiting_since is None:
            self._waiting_since = now
        return now - self._waiting_since >= self.stall_seconds


def records_waiting(consumer: KafkaConsumer) -> bool:
    """Whether the broker holds records this member should be reading (one ListOffsets request)."""
    assigned = sorted(consumer.assignment())
    if not assigned:
        topics = consumer.subscription() or set()
        partitions = [TopicPartition(topic, number) for topic in sorted(topics)
                      for number in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return False
        starts = log_offsets(consumer.beginning_offsets, partitions)
        ends = log_offsets(consumer.end_offsets, partitions)
        return any(ends.get(partition, 0) > starts.get(partition, 0) for partition in partitions)
    ends = log_offsets(consumer.end_offsets, assigned)
    if len(ends) < len(assigned):  # an assigned partition is not in the broker's log at all
        return True
    for partition in assigned:
        try:
            position = consumer.position(partition, timeout_ms=100)
        except KafkaTimeoutError:  # not known yet (a reset under way): no records read from it
            position = None
        if position is None or position != ends.get(partition, position):
            return True
    return False
