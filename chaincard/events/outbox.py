"""Writing events to the outbox, inside the caller's unit of work (STYLE rule 6)."""

from __future__ import annotations

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from chaincard.db.outbox import OutboxColumns
from chaincard.events.envelope import wrap


def add_event(
    session: Session,
    outbox_model: type[OutboxColumns],
    *,
    topic: str,
    key: str,
    payload: Message,
    producer: str,
    aggregate_id: str | None = None,
) -> str:
    """Write one event to the outbox inside the caller's transaction; returns its event id."""
    envelope = wrap(payload, producer=producer, aggregate_id=aggregate_id or key)
    row = outbox_model(
        event_id=envelope.event_id,
        topic=topic,
        message_key=key,
        event_type=envelope.type,
        envelope=envelope.SerializeToString(),
    )
    session.add(row)
    return envelope.event_id
