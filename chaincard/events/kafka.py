"""kafka-python clients configured the way ChainCard needs them.

Every client takes the process's :class:`~chaincard.events.connection.KafkaConnection` (TLS, SASL)
unless one is given; the local broker's default is plaintext.
"""

from __future__ import annotations

import logging
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from chaincard.events.connection import KafkaConnection, current_connection
from chaincard.events.topics import ALL_TOPICS, PARTITIONS

log = logging.getLogger(__name__)


def producer_options(bootstrap: str, connection: KafkaConnection | None = None) -> dict[str, Any]:
    # Idempotent with acks=all, whatever the settings: a retried send is written once, per-partition
    # order survives retries, and a record is acknowledged only once every in-sync replica has it
    # (with min.insync.replicas=2 on the cluster's topics, a lost broker loses nothing acknowledged).
    return {
        "bootstrap_servers": bootstrap.split(","),
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 5,
        "request_timeout_ms": 10_000,
        "max_block_ms": 10_000,
        # Topics are created by ensure_topics only, with their partition counts: a broker that
        # auto-creates a topic on a client's metadata request gives it its own default count (the
        # local tansu restarted empty did, and members kept assignments of partitions that no longer
        # existed). A producer to a missing topic fails, and the relay's next producer ensures them.
        "allow_auto_create_topics": False,
        **(connection or current_connection()).client_options(),
    }


def consumer_options(bootstrap: str, group_id: str, connection: KafkaConnection | None = None) -> dict[str, Any]:
    # Short session and poll timeouts: a group joins in ~3 s instead of ~25 s on the local broker
    # (the rebalance waits up to max_poll_interval_ms for members to rejoin).
    return {
        "bootstrap_servers": bootstrap.split(","),
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": 6000,
        "heartbeat_interval_ms": 1000,
        "max_poll_interval_ms": 10_000,
        "max_poll_records": 200,
        # As for the producer: never create a topic by asking for its metadata. Metadata is refreshed
        # every 10 s (not 5 min) so a member notices topics created again after a broker lost them.
        "allow_auto_create_topics": False,
        "metadata_max_age_ms": 10_000,
        **(connection or current_connection()).client_options(),
    }


def admin_options(bootstrap: str, connection: KafkaConnection | None = None) -> dict[str, Any]:
    return {"bootstrap_servers": bootstrap.split(","), "request_timeout_ms": 10_000,
            **(connection or current_connection()).client_options()}


def make_producer(bootstrap: str, connection: KafkaConnection | None = None) -> KafkaProducer:
    return KafkaProducer(**producer_options(bootstrap, connection))


def make_consumer(bootstrap: str, group_id: str, topics: list[str], connection: KafkaConnection | None = None,
                  listener: ConsumerRebalanceListener | None = None) -> KafkaConsumer:
    """A group member subscribed to ``topics``; ``listener`` is told of every assignment."""
    if listener is None:
        return KafkaConsumer(*topics, **consumer_options(bootstrap, group_id, connection))
    consumer = KafkaConsumer(**consumer_options(bootstrap, group_id, connection))
    consumer.subscribe(topics=topics, listener=listener)
    return consumer


def ensure_topics(bootstrap: str, connection: KafkaConnection | None = None) -> None:
    """Create ChainCard's topics if missing (the local broker starts empty; a production cluster's
    come from its KafkaTopic resources, so there this finds them all)."""
    connection = connection or current_connection()
    admin = KafkaAdminClient(**admin_options(bootstrap, connection))
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(topic, num_partitions=PARTITIONS[topic], replication_factor=connection.topic_replication_factor,
                     topic_configs=connection.topic_configs())
            for topic in ALL_TOPICS
            if topic not in existing
        ]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
            log.info("created topics", extra={"fields": {"topics": [t.name for t in missing]}})
    finally:
        admin.close()
