"""The transactional outbox (Debezium's shape): the event row commits with the change it announces.

A service declares ``class OutboxMessage(OutboxColumns, Base)``; ``chaincard.events.outbox.add_event``
writes a row in the caller's session; the relay (chaincard.events.relay) publishes rows and stamps
``published_at``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Identity, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now


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
