"""Publish retained outbox rows again (``chaincard events replay --since …``).

A broker can lose data (the local one keeps nothing across a restart; a real cluster can lose an
unreplicated partition). The outbox keeps published rows for its retention, so the events can be
sent again: replay marks the rows created since a moment unpublished and then publishes them in
``position`` order exactly as the relay does, under the same advisory lock, so a running relay and
a replay never interleave their batches. Consumers drop what they had already applied by event id.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.outbox import OutboxColumns
from chaincard.events.relay import OutboxRelay, relay_lock_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayResult:
    # Rows marked for publishing again.
    marked: int
    # Rows this replay published itself (the region's running relay may have taken some of them).
    published: int
    # Oldest row still in the outbox: replay cannot reach before it (retention).
    oldest_retained: datetime | None


def mark_for_replay(session_factory: sessionmaker[Session], outbox_model: type[OutboxColumns], since: datetime) -> tuple[int, int]:
    """Mark every published row created at or after ``since`` unpublished.

    Returns how many rows were marked and the highest position in the outbox at that moment.
    """
    if since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    model = outbox_model
    with session_factory() as session, session.begin():
        # Wait for a relay batch in progress, so its stamps cannot overwrite ours.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": relay_lock_key(model)})
        marked = cast("CursorResult[Any]", session.execute(
            update(model).where(model.created_at >= since, model.published_at.is_not(None)).values(published_at=None)
        )).rowcount
        highest = session.execute(select(func.max(model.position))).scalar_one() or 0
    return marked, highest


def oldest_retained(session_factory: sessionmaker[Session], outbox_model: type[OutboxColumns]) -> datetime | None:
    with session_factory() as session:
        return session.execute(select(func.min(outbox_model.created_at))).scalar_one()


def replay_outbox(
    session_factory: sessionmaker[Session],
    outbox_model: type[OutboxColumns],
    bootstrap: str,
    since: datetime,
    *,
    timeout: float = 300.0,
) -> ReplayResult:
    """Mark rows since ``since`` for publishing again and publish every unpublished row."""
    marked, highest = mark_for_replay(session_factory, outbox_model, since)
    relay = OutboxRelay(session_factory, outbox_model, bootstrap, name="replay")
    published = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            count = relay.publish_batch()
            published += count
            # Rows written after the replay started are the running relay's business: wait only for ours.
            with session_factory() as session:
                left = session.execute(
                    select(outbox_model.position)
                    .where(outbox_model.published_at.is_(None), outbox_model.position <= highest)
                    .limit(1)
                ).first()
            if left is None:
                break
            if count == 0:
                time.sleep(0.05)  # the region's relay holds the lock for a batch
        else:
            raise TimeoutError(f"replay did not finish within {timeout} s ({published} of {marked} rows published)")
    finally:
        relay.stop()
    log.info("outbox replayed", extra={"fields": {"since": since.isoformat(), "marked": marked, "published": published}})
    return ReplayResult(marked=marked, published=published, oldest_retained=oldest_retained(session_factory, outbox_model))
