"""The consumer side's record of applied events (eventsourcing's tracking records).

``(consumer, event_id)`` is inserted in the same transaction as the event's effects; a redelivered
event finds its row and is skipped.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, String, Table
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.dml import ReturningInsert

from chaincard.db.base import UtcTimestamp, table_of, utc_now
from chaincard.db.dialects import INSERT_OF_DIALECT, dialect_of, insert_for


class ProcessedEventColumns:
    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


def claim_event(session: Session, model: type[ProcessedEventColumns], consumer: str, event_id: str) -> bool:
    """True when this event was not applied before by this consumer (and is now marked applied)."""
    values = {"consumer": consumer, "event_id": event_id, "applied_at": utc_now()}
    statement = insert_for(session)(model).values(**values).on_conflict_do_nothing()
    return cast("CursorResult[Any]", session.execute(statement)).rowcount == 1


def claim_events(session: Session, model: type[ProcessedEventColumns], consumer: str, event_ids: list[str]) -> set[str]:
    """Insert ``(consumer, event_id)`` for every id in one statement; returns the ids that were new."""
    if not event_ids:
        return set()
    now = utc_now()
    rows = [{"consumer": consumer, "event_id": event_id, "applied_at": now} for event_id in dict.fromkeys(event_ids)]
    statement = _claim_statement(dialect_of(session), table_of(model))
    return set(session.connection().execute(statement, rows).scalars())


@cache
def _claim_statement(dialect: str, table: Table) -> ReturningInsert[Any]:
    """Built once and run with one parameter set per row (SQLAlchemy folds them into multi-row
    VALUES): a ``.values(rows)`` statement is compiled anew for every batch size, which cost the
    consumers more CPU than PostgreSQL spent on the insert."""
    return INSERT_OF_DIALECT[dialect](table).on_conflict_do_nothing().returning(table.c.event_id)
