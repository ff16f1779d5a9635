"""store_agent.offline_codes: a store checks a QR member code of a cached card with the card's own
key and its own clock (the region's check, chaincard.member_codes), and refuses one its offline
sales already took, or one of a card it holds no key for — on an in-memory SQLite store schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from chaincard import member_codes
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument
from store_agent.models import Base, CachedCard
from store_agent.offline_codes import NotCheckableHere, checked_offline, found_offline, take_offline

CARD, OTHER = "881100000000101", "881100000000028"
KEY = member_codes.card_key("region-secret", CARD)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        now = utc_now()
        session.add(CachedCard(card_number=CARD, complete=True, state="ACTIVE", home_region="E", member_id="M-1",
                               balances_as_of=now, last_seen_at=now, principal_fen=5_000, member_code_key=KEY))
        session.add(CachedCard(card_number=OTHER, complete=True, state="ACTIVE", home_region="E",
                               balances_as_of=now, last_seen_at=now, member_code_key=b""))
        session.flush()
        yield session
    engine.dispose()


def test_a_fresh_genuine_code_passes_until_an_offline_sale_takes_it(session: Session) -> None:
    now = utc_now()
    code, _ = member_codes.issue(KEY, CARD, now)
    checked = checked_offline(session, code, now)
    assert checked.card_number == CARD
    take_offline(session, checked, "sale-1", now)
    session.flush()
    with pytest.raises(FailedPrecondition, match="already used .*sale-1"):
        checked_offline(session, code, now)
    fresh, _ = member_codes.issue(KEY, CARD, now + timedelta(seconds=1))
    assert checked_offline(session, fresh, now + timedelta(seconds=1)).issued_at > checked.issued_at


def test_stale_forged_and_unknown_codes_are_refused_precisely(session: Session) -> None:
    now = utc_now()
    stale, _ = member_codes.issue(KEY, CARD, now - timedelta(seconds=61))
    with pytest.raises(FailedPrecondition, match="expired"):
        checked_offline(session, stale, now)
    forged, _ = member_codes.issue(member_codes.card_key("another-secret", CARD), CARD, now)
    with pytest.raises(InvalidArgument, match="qr_token"):
        checked_offline(session, forged, now, "qr_token")
    for card in (OTHER, "881100000000036"):  # no key given (physical/older region), or not cached at all
        with pytest.raises(NotCheckableHere, match="cannot be checked offline"):
            checked_offline(session, member_codes.issue(b"k", card, now)[0], now)


def test_a_look_up_answers_the_holder_and_the_card_as_cached(session: Session) -> None:
    card = session.get(CachedCard, CARD)
    assert card is not None
    found = found_offline(card)
    assert found.member.member_id == "M-1" and found.cards[0].card_number == CARD
    assert found.cards[0].balances.principal_fen == 5_000
