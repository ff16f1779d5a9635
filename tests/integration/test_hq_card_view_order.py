"""HQ's card view takes a card's balances from its newest posting. An offline advice is dated when
the store approved it (Transaction.occurred_at, docs/adr/0011) but posted when it reaches the card's
home region, possibly after transactions of the same card dated later (another store's online sale,
or its advice, while this store's queue waited): its balances after are then the card's newest,
although its date is not. HQ orders a card's balances by Transaction.posted_at, when the home region
posted it (docs/adr/0012, 2026-12-03 addendum); events from before that field order by occurred_at.
Found by tests/reliability/test_load_with_faults.py (issue 21). Real PostgreSQL; the events are fed
to the projector as the consumer does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events.consumer import IdempotentConsumer
from chaincard.events.envelope import wrap
from chaincard.v1 import common_pb2, events_pb2
from hq_service.models import CardView, ProcessedEvent
from hq_service.read_models import ReadModelProjector

CARD = "8811000000067891"
MOMENT = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)


@pytest.fixture
def hq(fresh_database) -> Iterator[sessionmaker[Session]]:  # type: ignore[no-untyped-def]
    url = fresh_database("card_view_order")
    upgrade_to_head("hq_service", url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def _posted(transaction_id: str, kind: int, store: str, delta: int, principal_after: int, occurred: datetime,
            posted: datetime | None = None) -> bytes:
    """A TransactionPosted as the home region publishes it; ``posted``: its posting moment (None: an
    event from before Transaction.posted_at existed)."""
    transaction = common_pb2.Transaction(
        transaction_id=transaction_id, request_id=transaction_id, type=kind, card_number=CARD, store_id=store,
        amount_fen=abs(delta), principal_delta_fen=delta, business_date="2026-12-02", home_region="E",
        balances_after=common_pb2.Balances(principal_fen=principal_after))
    transaction.occurred_at.FromDatetime(occurred)
    if posted is not None:
        transaction.posted_at.FromDatetime(posted)
    return wrap(events_pb2.TransactionPosted(transaction=transaction, member_id="M-1"), producer="test",
                aggregate_id=CARD).SerializeToString()


def _consumer(hq) -> IdempotentConsumer:  # type: ignore[no-untyped-def]
    return IdempotentConsumer(name="read-models", bootstrap="unused:9092", topics=[], session_factory=hq,
                              processed_model=ProcessedEvent, handle_batch=ReadModelProjector(Settings()).apply_batch)


APPROVED_OFFLINE = MOMENT + timedelta(seconds=10)  # at a West store, for this East card, region E down
SOLD_ONLINE = MOMENT + timedelta(seconds=30)  # at an East store, region E back; the West store's queue still waits
ADVICE_POSTED = MOMENT + timedelta(seconds=50)  # the West store's forwarder reached region E


def _late_advice_events() -> list[bytes]:
    """The home region's postings of the card, in the order it posted (and published) them."""
    return [
        _posted("t-recharge", common_pb2.TRANSACTION_TYPE_RECHARGE, "S-E-001", 50_000, 50_000, MOMENT, MOMENT),
        _posted("t-online", common_pb2.TRANSACTION_TYPE_SPEND, "S-E-001", -1_000, 49_000, SOLD_ONLINE, SOLD_ONLINE),
        # Posted last: its balances after hold every posting before it, though it happened earlier.
        _posted("t-advice", common_pb2.TRANSACTION_TYPE_OFFLINE_ADVICE, "S-W-002", -1_000, 48_000, APPROVED_OFFLINE,
                ADVICE_POSTED),
    ]


def _card(hq) -> CardView:  # type: ignore[no-untyped-def]
    with hq() as session:
        card = session.get(CardView, CARD)
        assert card is not None
        return card


def test_an_advice_posted_after_a_later_dated_online_sale_gives_the_card_its_balance(hq) -> None:  # type: ignore[no-untyped-def]
    consumer = _consumer(hq)
    for event in _late_advice_events():  # one by one, as the region published them
        assert consumer.apply_all([event]) == 1
    card = _card(hq)
    assert card.transaction_count == 3
    assert card.principal_fen == 48_000  # the region's balance (before the fix HQ kept 49,000)
    assert card.posted_at == ADVICE_POSTED
    assert card.last_transaction_at == SOLD_ONLINE  # still when the card was last used


def test_the_same_postings_in_one_batch_give_the_card_its_balance(hq) -> None:  # type: ignore[no-untyped-def]
    """A consumer catching up applies them in one poll: the batch picks the balances the same way."""
    assert _consumer(hq).apply_all(_late_advice_events()) == 3
    card = _card(hq)
    assert (card.transaction_count, card.principal_fen, card.posted_at, card.last_transaction_at) == (
        3, 48_000, ADVICE_POSTED, SOLD_ONLINE)


def test_a_posting_applied_late_never_rolls_the_balances_back(hq) -> None:  # type: ignore[no-untyped-def]
    """A replay after the broker lost events (docs/adr/0012) delivers an earlier-posted transaction
    after later ones: it is counted, and the balances stay those of the latest posted."""
    recharge, online, advice = _late_advice_events()
    consumer = _consumer(hq)
    assert consumer.apply_all([recharge]) == 1
    assert consumer.apply_all([advice]) == 1
    assert consumer.apply_all([online]) == 1  # posted before the advice, replayed after it
    card = _card(hq)
    assert (card.transaction_count, card.principal_fen, card.posted_at, card.last_transaction_at) == (
        3, 48_000, ADVICE_POSTED, SOLD_ONLINE)


def test_events_without_a_posting_moment_order_by_when_they_happened(hq) -> None:  # type: ignore[no-untyped-def]
    """Events a region published before Transaction.posted_at existed (a replay of old outbox rows),
    and card views written before HQ revision 0010 (posted_at null), keep the former rule: an
    earlier-dated event applied late does not roll the balances back."""
    consumer = _consumer(hq)
    assert consumer.apply_all([
        _posted("t-old-recharge", common_pb2.TRANSACTION_TYPE_RECHARGE, "S-E-001", 50_000, 50_000, MOMENT),
        _posted("t-old-sale", common_pb2.TRANSACTION_TYPE_SPEND, "S-E-001", -1_000, 49_000, SOLD_ONLINE),
    ]) == 2
    with hq() as session, session.begin():  # as the row was before revision 0010
        session.execute(update(CardView).where(CardView.card_number == CARD).values(posted_at=None))
    assert consumer.apply_all([
        _posted("t-old-late", common_pb2.TRANSACTION_TYPE_SPEND, "S-E-002", -2_000, 47_000, APPROVED_OFFLINE),
    ]) == 1
    card = _card(hq)
    assert (card.transaction_count, card.principal_fen, card.posted_at, card.last_transaction_at) == (
        3, 49_000, None, SOLD_ONLINE)
    # A transaction the region posted after them, with its posting moment, takes over.
    assert consumer.apply_all([_late_advice_events()[2]]) == 1
    card = _card(hq)
    assert (card.transaction_count, card.principal_fen, card.posted_at, card.last_transaction_at) == (
        4, 48_000, ADVICE_POSTED, SOLD_ONLINE)
