"""The consumer side's record of applied events (eventsourcing's tracking records).

``(consumer, event_id)`` is inserted in the same transaction as the event's effects; a redelivered
event finds its row and is skipped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now


class ProcessedEventColumns:
    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


def claim_event(session: Session, model: type[ProcessedEventColumns], consumer: str, event_id: str) -> bool:
    """True when this event was not applied before by this consumer (and is now marked applied)."""
    dialect = session.get_bind().dialect.name
    values = {"consumer": consumer, "event_id": event_id, "applied_at": utc_now()}
    if dialect == "postgresql":
        statement = postgresql.insert(model).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(model).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two engines above are supported
        statement = insert(model).values(**values)
    return session.execute(statement).rowcount == 1
