"""store_agent.offline_count_uses and CardCache.put_count_items: a store takes count-card uses and
time-pass uses offline within what its region last listed, less its own offline sales that list
cannot include, within the item's store list, per-store quota and a pass's cap (docs/adr/0036) — on
an in-memory SQLite store schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.pricing import CountUseIntent
from chaincard.v1 import program_config_pb2 as pc
from chaincard.v1 import store_sync_pb2
from store_agent.card_cache import CardCache
from store_agent.models import Base, CachedCard, CachedCountPack, OfflineAdvice, OfflineCountUse
from store_agent.offline_count_uses import NotCountableHere, take_offline

CARD = "881100000000101"
STORE = "S-E-T36"
MAX_AGE = 86_400
SNAPSHOT = pc.ConfigSnapshot(count_items=[
    pc.CountItem(code="WASH", eligible_skus=["WASH-1"], uses_per_pack=10, active=True, daily_uses_per_store=5),
    pc.CountItem(code="WASH-E1", eligible_skus=["WASH-1"], uses_per_pack=5, active=True, store_ids=["S-E-001"]),
    pc.CountItem(code="MONTH", eligible_skus=["WASH-1"], period_days=30, daily_cap_uses=2, active=True),
    pc.CountItem(code="WAX", eligible_skus=["WAX-1"], uses_per_pack=10, active=True),
])


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        now = utc_now()
        session.add(CachedCard(card_number=CARD, complete=True, state="ACTIVE", home_region="E", balances_as_of=now,
                               last_seen_at=now))
        session.flush()
        yield session
    engine.dispose()


def _list(session: Session, read_at: datetime, day: date, *items: store_sync_pb2.CachedCountItem) -> CachedCard:
    card = session.get(CachedCard, CARD)
    assert card is not None
    CardCache.put_count_items(session, card, items, read_at, day.isoformat())
    session.flush()
    return card


def _sold(session: Session, advice_id: str, item: str, uses: int, day: date, *, forwarded_at: datetime | None = None,
          time_pass: bool = False) -> None:
    now = utc_now()
    session.add(OfflineAdvice(advice_id=advice_id, card_number=CARD, business_date=day, stored_value_fen=0, principal_fen=0,
                              bonus_fen=0, points_earned=0, transaction_id=advice_id, approved_at=now, advice=b"",
                              state="QUEUED" if forwarded_at is None else "POSTED", attempts=0, forwarded_at=forwarded_at))
    session.add(OfflineCountUse(advice_id=advice_id, item_code=item, card_number=CARD, uses=uses, time_pass=time_pass,
                                business_date=day))
    session.flush()


def _take(session: Session, card: CachedCard, item: str, uses: int, now: datetime, today: date) -> list[tuple[str, int, int]]:
    taken = take_offline(session, card, [CountUseIntent("tenders[0]", item, uses)], SNAPSHOT, store_id=STORE, now=now,
                         today=today, max_age_seconds=MAX_AGE)
    return [(t.item_code, t.uses, t.left_or_used) for t in taken]


def test_uses_within_the_listed_packs_less_this_stores_offline_sales(session: Session) -> None:
    now = utc_now()
    today = now.date()
    soon, later = now + timedelta(hours=1), now + timedelta(days=20)
    card = _list(session, now, today, store_sync_pb2.CachedCountItem(item_code="WAX", packs=[
        store_sync_pb2.CachedCountPack(uses=3, expires_at=_stamp(soon)),
        store_sync_pb2.CachedCountPack(uses=7, expires_at=_stamp(later))]))
    assert [pack.position for pack in session.query(CachedCountPack).order_by(CachedCountPack.position)] == [0, 1]
    assert _take(session, card, "WAX", 4, now, today) == [("WAX", 4, 6)]
    _sold(session, "sale-1", "WAX", 4, today)
    with pytest.raises(NotCountableHere, match=r"tenders\[0\]: .*has 6 usable uses of WAX .*4 taken .*needs 7"):
        _take(session, card, "WAX", 7, now, today)
    # Packs that have expired since the list no longer count.
    with pytest.raises(NotCountableHere, match="has 3 usable uses of WAX"):
        _take(session, card, "WAX", 4, soon + timedelta(seconds=1), today)
    # A list read after a sale was forwarded includes it (sale-0); a queued one (sale-1) still counts.
    _sold(session, "sale-0", "WAX", 2, today, forwarded_at=now - timedelta(minutes=1))
    fresher = _list(session, now + timedelta(seconds=1), today, store_sync_pb2.CachedCountItem(
        item_code="WAX", packs=[store_sync_pb2.CachedCountPack(uses=6)]))
    assert _take(session, fresher, "WAX", 2, now, today) == [("WAX", 2, 0)]
    # An older list never replaces a newer one.
    _list(session, now - timedelta(hours=1), today, store_sync_pb2.CachedCountItem(
        item_code="WAX", packs=[store_sync_pb2.CachedCountPack(uses=99)]))
    assert session.get(CachedCard, CARD).count_items_as_of == now + timedelta(seconds=1)  # type: ignore[union-attr]


def test_the_store_list_quota_and_a_stale_or_missing_list_are_refused(session: Session) -> None:
    now = utc_now()
    today = now.date()
    card = session.get(CachedCard, CARD)
    assert card is not None
    with pytest.raises(NotCountableHere, match="not known to this store yet"):
        _take(session, card, "WASH", 1, now, today)
    card = _list(session, now, today, store_sync_pb2.CachedCountItem(
        item_code="WASH", used_here_today=3, packs=[store_sync_pb2.CachedCountPack(uses=10)]))
    with pytest.raises(NotCountableHere, match=f"WASH-E1 is not sold or used at store {STORE}"):
        _take(session, card, "WASH-E1", 1, now, today)
    with pytest.raises(NotCountableHere, match=f"allows 5 uses per day at store {STORE}; .* used 3 today"):
        _take(session, card, "WASH", 3, now, today)
    assert _take(session, card, "WASH", 2, now, today) == [("WASH", 2, 8)]
    # The day's count of a list from yesterday is not today's.
    assert _take(session, card, "WASH", 5, now + timedelta(days=1), today + timedelta(days=1)) == [("WASH", 5, 5)]
    with pytest.raises(NotCountableHere, match="older than 24 h"):
        _take(session, card, "WASH", 1, now + timedelta(seconds=MAX_AGE + 1), today)


def test_a_time_pass_within_its_validity_and_daily_cap(session: Session) -> None:
    now = utc_now()
    today = now.date()
    card = _list(session, now, today, store_sync_pb2.CachedCountItem(
        item_code="MONTH", time_pass=True, valid_from=_stamp(now - timedelta(days=29)), valid_until=_stamp(now + timedelta(hours=1)),
        daily_cap_uses=2, used_today=1))
    assert _take(session, card, "MONTH", 1, now, today) == [("MONTH", 1, 2)]
    _sold(session, "pass-1", "MONTH", 1, today, time_pass=True)
    with pytest.raises(NotCountableHere, match="time pass MONTH allows 2 uses per day; .* used 2 today"):
        _take(session, card, "MONTH", 1, now, today)
    with pytest.raises(NotCountableHere, match="no time pass of MONTH valid now"):
        _take(session, card, "MONTH", 1, now + timedelta(hours=2), today)
