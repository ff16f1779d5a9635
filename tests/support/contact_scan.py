"""Looking for members' phone numbers and e-mail addresses in clear where they must never be (issue
16: "no test, log, event or HQ table holds a phone number or e-mail in clear"): every record of
every topic on a broker, every row of every HQ table, and the log records a test captured (but
those of the test's own SMTP server, which logs each recipient it accepts: ``SMTP_SERVER_LOGGERS``).

A scan looks for the exact addresses of the members a test made (``needles``), so card numbers and
other digit runs never count as phones. Protobuf payloads (Kafka values, HQ's serialized views)
are read as UTF-8 with the bytes that are not text replaced: the strings inside stay readable.
HQ's ``staff`` table holds store managers' e-mail addresses by design (the manager digest, docs/adr/0056):
those are staff, not members, and the table is left out explicitly (``STAFF_TABLES``)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import MetaData, create_engine, select

STAFF_TABLES = frozenset({"staff"})  # staff e-mails live here by design; no member's contact does
# The test's own SMTP server (aiosmtpd) logs each recipient it accepts: it is the mailbox, not the chain.
SMTP_SERVER_LOGGERS = frozenset({"mail.log"})
_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass
class Needles:
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)

    def found_in(self, text: str) -> list[str]:
        hits = [phone for phone in _PHONE.findall(text) if phone in self.phones]
        hits += [email for email in _EMAIL.findall(text) if email.lower() in self.emails]
        return hits

    def add(self, phone: str = "", email: str = "") -> None:
        if phone:
            self.phones.add(phone)
        if email:
            self.emails.add(email.lower())


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def kafka_texts(bootstrap: str, *, timeout_seconds: float = 60.0) -> Iterator[tuple[str, str]]:
    """(topic, text of key, headers and value) of every record of every topic, from the start."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False, group_id=None,
                             consumer_timeout_ms=2_000, request_timeout_ms=30_000)
    try:
        partitions = [TopicPartition(topic, partition) for topic in sorted(consumer.topics())
                      for partition in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        remaining = {partition for partition in partitions if ends[partition] > 0}
        deadline = threading.Event()
        timer = threading.Timer(timeout_seconds, deadline.set)
        timer.start()
        try:
            while remaining and not deadline.is_set():
                for partition, records in consumer.poll(timeout_ms=1_000).items():
                    for record in records:
                        headers = " ".join(f"{name}={_text(value)}" for name, value in record.headers or ())
                        yield partition.topic, f"{_text(record.key or b'')} {headers} {_text(record.value or b'')}"
                    if consumer.position(partition) >= ends[partition]:
                        remaining.discard(partition)
        finally:
            timer.cancel()
        if remaining:
            raise AssertionError(f"could not read every record of {sorted(str(p) for p in remaining)} in time")
    finally:
        consumer.close()


def kafka_record_count(bootstrap: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False, group_id=None)
    try:
        partitions = [TopicPartition(topic, partition) for topic in consumer.topics()
                      for partition in consumer.partitions_for_topic(topic) or ()]
        begins, ends = consumer.beginning_offsets(partitions), consumer.end_offsets(partitions)
        return sum(ends[partition] - begins[partition] for partition in partitions)
    finally:
        consumer.close()


def table_texts(database_url: str, *, skip: Iterable[str] = STAFF_TABLES) -> Iterator[tuple[str, str]]:
    """(table, text of one row) for every row of every table of the database but ``skip``."""
    engine = create_engine(database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            for name, table in sorted(metadata.tables.items()):
                if name in set(skip):
                    continue
                for row in connection.execute(select(table)).yield_per(5_000):
                    yield name, " ".join(_text(value) for value in row)
    finally:
        engine.dispose()


class LogCapture(logging.Handler):
    """Every log record of this process (its message, arguments and extra fields), formatted."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[str, str]] = []  # (logger name, text)
        self._lock_texts = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = f"{record.name} {record.getMessage()} {record.__dict__!r}"
        except Exception:  # noqa: BLE001 - a record that does not format is still scanned raw
            text = repr(record.__dict__)
        with self._lock_texts:
            self.records.append((record.name, text))

    def places(self, *, skip: Iterable[str] = SMTP_SERVER_LOGGERS) -> list[tuple[str, str]]:
        """(logger name, text) of every record but those of the ``skip`` loggers."""
        skipped = set(skip)
        with self._lock_texts:
            return [(f"log {name}", text) for name, text in self.records if name not in skipped]

    def __enter__(self) -> LogCapture:
        root = logging.getLogger()
        self._level = root.level
        root.addHandler(self)
        root.setLevel(logging.INFO)
        return self

    def __exit__(self, *_: object) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        root.setLevel(self._level)


def scan(needles: Needles, places: Iterable[tuple[str, str]]) -> tuple[int, dict[str, list[str]]]:
    """How many texts were read, and per place the members' contacts found in clear."""
    read, found = 0, dict[str, list[str]]()
    for place, text in places:
        read += 1
        hits = needles.found_in(text)
        if hits:
            found.setdefault(place, []).extend(hits[:5])
    return read, found
