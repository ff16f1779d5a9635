"""The region's balance feed (docs/adr/0017): every card balance change, in commit order, under a
dense position a store can resume from, with the card's level and type when they moved (addendum
"level and type changes"). StoreSyncService.SubscribeCardBalances streams it.

Outbox positions are taken at insert, not at commit, so a lower one may commit after a higher one
was read (docs/adr/0005). The feed therefore copies an outbox row only once every database
transaction that could still write a row before it has ended: each outbox row carries the id of the
transaction that wrote it (``transaction_xid``), and PostgreSQL's snapshot ``xmin`` is the lowest id
still running. Rows written by transactions below it are final; the copier takes those it has not
taken yet (``copied_below_xid`` up to ``xmin``), in (transaction id, outbox position) order, and
numbers them on. One copier at a time (an advisory lock), so feed positions are commit order and a
reader that has seen position P never gets a change below P later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import Row, delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.events.envelope import unwrap
from chaincard.v1 import common_pb2, events_pb2, store_sync_pb2
from chaincard.workers import Backoff, Worker
from region_service.ledger_store import card_balances
from region_service.models import BalanceFeedEntry, BalanceFeedMark, OutboxMessage
from region_service.translate import timestamp

log = logging.getLogger(__name__)

TRANSACTION_POSTED = events_pb2.TransactionPosted.DESCRIPTOR.full_name
CARD_LEVEL_CHANGED = events_pb2.CardLevelChanged.DESCRIPTOR.full_name
CARD_TYPE_CHANGED = events_pb2.CardTypeChanged.DESCRIPTOR.full_name
FEED_EVENT_TYPES = (TRANSACTION_POSTED, CARD_LEVEL_CHANGED, CARD_TYPE_CHANGED)
# pg_try_advisory_xact_lock key of the feed's one copier ("balfeed" in ASCII, fits a bigint).
COPIER_LOCK_KEY = 0x62616C66656564
MAX_ROWS_PER_COPY = 2_000
# Feed rows older than this are deleted; a store that was away longer starts again from 0.
RETENTION = timedelta(days=7)
class FeedWaiters:
    """The subscriptions served by this process, each woken when this process's copier added changes
    (they also look every half second, for changes copied by another replica's copier) or, through
    its own event, when a relayed region's message arrived for it (region_service.balance_relay)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: set[threading.Event] = set()

    def register(self) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._events.add(event)
        return event

    def unregister(self, event: threading.Event) -> None:
        with self._lock:
            self._events.discard(event)

    def notify_all(self) -> None:
        with self._lock:
            for event in self._events:
                event.set()


FEED_WAITERS = FeedWaiters()


def _xmin(session: Session) -> int:
    return int(session.execute(text("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")).scalar_one())


def _feed_rows(session: Session, rows: Sequence[Row[int, str, bytes, datetime]]) -> Iterator[BalanceFeedEntry]:
    """The feed entries of outbox ``rows`` (in commit order, whole database transactions), unnumbered.

    A level or type change rides on the card's TransactionPosted entries of the same database
    transaction (an upgrade in its qualifying transaction, a conversion by a recharge); one made
    without a transaction (the nightly review, ChangeCardLevel) becomes an entry of its own, with the
    card's current balances (later than the change, never older than any entry before it: applying
    them is harmless)."""
    for _, group in groupby(rows, key=lambda row: row.transaction_xid):
        events = [(row, unwrap(events_pb2.EventEnvelope.FromString(row.envelope))) for row in group]
        moved: dict[str, tuple[str, str]] = {}  # card -> (level, type) after this database transaction
        for _, event in events:
            if isinstance(event, events_pb2.CardLevelChanged):
                moved[event.card_number] = (event.level_code, moved.get(event.card_number, ("", ""))[1])
            elif isinstance(event, events_pb2.CardTypeChanged):
                level = event.level_code or moved.get(event.card_number, ("", ""))[0]
                moved[event.card_number] = (level, event.card_type_code)
        posted_cards = {event.transaction.card_number for _, event in events if isinstance(event, events_pb2.TransactionPosted)}
        for row, event in events:
            if isinstance(event, events_pb2.TransactionPosted):
                transaction = event.transaction
                level, card_type = moved.get(transaction.card_number, ("", ""))
                yield BalanceFeedEntry(
                    event_id=row.event_id, card_number=transaction.card_number,
                    transaction_id=transaction.transaction_id,
                    transaction_type=common_pb2.TransactionType.Name(transaction.type).removeprefix("TRANSACTION_TYPE_"),
                    store_id=transaction.store_id, principal_fen=transaction.balances_after.principal_fen,
                    bonus_fen=transaction.balances_after.bonus_fen, points=transaction.balances_after.points,
                    owed_fen=transaction.balances_after.owed_fen, points_owed=transaction.balances_after.points_owed,
                    level_code=level, card_type_code=card_type, as_of=row.created_at,
                )
            elif isinstance(event, events_pb2.CardLevelChanged | events_pb2.CardTypeChanged):
                number = event.card_number
                if number in posted_cards or number not in moved:
                    continue  # rides on the transaction's entry, or already written for this card
                level, card_type = moved.pop(number)
                balances = card_balances(session, number)
                yield BalanceFeedEntry(
                    event_id=row.event_id, card_number=number, transaction_id="", transaction_type="",
                    store_id=event.store_id, principal_fen=balances.principal_fen, bonus_fen=balances.bonus_fen,
                    points=balances.points, owed_fen=balances.owed_fen, points_owed=balances.points_owed,
                    level_code=level, card_type_code=card_type, as_of=row.created_at,
                )


def copy_into_feed(session_factory: sessionmaker[Session], *, limit: int = MAX_ROWS_PER_COPY) -> int:
    """Copy the TransactionPosted, CardLevelChanged and CardTypeChanged rows that became final into
    the feed; the number of changes added (0 when another copier holds the lock)."""
    with session_factory.begin() as session:
        if not session.execute(select(func.pg_try_advisory_xact_lock(COPIER_LOCK_KEY))).scalar_one():
            return 0
        mark = session.execute(select(BalanceFeedMark).where(BalanceFeedMark.id == 1)).scalar_one()
        horizon = _xmin(session)
        if horizon <= mark.copied_below_xid:
            return 0
        query = (
            select(OutboxMessage.transaction_xid, OutboxMessage.event_id, OutboxMessage.envelope, OutboxMessage.created_at)
            .where(OutboxMessage.event_type.in_(FEED_EVENT_TYPES), OutboxMessage.transaction_xid >= mark.copied_below_xid,
                   OutboxMessage.transaction_xid < horizon)
            .order_by(OutboxMessage.transaction_xid, OutboxMessage.position)
        )
        rows = session.execute(query.limit(limit + 1)).all()
        if len(rows) > limit:
            # Never split one transaction's rows between two copies: stop before the last one's
            # transaction, or take that whole transaction when it alone is over the limit.
            last_xid = rows[-1].transaction_xid
            if last_xid > rows[0].transaction_xid:
                rows = [row for row in rows if row.transaction_xid < last_xid]
                horizon = last_xid
            else:
                rows = session.execute(query.where(OutboxMessage.transaction_xid == last_xid)).all()
                horizon = last_xid + 1
        head = session.execute(select(func.coalesce(func.max(BalanceFeedEntry.position), mark.pruned_through))).scalar_one()
        entries = []
        for row in _feed_rows(session, rows):
            head += 1
            row.position = head
            entries.append(row)
        session.add_all(entries)
        mark.copied_below_xid = horizon
        return len(entries)


def prune_feed(session_factory: sessionmaker[Session], *, older_than: timedelta = RETENTION) -> int:
    with session_factory.begin() as session:
        cutoff = utc_now() - older_than
        last = session.execute(select(func.max(BalanceFeedEntry.position)).where(BalanceFeedEntry.created_at < cutoff)).scalar_one()
        if last is None:
            return 0
        deleted = session.execute(delete(BalanceFeedEntry).where(BalanceFeedEntry.position <= last)).rowcount  # type: ignore[attr-defined]
        session.execute(update(BalanceFeedMark).where(BalanceFeedMark.id == 1, BalanceFeedMark.pruned_through < last)
                        .values(pruned_through=last))
        return int(deleted or 0)


def feed_bounds(session: Session) -> tuple[int, int]:
    """(positions deleted up to, head): a reader may resume after any position between them."""
    pruned = session.execute(select(BalanceFeedMark.pruned_through).where(BalanceFeedMark.id == 1)).scalar_one()
    head = session.execute(select(func.coalesce(func.max(BalanceFeedEntry.position), pruned))).scalar_one()
    return int(pruned), int(head)


def changes_after(session: Session, after: int, through: int, card_numbers: Sequence[str]) -> list[store_sync_pb2.CardBalanceChanged]:
    """The changes of ``card_numbers`` with a position in (after, through], in position order."""
    if not card_numbers or through <= after:
        return []
    entries = session.execute(
        select(BalanceFeedEntry)
        .where(BalanceFeedEntry.position > after, BalanceFeedEntry.position <= through,
               BalanceFeedEntry.card_number.in_(list(card_numbers)))
        .order_by(BalanceFeedEntry.position)
    ).scalars()
    return [
        store_sync_pb2.CardBalanceChanged(
            position=entry.position, card_number=entry.card_number,
            balances=common_pb2.Balances(principal_fen=entry.principal_fen, bonus_fen=entry.bonus_fen, points=entry.points,
                                         owed_fen=entry.owed_fen, points_owed=entry.points_owed),
            as_of=timestamp(entry.as_of), transaction_id=entry.transaction_id, store_id=entry.store_id,
            transaction_type=f"TRANSACTION_TYPE_{entry.transaction_type or 'UNSPECIFIED'}",
            level_code=entry.level_code, card_type_code=entry.card_type_code,
        )
        for entry in entries
    ]


class BalanceFeedCopier(Worker):
    """Keeps the feed a fraction of a second behind the outbox (and prunes it now and then)."""

    PRUNE_EVERY_SECONDS = 3600.0

    def __init__(self, session_factory: sessionmaker[Session], *, idle_seconds: float = 0.2) -> None:
        super().__init__("balance-feed", idle_seconds=idle_seconds, backoff=Backoff(0.5, 10.0))
        self.session_factory = session_factory
        self._pruned_at = 0.0

    def step(self) -> bool:
        copied = copy_into_feed(self.session_factory)
        if copied:
            FEED_WAITERS.notify_all()
        now = utc_now().timestamp()
        if now - self._pruned_at > self.PRUNE_EVERY_SECONDS:
            self._pruned_at = now
            prune_feed(self.session_factory)
        return copied >= MAX_ROWS_PER_COPY
