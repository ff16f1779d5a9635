"""The transactional outbox (Debezium's shape): the event row commits with the change it announces.

A service declares ``class OutboxMessage(OutboxColumns, Base)``; ``chaincard.events.outbox.add_event``
writes a row in the caller's session; the relay (chaincard.events.relay) publishes rows and stamps
``published_at``. Hot paths (a checkout) write the same row with a Core INSERT of their own, with
the values :func:`outbox_row` gives, rather than through an ORM object and the unit of work; the
row's position is taken at that INSERT, so the writer must already hold the lock that orders its
aggregate's events (docs/adr/0005).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Identity, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now

if TYPE_CHECKING:
    from chaincard.v1 import events_pb2


class OutboxColumns:
    """Columns of an outbox table. ``position`` orders rows; see docs/adr/0005 for why that is safe per card."""

    __tablename__ = "outbox"

    position: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    topic: Mapped[str] = mapped_column(String(100))
    # The Kafka key: the card number for postings and cards, the member id for members.
    message_key: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(100))
    # A serialized chaincard.v1.EventEnvelope.
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    published_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True, index=True)

    if TYPE_CHECKING:
        # What the mapped class (``OutboxMessage(OutboxColumns, Base)``) takes: its declarative constructor.
        def __init__(self, **columns: Any) -> None: ...


def outbox_row(envelope: events_pb2.EventEnvelope, *, topic: str, key: str) -> dict[str, Any]:
    """The values of the outbox row that carries ``envelope``, named as the table's columns (every one given: a Core INSERT with a CTE skips column defaults)."""
    return {
        "event_id": envelope.event_id,
        "topic": topic,
        "message_key": key,
        "event_type": envelope.type,
        "envelope": envelope.SerializeToString(),
        "created_at": utc_now(),
    }
