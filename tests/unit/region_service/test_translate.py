"""region_service.translate: rows of the region's database as chaincard.v1 messages (built from
transient rows: no database needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from chaincard.db.base import utc_now
from chaincard.v1 import common_pb2
from region_service.ledger_store import POSTED_AT, CardBalances
from region_service.models import Card, LedgerTransaction, Member
from region_service.translate import (
    balances_message,
    card_message,
    enum_short_name,
    enum_value,
    member_message,
    timestamp,
    transaction_message,
)

OPENED = datetime(2026, 11, 20, 9, 30, 15, 250_000, tzinfo=UTC)


def _card(**fields) -> Card:  # type: ignore[no-untyped-def]
    values = dict(card_number="881100000123451", member_id="M-1", card_type_code="GOLD", form="VIRTUAL", state="ACTIVE",
                  level_code="L1", issuing_franchisee_id="F-AURORA", issuing_store_id="S-E-002", opened_at=OPENED,
                  expires_at=None, pin_hash=None, pin_locked_until=None, replaced_by_card_number=None, replaces_card_number=None)
    return Card(**{**values, **fields})


def test_timestamp() -> None:
    assert timestamp(None) is None
    stamp = timestamp(OPENED)
    assert stamp is not None
    assert stamp.ToDatetime(tzinfo=UTC) == OPENED
    assert (stamp.seconds, stamp.nanos) == (int(OPENED.timestamp()), 250_000_000)


def test_enum_names_and_numbers() -> None:
    assert enum_value(common_pb2.CardState, "CARD_STATE_", "FROZEN") == common_pb2.CARD_STATE_FROZEN
    assert enum_short_name(common_pb2.CardState, "CARD_STATE_", common_pb2.CARD_STATE_FROZEN) == "FROZEN"
    for number in common_pb2.TransactionType.values():
        short = enum_short_name(common_pb2.TransactionType, "TRANSACTION_TYPE_", number)
        assert enum_value(common_pb2.TransactionType, "TRANSACTION_TYPE_", short) == number


def test_balances_message() -> None:
    assert balances_message(CardBalances(principal_fen=38_000, bonus_fen=1_500, points=85)) == common_pb2.Balances(
        principal_fen=38_000, bonus_fen=1_500, points=85)


def test_member_message() -> None:
    member = Member(member_id="M-1", phone_masked="138****5678", name="王芳", birthday=date(1990, 5, 17), gender="FEMALE",
                    email="wang.fang@example.com", custom_fields={"address": "西湖路 8 号"}, tags=["tea"], channel="STORE",
                    registered_store_id="S-E-001", registered_at=OPENED)
    message = member_message(member, "E")
    assert message == common_pb2.Member(
        member_id="M-1", home_region="E", name="王芳", phone_masked="138****5678", birthday="1990-05-17",
        gender=common_pb2.GENDER_FEMALE, email="wang.fang@example.com", custom_fields={"address": "西湖路 8 号"}, tags=["tea"],
        channel=common_pb2.REGISTRATION_CHANNEL_STORE, registered_store_id="S-E-001", registered_at=timestamp(OPENED))
    member.birthday = None
    assert member_message(member, "E").birthday == ""


def test_card_message() -> None:
    balances = CardBalances(principal_fen=10_000, bonus_fen=0, points=7)
    message = card_message(_card(), "E", balances)
    assert message == common_pb2.Card(
        card_number="881100000123451", member_id="M-1", card_type_code="GOLD", form=common_pb2.CARD_FORM_VIRTUAL,
        state=common_pb2.CARD_STATE_ACTIVE, level_code="L1", issuing_franchisee_id="F-AURORA", issuing_store_id="S-E-002",
        home_region="E", balances=common_pb2.Balances(principal_fen=10_000, points=7), opened_at=timestamp(OPENED))
    assert not message.HasField("expires_at")
    assert not message.pin_set and not message.pin_locked


def test_a_card_shows_its_pin_lock_only_while_it_lasts() -> None:
    balances = CardBalances(principal_fen=0, bonus_fen=0, points=0)
    locked = card_message(_card(pin_hash="h", pin_locked_until=utc_now() + timedelta(minutes=5)), "E", balances)
    assert locked.pin_set and locked.pin_locked
    lapsed = card_message(_card(pin_hash="h", pin_locked_until=utc_now() - timedelta(seconds=1)), "E", balances)
    assert lapsed.pin_set and not lapsed.pin_locked


def test_a_replaced_card_points_both_ways() -> None:
    balances = CardBalances(principal_fen=0, bonus_fen=0, points=0)
    old = card_message(_card(state="REPLACED", replaced_by_card_number="881100000123469"), "W", balances)
    assert (old.state, old.replaced_by_card_number, old.replaces_card_number) == (common_pb2.CARD_STATE_REPLACED, "881100000123469", "")
    new = card_message(_card(card_number="881100000123469", replaces_card_number="881100000123451"), "W", balances)
    assert (new.replaced_by_card_number, new.replaces_card_number) == ("", "881100000123451")
    assert card_message(_card(expires_at=OPENED + timedelta(days=365)), "E", balances).expires_at == timestamp(OPENED + timedelta(days=365))


def test_transaction_message() -> None:
    row = LedgerTransaction(
        transaction_id="T-2", request_id="R-2", type="REFUND", card_number="881100000123451", store_id="S-E-002",
        acquiring_franchisee_id="F-AURORA", business_date=date(2026, 11, 20), amount_fen=5_750, principal_delta_fen=5_000,
        bonus_delta_fen=750, points_delta=-10, principal_after_fen=20_000, bonus_after_fen=1_750, points_after=90,
        original_transaction_id="T-1", created_at=OPENED,
    )
    assert transaction_message(row, "E") == common_pb2.Transaction(
        transaction_id="T-2", type=common_pb2.TRANSACTION_TYPE_REFUND, card_number="881100000123451", store_id="S-E-002",
        amount_fen=5_750, principal_delta_fen=5_000, bonus_delta_fen=750, points_delta=-10,
        balances_after=common_pb2.Balances(principal_fen=20_000, bonus_fen=1_750, points=90), occurred_at=timestamp(OPENED),
        # A row from before its posting moment was kept: posted when it was created.
        posted_at=timestamp(OPENED), business_date="2026-11-20", original_transaction_id="T-1", home_region="E")


def test_an_advice_happened_when_approved_and_was_posted_later() -> None:
    """posting order (docs/adr/0012): occurred_at is the store's approval, posted_at the region's posting."""
    posted = OPENED + timedelta(minutes=7)
    row = LedgerTransaction(
        transaction_id="T-3", request_id="A-3", type="OFFLINE_ADVICE", card_number="881100000123451", store_id="S-W-002",
        acquiring_franchisee_id="F-AURORA", business_date=date(2026, 11, 20), amount_fen=1_000, principal_delta_fen=-1_000,
        bonus_delta_fen=0, points_delta=0, principal_after_fen=19_000, bonus_after_fen=1_750, points_after=90,
        created_at=OPENED, details={"offline": True, POSTED_AT: posted.isoformat()},
    )
    message = transaction_message(row, "E")
    assert (message.occurred_at, message.posted_at) == (timestamp(OPENED), timestamp(posted))
    row.original_transaction_id = None
    assert transaction_message(row, "E").original_transaction_id == ""
