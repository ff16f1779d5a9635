"""Consumer lag: how many records each consumer group has not committed yet, per group.

Lag of a partition = its end offset (the high watermark) − the group's committed offset (or the
partition's first offset when the group never committed there).

The end offset is read from a fetch response's high watermark rather than from ListOffsets alone:
the local broker (tansu 0.6) answers ListOffsets "latest" with the last *batch's* base offset + 1,
so we seek one record before that answer and let a fetch report the true high watermark. On a real
Kafka cluster the same code reads at most one record per partition.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition

from chaincard.events import topics
from chaincard.events.connection import current_connection

# Consumer groups of a deployment: name suffix → topics it reads. The full group id is
# "<deployment>.<suffix>" (Settings.deployment; a local chain uses its database prefix).
CONSUMER_GROUPS: dict[str, tuple[str, ...]] = {
    "hq-read-models": (topics.MEMBERS, topics.CARDS, topics.POSTINGS),
    "hq-notifications": (topics.CARDS, topics.POSTINGS),
    "hq-audit": (topics.AUDIT,),
    "settlement-clearing": (topics.POSTINGS,),
}


def region_referrals_group(region_code: str) -> str:
    """The suffix of a region's referral consumer group (docs/adr/0044): one group per region, as
    each region reads the whole topic and acts on its own members' referrals."""
    return f"region-{region_code}-referrals"


def groups_of(region_codes: Sequence[str] = ()) -> dict[str, tuple[str, ...]]:
    """The deployment's consumer groups: HQ's and settlement's, and each region's of ``region_codes``."""
    return {**CONSUMER_GROUPS, **{region_referrals_group(code): (topics.REFERRALS,) for code in region_codes}}


@dataclass
class TopicLag:
    """One group's lag on one of its topics (its partitions summed)."""

    topic: str
    lag: int = 0
    end: int = 0
    committed_partitions: int = 0
    partitions: int = 0


@dataclass
class GroupLag:
    group_id: str
    # Records not yet committed by the group, summed over its partitions.
    lag: int = 0
    # Records ever written to the group's topics (sum of high watermarks).
    end: int = 0
    # Partitions where the group has committed an offset.
    committed_partitions: int = 0
    per_partition: dict[TopicPartition, int] = field(default_factory=dict)
    # The same figures per topic of the group, in the order of its topics (HQ's GetConsumerLag).
    topics: dict[str, TopicLag] = field(default_factory=dict)


def _client_timeouts(timeout: float) -> dict[str, int]:
    """Give up on an absent broker within ``timeout`` (the option's name differs across kafka-python versions)."""
    wanted = {"request_timeout_ms": int(timeout * 1000) + 1000, "bootstrap_timeout_ms": int(timeout * 1000),
              "api_version_auto_timeout_ms": int(timeout * 1000)}
    return {name: value for name, value in wanted.items() if name in KafkaConsumer.DEFAULT_CONFIG}


def _high_watermarks(consumer: KafkaConsumer, partitions: list[TopicPartition], timeout: float) -> dict[TopicPartition, int]:
    reported = consumer.end_offsets(partitions)
    consumer.assign(partitions)
    for partition in partitions:
        consumer.seek(partition, max(reported[partition] - 1, 0))
    found: dict[TopicPartition, int] = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(partitions) and time.monotonic() < deadline:
        consumer.poll(timeout_ms=100, max_records=1)
        for partition in partitions:
            high = consumer.highwater(partition)
            if high is not None:
                found[partition] = high
    for partition in partitions:
        found.setdefault(partition, reported[partition])
    return found


def consumer_lag(bootstrap: str, deployment: str, *, timeout: float = 5.0, region_codes: Sequence[str] = ()) -> list[GroupLag]:
    """Lag of every ChainCard consumer group of ``deployment`` (with the referral groups of the
    regions ``region_codes``); raises KafkaError if the broker is away."""
    groups = groups_of(region_codes)
    results = []
    probe = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","), enable_auto_commit=False, group_id=None, fetch_max_wait_ms=50,
        max_partition_fetch_bytes=1024, **_client_timeouts(timeout), **current_connection().client_options(),
    )
    try:
        wanted = {topic for group_topics in groups.values() for topic in group_topics}
        partitions = [
            TopicPartition(topic, number)
            for topic in sorted(wanted)
            for number in sorted(probe.partitions_for_topic(topic) or ())
        ]
        beginnings = probe.beginning_offsets(partitions) if partitions else {}
        ends = _high_watermarks(probe, partitions, timeout) if partitions else {}
    finally:
        probe.close()
    for suffix, group_topics in groups.items():
        group_id = f"{deployment}.{suffix}"
        reader = KafkaConsumer(
            bootstrap_servers=bootstrap.split(","), group_id=group_id, enable_auto_commit=False, **_client_timeouts(timeout),
            **current_connection().client_options(),
        )
        try:
            lag = GroupLag(group_id=group_id, topics={topic: TopicLag(topic) for topic in group_topics})
            for partition in partitions:
                if partition.topic not in group_topics:
                    continue
                on_topic = lag.topics[partition.topic]
                committed = reader.committed(partition)
                if committed is not None:
                    lag.committed_partitions += 1
                    on_topic.committed_partitions += 1
                start = committed if committed is not None else beginnings.get(partition, 0)
                behind = max(ends[partition] - start, 0)
                lag.per_partition[partition] = behind
                lag.lag += behind
                lag.end += ends[partition]
                on_topic.partitions += 1
                on_topic.lag += behind
                on_topic.end += ends[partition]
            results.append(lag)
        finally:
            reader.close(autocommit=False)
    return results
