"""How this process reaches the Kafka cluster: TLS, SASL and the replication of topics it creates.

The defaults are the local broker's (plaintext, no authentication, one replica). A production
cluster (Strimzi, or a managed Kafka) sets ``kafka_security_protocol`` and friends in the settings
(TOML, or ``CHAINCARD_KAFKA_*`` in the environment; docs/adr/0050). What a producer must always do
is not configurable: ``acks=all`` and idempotence are fixed in :mod:`chaincard.events.kafka`,
because the outbox's exactly-once promise rests on them.

One cluster per process: ``chaincard <service>`` installs its settings' connection at start
(:func:`use_connection`); a tool that never does gets the one its environment describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaincard.config import Settings, load_settings

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class KafkaConnection:
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = ""
    sasl_username: str = ""
    sasl_password: str = ""
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    # Replicas of a topic this process creates because it is missing (a managed cluster's topics
    # come from deploy/k8s KafkaTopic resources instead; this only keeps a race from making RF 1).
    topic_replication_factor: int = 1

    def __post_init__(self) -> None:
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise ValueError(f"kafka_security_protocol must be one of {', '.join(SECURITY_PROTOCOLS)}, "
                             f"not {self.security_protocol!r}")
        if self.uses_sasl:
            if self.sasl_mechanism not in SASL_MECHANISMS:
                raise ValueError(f"kafka_sasl_mechanism must be one of {', '.join(SASL_MECHANISMS)} with "
                                 f"{self.security_protocol}, not {self.sasl_mechanism!r}")
            if not self.sasl_username or not self.sasl_password:
                raise ValueError(f"kafka_sasl_username and kafka_sasl_password are required with {self.security_protocol}")
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise ValueError("kafka_ssl_certfile and kafka_ssl_keyfile go together (a client certificate and its key)")
        if self.topic_replication_factor < 1:
            raise ValueError("kafka_topic_replication_factor must be at least 1")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaConnection:
        return cls(
            security_protocol=settings.kafka_security_protocol.upper(),
            sasl_mechanism=settings.kafka_sasl_mechanism.upper(),
            sasl_username=settings.kafka_sasl_username,
            sasl_password=settings.kafka_sasl_password,
            ssl_cafile=settings.kafka_ssl_cafile,
            ssl_certfile=settings.kafka_ssl_certfile,
            ssl_keyfile=settings.kafka_ssl_keyfile,
            topic_replication_factor=settings.kafka_topic_replication_factor,
        )

    def client_options(self) -> dict[str, Any]:
        """kafka-python options shared by producers, consumers and admin clients."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.uses_sasl:
            options.update(sasl_mechanism=self.sasl_mechanism, sasl_plain_username=self.sasl_username,
                           sasl_plain_password=self.sasl_password)
        if self.uses_tls:
            # Verify the brokers' certificates and names; the system CAs unless a CA file is given.
            options.update(ssl_check_hostname=True)
            if self.ssl_cafile:
                options.update(ssl_cafile=self.ssl_cafile)
            if self.ssl_certfile:
                options.update(ssl_certfile=self.ssl_certfile, ssl_keyfile=self.ssl_keyfile)
        return options

    def topic_configs(self) -> dict[str, str]:
        """Configs of a topic created here: with replicas to spare, a write needs two of them."""
        if self.topic_replication_factor >= 3:
            return {"min.insync.replicas": "2"}
        return {}


_installed: KafkaConnection | None = None


def use_connection(connection: KafkaConnection) -> None:
    """Make ``connection`` the one every Kafka client of this process uses."""
    global _installed
    _installed = connection


def current_connection() -> KafkaConnection:
    """The installed connection, else the one the environment and ``CHAINCARD_CONFIG`` describe."""
    global _installed
    if _installed is None:
        _installed = KafkaConnection.from_settings(load_settings())
    return _installed
