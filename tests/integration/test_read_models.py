"""HQ's read models (hq_service.read_models): the projector writes what a batch of events gathered
itself, inside the consumer's transaction — no hook fires at commit. Real PostgreSQL; events are fed
to the consumer's apply path directly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events.consumer import IdempotentConsumer
from chaincard.events.envelope import unwrap, wrap
from chaincard.v1 import common_pb2, events_pb2
from hq_service.models import CardView, MemberView, ProcessedEvent, StoreDailyFigures, TransactionView
from hq_service.read_models import ReadModelProjector

CARD = "8811000000067890"
STORE = "S-E-001"
MOMENT = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)


@pytest.fixture
def hq_databases(fresh_database) -> Iterator[list[sessionmaker[Session]]]:  # type: ignore[no-untyped-def]
    engines = []
    for purpose in ("read_models_a", "read_models_b"):
        url = fresh_database(purpose)
        upgrade_to_head("hq_service", url)
        engines.append(make_engine(url))
    yield [make_session_factory(engine) for engine in engines]
    for engine in engines:
        engine.dispose()


def _posted(transaction_id: str, kind: int, amount: int, principal_after: int, *, original: str = "") -> events_pb2.TransactionPosted:
    sign = -1 if kind == common_pb2.TRANSACTION_TYPE_VOID else 1
    transaction = common_pb2.Transaction(
        transaction_id=transaction_id, type=kind, card_number=CARD, store_id=STORE, amount_fen=amount,
        principal_delta_fen=sign * amount, business_date="2026-11-25", home_region="E", original_transaction_id=original,
        balances_after=common_pb2.Balances(principal_fen=principal_after),
    )
    transaction.occurred_at.FromDatetime(MOMENT)
    return events_pb2.TransactionPosted(transaction=transaction, member_id="M-1")


def _events() -> list[bytes]:
    """A member, their card, a recharge, the same recharge again under a new event id, and its void."""
    member = common_pb2.Member(member_id="M-1", home_region="E", registered_store_id=STORE)
    member.registered_at.FromDatetime(MOMENT)
    card = common_pb2.Card(card_number=CARD, member_id="M-1", home_region="E", issuing_store_id=STORE)
    card.opened_at.FromDatetime(MOMENT)
    recharge = _posted("t-recharge", common_pb2.TRANSACTION_TYPE_RECHARGE, 50_000, 50_000)
    payloads = [
        (events_pb2.MemberRegistered(member=member, phone_hmac="cd" * 32), "M-1"),
        (events_pb2.CardOpened(card=card), CARD),
        (recharge, CARD),
        (recharge, CARD),
        (_posted("t-void", common_pb2.TRANSACTION_TYPE_VOID, 50_000, 0, original="t-recharge"), CARD),
    ]
    return [wrap(payload, producer="test", aggregate_id=key).SerializeToString() for payload, key in payloads]


def _figures(sessions: sessionmaker[Session]) -> dict[str, object]:
    with sessions() as session:
        day = session.execute(select(StoreDailyFigures).where(StoreDailyFigures.store_id == STORE)).scalar_one()
        card = session.get(CardView, CARD)
        assert card is not None
        return {
            "transactions": session.execute(select(func.count()).select_from(TransactionView)).scalar_one(),
            "card": (card.transaction_count, card.principal_fen),
            "day": (day.new_members, day.new_cards, day.recharge_count, day.recharge_fen, day.void_count, day.void_fen),
        }


def test_a_batch_is_written_inside_the_transaction_and_goes_with_its_rollback(hq_databases) -> None:  # type: ignore[no-untyped-def]
    sessions = hq_databases[0]
    projector = ReadModelProjector(Settings())
    events = [events_pb2.EventEnvelope.FromString(raw) for raw in _events()]
    with sessions() as session:
        with session.begin():
            projector.apply_batch(session, [(envelope, unwrap(envelope)) for envelope in events])
            # Written already, before any commit: the projector wrote its batch, no commit hook did.
            assert session.execute(select(func.count()).select_from(TransactionView)).scalar_one() == 2
            assert session.get(MemberView, "M-1") is not None
            session.rollback()
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(TransactionView)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(StoreDailyFigures)).scalar_one() == 0


def test_one_batch_per_poll_and_one_event_per_transaction_give_the_same_read_models(hq_databases) -> None:  # type: ignore[no-untyped-def]
    batched_db, one_by_one_db = hq_databases
    raw = _events()
    batched = IdempotentConsumer(name="read-models", bootstrap="unused:9092", topics=[], session_factory=batched_db,
                                 processed_model=ProcessedEvent, handle_batch=ReadModelProjector(Settings()).apply_batch)
    one_by_one = IdempotentConsumer(name="read-models", bootstrap="unused:9092", topics=[], session_factory=one_by_one_db,
                                    processed_model=ProcessedEvent, handle=ReadModelProjector(Settings()).apply)
    assert batched.apply_all(raw) == 5
    assert [one_by_one.apply(one) for one in raw] == [True] * 5
    expected = {"transactions": 2, "card": (2, 0), "day": (1, 1, 1, 0, 1, 50_000)}
    assert _figures(batched_db) == _figures(one_by_one_db) == expected
    assert batched.apply_all(raw) == 0  # redelivered: nothing applied twice
    assert _figures(batched_db) == expected


def test_a_level_change_reaches_hqs_card_view(hq_databases) -> None:  # type: ignore[no-untyped-def]
    sessions = hq_databases[0]
    card = common_pb2.Card(card_number=CARD, member_id="M-1", home_region="E", issuing_store_id=STORE, level_code="NORMAL")
    card.opened_at.FromDatetime(MOMENT)
    payloads = [events_pb2.CardOpened(card=card),
                events_pb2.CardLevelChanged(card_number=CARD, previous_level_code="NORMAL", level_code="GOLD", cause="upgrade"),
                events_pb2.CardLevelChanged(card_number=CARD, previous_level_code="GOLD", level_code="SILVER", cause="review")]
    consumer = IdempotentConsumer(name="read-models", bootstrap="unused:9092", topics=[], session_factory=sessions,
                                  processed_model=ProcessedEvent, handle_batch=ReadModelProjector(Settings()).apply_batch)
    raw = [wrap(payload, producer="test", aggregate_id=CARD).SerializeToString() for payload in payloads]
    assert consumer.apply_all(raw[:2]) == 2
    with sessions() as session:
        view = session.get(CardView, CARD)
        assert view is not None and view.level_code == "GOLD"
    assert consumer.apply_all(raw) == 1  # the first two again: applied once
    with sessions() as session:
        view = session.get(CardView, CARD)
        assert view is not None and view.level_code == "SILVER"


def test_a_refund_of_a_count_use_purchase_counts_as_a_refund_and_takes_no_sales_away(hq_databases) -> None:  # type: ignore[no-untyped-def]
    # The purchase added no sale, tender or spend figure; its refund (docs/adr/0035) adds none either.
    from hq_service.models import StoreDailyTender

    sessions = hq_databases[0]
    bought = _posted("t-buy", common_pb2.TRANSACTION_TYPE_COUNT_USES_PURCHASE, 30_000, 0)
    refund = _posted("t-refund", common_pb2.TRANSACTION_TYPE_REFUND, 21_000, 0, original="t-buy")
    refund.tenders.add(type=common_pb2.TENDER_TYPE_CASH, amount_fen=21_000)
    consumer = IdempotentConsumer(name="read-models", bootstrap="unused:9092", topics=[], session_factory=sessions,
                                  processed_model=ProcessedEvent, handle=ReadModelProjector(Settings()).apply)
    for payload in (bought, refund):
        assert consumer.apply(wrap(payload, producer="test", aggregate_id=CARD).SerializeToString())
    with sessions() as session:
        day = session.execute(select(StoreDailyFigures).where(StoreDailyFigures.store_id == STORE)).scalar_one()
        assert (day.refund_count, day.refund_fen, day.sales_net_fen, day.stored_value_principal_spent_fen) == (1, 21_000, 0, 0)
        assert session.execute(select(func.count()).select_from(StoreDailyTender)).scalar_one() == 0
