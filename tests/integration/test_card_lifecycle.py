"""Card lifecycle (C3), transaction PIN (C4) and the audit log (H4) over real gRPC and PostgreSQL."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

import grpc
import pytest
from sqlalchemy.exc import DBAPIError

from chaincard.db.base import utc_now
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.errors import FailedPrecondition, PermissionDenied
from chaincard.ids import make_card_number, new_id
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.rpc.channels import open_channel
from chaincard.rpc.server import build_server
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    member_index_pb2,
    member_index_pb2_grpc,
    transactions_pb2,
)
from region_service import pins
from region_service.handlers import lifecycle
from region_service.handlers.lifecycle import expire_due_cards
from region_service.ledger_store import card_accounts, post_transaction, system_account_id
from region_service.models import LedgerTransaction
from store_agent.journal import RequestJournal
from store_agent.region_link import RegionLink
from store_agent.servicers import StoreCardServicer
from tests.support.cards import assert_refused, open_card, recharge_request
from tests.support.ledger import assert_ledger_consistent
from tests.support.sql import execute as _execute
from tests.support.sql import rows as _rows
from tests.support.sql import scalar as _scalar

STATE = common_pb2.CardState


# ---- helpers ------------------------------------------------------------------------------------------

def _sale(card: str, price: int, store_id: str = "S-E-001") -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id=store_id, card_number=card,
        lines=[transactions_pb2.BasketLine(sku="X", name="thing", category="misc", quantity=1, unit_price_fen=price)],
    )





def _ledger_count(database_url: str) -> int:
    return _scalar(database_url, "SELECT COUNT(*) FROM ledger_transactions")


def _audit_actions(database_url: str, card: str) -> list[str]:
    return [row[0] for row in _rows(
        database_url, "SELECT action FROM audit_log WHERE target_id = :card ORDER BY occurred_at, id", card=card)]


def _state_events(database_url: str, card: str) -> int:
    return _scalar(
        database_url,
        "SELECT COUNT(*) FROM outbox WHERE message_key = :card AND topic = 'chaincard.cards.v1' "
        "AND event_type = 'chaincard.v1.CardStateChanged'", card=card,
    )


def _grant(database_url: str, card: str, *, bonus: int = 0, points: int = 0) -> None:
    """Bonus and points as a recharge promotion or a sale would grant them (other features), posted
    as one balanced ledger transaction, so these tests do not depend on pricing."""
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            accounts = card_accounts(session, card)
            postings = []
            if bonus:
                expense = system_account_id(session, "F-HQ", SystemAccount.PROMOTION_EXPENSE, Asset.STORED_VALUE_BONUS)
                postings += transfer(Asset.STORED_VALUE_BONUS, bonus, debit=expense, credit=accounts[Asset.STORED_VALUE_BONUS].account_id)
            if points:
                liability = system_account_id(session, "F-HQ", SystemAccount.POINTS_LIABILITY, Asset.POINTS)
                postings += transfer(Asset.POINTS, points, debit=liability, credit=accounts[Asset.POINTS].account_id)
            row = LedgerTransaction(
                transaction_id=new_id(), request_id=new_id(), type="POINTS_ADJUSTMENT", card_number=card, store_id="S-E-001",
                acquiring_franchisee_id="F-HQ", business_date=utc_now().date(), amount_fen=0, principal_delta_fen=0,
                bonus_delta_fen=bonus, points_delta=points, principal_after_fen=0, bonus_after_fen=0, points_after=0,
                details={"test": "grant"}, created_at=utc_now(),
            )
            post_transaction(session, row, postings)
    finally:
        engine.dispose()


def _funded_card(regions, principal: int = 40_000, bonus: int = 0, points: int = 100) -> str:
    east = regions.clients["E"]
    card = open_card(east)
    if principal:
        east.transactions.RechargeCard(recharge_request(card, principal), timeout=10)
    if bonus or points:
        _grant(regions.database_urls["E"], card, bonus=bonus, points=points)
    return card


def _assert_unusable(regions, card: str, word: str) -> None:
    """Recharge and checkout are refused with FAILED_PRECONDITION saying why, and write nothing."""
    east, url = regions.clients["E"], regions.database_urls["E"]
    before = _ledger_count(url)
    recharge = assert_refused(east.transactions.RechargeCard, recharge_request(card, 1_000), grpc.StatusCode.FAILED_PRECONDITION)
    checkout = assert_refused(east.transactions.Checkout, _sale(card, 100), grpc.StatusCode.FAILED_PRECONDITION)
    assert word in recharge and word in checkout, (recharge, checkout)
    assert _ledger_count(url) == before


def _freeze(card: str, request_id: str | None = None, reason: str = "suspected fraud") -> cards_pb2.FreezeCardRequest:
    return cards_pb2.FreezeCardRequest(
        request_id=request_id or new_id(), store_id="S-E-001", card_number=card, operator_id="op-1", reason=reason
    )


# ---- state transitions ------------------------------------------------------------------------------

def test_freeze_and_unfreeze(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = _funded_card(regions)
    missing_reason = assert_refused(east.cards.FreezeCard, _freeze(card, reason=""), grpc.StatusCode.INVALID_ARGUMENT)
    assert missing_reason.startswith("reason")

    frozen = east.cards.FreezeCard(_freeze(card), timeout=10).card
    assert frozen.state == STATE.Value("CARD_STATE_FROZEN")
    assert (frozen.balances.principal_fen, frozen.balances.points) == (40_000, 100)
    again = assert_refused(east.cards.FreezeCard, _freeze(card), grpc.StatusCode.FAILED_PRECONDITION)
    assert again == f"card {card} is frozen; it cannot be frozen (only active cards can)"
    _assert_unusable(regions, card, "frozen")

    unfreeze = cards_pb2.UnfreezeCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card, operator_id="op-1",
                                             reason="holder identified")
    assert east.cards.UnfreezeCard(unfreeze, timeout=10).card.state == STATE.Value("CARD_STATE_ACTIVE")
    unfreeze.request_id = new_id()
    assert "is active; it cannot be unfrozen" in assert_refused(east.cards.UnfreezeCard, unfreeze, grpc.StatusCode.FAILED_PRECONDITION)
    east.transactions.RechargeCard(recharge_request(card, 100), timeout=10)  # usable again

    assert _audit_actions(url, card) == ["card.freeze", "card.unfreeze"]
    assert _state_events(url, card) == 2
    actor, store, before, after, reason = _rows(
        url, "SELECT actor, store_id, before, after, reason FROM audit_log WHERE target_id = :card AND action = 'card.freeze'",
        card=card)[0]
    assert (actor, store, before, after, reason) == ("op-1", "S-E-001", {"state": "ACTIVE"}, {"state": "FROZEN"}, "suspected fraud")


def test_report_lost_and_cancel_the_loss(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = _funded_card(regions)
    east.cards.FreezeCard(_freeze(card), timeout=10)
    lost = east.cards.ReportCardLost(cards_pb2.ReportCardLostRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, reason="left on the bus"), timeout=10).card
    assert lost.state == STATE.Value("CARD_STATE_LOST")  # a frozen card can be reported lost too
    _assert_unusable(regions, card, "lost")
    assert "is lost; it cannot be frozen" in assert_refused(east.cards.FreezeCard, _freeze(card), grpc.StatusCode.FAILED_PRECONDITION)

    cancel = cards_pb2.CancelCardLossRequest(request_id=new_id(), card_number=card, reason="found it")  # call center: no store
    assert east.cards.CancelCardLoss(cancel, timeout=10).card.state == STATE.Value("CARD_STATE_ACTIVE")
    cancel.request_id = new_id()
    assert "is active; it cannot be restored" in assert_refused(east.cards.CancelCardLoss, cancel, grpc.StatusCode.FAILED_PRECONDITION)
    assert _audit_actions(url, card) == ["card.freeze", "card.report_lost", "card.cancel_loss"]
    assert _rows(url, "SELECT actor FROM audit_log WHERE target_id = :card AND action = 'card.cancel_loss'", card=card)[0][0] == "system"
    assert _state_events(url, card) == 3


def test_activate_an_inactive_card(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = open_card(east)
    _execute(url, "UPDATE cards SET state = 'INACTIVE' WHERE card_number = :card", card=card)  # as a pre-sold physical card
    _assert_unusable(regions, card, "inactive")
    activate = cards_pb2.ActivateCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card, operator_id="op-2")
    assert east.cards.ActivateCard(activate, timeout=10).card.state == STATE.Value("CARD_STATE_ACTIVE")
    activate.request_id = new_id()
    assert "is active; it cannot be activated (only inactive cards can)" in assert_refused(
        east.cards.ActivateCard, activate, grpc.StatusCode.FAILED_PRECONDITION)
    assert _audit_actions(url, card) == ["card.activate"]


def test_unknown_cards_and_bad_fields_are_refused(regions):
    east = regions.clients["E"]
    assert assert_refused(east.cards.FreezeCard, _freeze(make_card_number("11", 9_999_999_999)), grpc.StatusCode.NOT_FOUND)
    bad = _freeze("12")
    assert assert_refused(east.cards.FreezeCard, bad, grpc.StatusCode.INVALID_ARGUMENT).startswith("card_number")
    no_id = _freeze(open_card(east))
    no_id.request_id = ""
    assert assert_refused(east.cards.FreezeCard, no_id, grpc.StatusCode.INVALID_ARGUMENT).startswith("request_id")


# ---- replacement and reissue ------------------------------------------------------------------------

def test_replace_moves_every_balance_to_a_new_number(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = _funded_card(regions, principal=38_000, bonus=3_000, points=120)
    before = east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    assert (before.principal_fen, before.bonus_fen, before.points) != (0, 0, 0)
    ledger_before = _ledger_count(url)

    request = cards_pb2.ReplaceCardRequest(request_id=new_id(), store_id="S-E-002", card_number=card,
                                           form=common_pb2.CARD_FORM_VIRTUAL, operator_id="op-3", reason="damaged")
    replaced = east.cards.ReplaceCard(request, timeout=10)
    new = replaced.new_card.card_number
    assert new != card and new.startswith("8811")
    assert replaced.old_card.state == STATE.Value("CARD_STATE_REPLACED")
    assert replaced.old_card.replaced_by_card_number == new
    assert replaced.new_card.replaces_card_number == card
    assert replaced.new_card.state == STATE.Value("CARD_STATE_ACTIVE")
    assert replaced.new_card.balances == before
    assert replaced.old_card.balances == common_pb2.Balances()
    assert replaced.transaction.type == common_pb2.TRANSACTION_TYPE_BALANCE_TRANSFER
    assert replaced.transaction.balances_after == before
    assert (replaced.transaction.principal_delta_fen, replaced.transaction.bonus_delta_fen, replaced.transaction.points_delta) == (
        before.principal_fen, before.bonus_fen, before.points)
    assert _ledger_count(url) == ledger_before + 1  # one transaction moved everything

    old = east.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=10).card
    assert old.state == STATE.Value("CARD_STATE_REPLACED")
    _assert_unusable(regions, card, "replaced")
    assert "cannot be frozen" in assert_refused(east.cards.FreezeCard, _freeze(card), grpc.StatusCode.FAILED_PRECONDITION)
    again = cards_pb2.ReplaceCardRequest(request_id=new_id(), store_id="S-E-002", card_number=card)
    assert "cannot be replaced" in assert_refused(east.cards.ReplaceCard, again, grpc.StatusCode.FAILED_PRECONDITION)

    recharge = east.transactions.RechargeCard(recharge_request(new, 1_000), timeout=10)
    assert recharge.transaction.balances_after.principal_fen == before.principal_fen + 1_000
    assert _audit_actions(url, card) == ["card.replace"]
    assert _audit_actions(url, new) == ["card.replace.new_card"]
    assert _scalar(url, "SELECT COUNT(*) FROM outbox WHERE message_key = :new AND event_type = 'chaincard.v1.CardOpened'", new=new) == 1
    assert_ledger_consistent(url)


def test_replace_onto_a_registered_physical_card(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = _funded_card(regions, principal=9_000, points=30)
    plastic, foreign = (f"62{random.randint(0, 10**14 - 1):014d}" for _ in range(2))
    channel = open_channel(regions.hq_endpoint)
    try:
        member_index_pb2_grpc.MemberIndexServiceStub(channel).RegisterPhysicalCards(member_index_pb2.RegisterPhysicalCardsRequest(
            request_id=new_id(), cards=[
                member_index_pb2.PhysicalCardEntry(card_number=plastic, home_region="E", franchisee_id="F-HQ", card_type_code="SV"),
                member_index_pb2.PhysicalCardEntry(card_number=foreign, home_region="E", franchisee_id="F-AURORA"),
            ]), timeout=10)
    finally:
        channel.close()

    def replace(number: str) -> cards_pb2.ReplaceCardRequest:
        return cards_pb2.ReplaceCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card,
                                            form=common_pb2.CARD_FORM_PHYSICAL, new_physical_card_number=number)

    assert "not registered" in assert_refused(east.cards.ReplaceCard, replace("6200000000000001"), grpc.StatusCode.FAILED_PRECONDITION)
    assert "stock of franchisee F-AURORA" in assert_refused(east.cards.ReplaceCard, replace(foreign), grpc.StatusCode.FAILED_PRECONDITION)
    replaced = east.cards.ReplaceCard(replace(plastic), timeout=10)
    assert replaced.new_card.card_number == plastic and replaced.new_card.form == common_pb2.CARD_FORM_PHYSICAL
    assert (replaced.new_card.balances.principal_fen, replaced.new_card.balances.points) == (9_000, 30)
    assert east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=plastic), timeout=10).balances.principal_fen == 9_000
    assert_ledger_consistent(url)


def test_replacing_an_empty_card_posts_nothing(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = open_card(east)
    before = _ledger_count(url)
    replaced = east.cards.ReplaceCard(cards_pb2.ReplaceCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card), timeout=10)
    assert not replaced.HasField("transaction")
    assert replaced.new_card.state == STATE.Value("CARD_STATE_ACTIVE")
    assert _ledger_count(url) == before


def test_reissue_only_a_lost_card(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = _funded_card(regions, principal=15_000, points=50)
    request = cards_pb2.ReissueCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card, operator_id="op-4",
                                           reason="ID card seen")
    assert f"card {card} is active; it cannot be reissued (only lost cards can)" == assert_refused(
        east.cards.ReissueCard, request, grpc.StatusCode.FAILED_PRECONDITION)
    east.cards.ReportCardLost(cards_pb2.ReportCardLostRequest(request_id=new_id(), card_number=card), timeout=10)
    replace = cards_pb2.ReplaceCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card)
    assert "is lost; it cannot be replaced (only active cards can)" in assert_refused(
        east.cards.ReplaceCard, replace, grpc.StatusCode.FAILED_PRECONDITION)

    request.request_id = new_id()
    reissued = east.cards.ReissueCard(request, timeout=10)
    assert reissued.old_card.state == STATE.Value("CARD_STATE_REPLACED")
    assert (reissued.new_card.balances.principal_fen, reissued.new_card.balances.points) == (15_000, 50)
    _assert_unusable(regions, card, "replaced")
    assert _audit_actions(url, card) == ["card.report_lost", "card.reissue"]
    assert_ledger_consistent(url)


# ---- closure ----------------------------------------------------------------------------------------

def test_close_refunds_principal_and_forfeits_the_rest(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = _funded_card(regions, principal=22_000, bonus=2_000, points=80)
    held = east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=card), timeout=10).balances
    # A system account's balance is the sum of its postings (it keeps no running balance: ADR 0007).
    cash_account = (
        "SELECT COALESCE(SUM(CASE WHEN p.direction = 'CREDIT' THEN p.amount ELSE -p.amount END), 0) "
        "FROM ledger_accounts a JOIN postings p ON p.account_id = a.account_id "
        "WHERE a.franchisee_id = 'F-AURORA' AND a.purpose = 'CASH_COLLECTED'"
    )
    cash_before = (_rows(url, cash_account) or [(0,)])[0][0]

    closed = east.cards.CloseCard(cards_pb2.CloseCardRequest(
        request_id=new_id(), store_id="S-E-002", card_number=card, refund_tender=common_pb2.TENDER_TYPE_BANK_CARD,
        operator_id="op-5", reason="moving away"), timeout=10)
    assert closed.card.state == STATE.Value("CARD_STATE_CLOSED")
    assert closed.card.balances == common_pb2.Balances()
    assert (closed.principal_refunded_fen, closed.bonus_forfeited_fen, closed.points_forfeited) == (
        held.principal_fen, held.bonus_fen, held.points)
    assert closed.transaction.type == common_pb2.TRANSACTION_TYPE_CARD_CLOSURE
    assert closed.transaction.amount_fen == held.principal_fen
    assert closed.transaction.balances_after == common_pb2.Balances()
    assert any("Principal refunded" in line.text for line in closed.receipt)
    # The closing store's franchisee paid the principal out of its till.
    assert _rows(url, cash_account)[0][0] == cash_before + held.principal_fen
    assert_ledger_consistent(url)

    _assert_unusable(regions, card, "closed")
    assert assert_refused(east.cards.FreezeCard, _freeze(card), grpc.StatusCode.FAILED_PRECONDITION) == (
        f"card {card} is closed; it cannot be frozen (only active cards can)")
    again = cards_pb2.CloseCardRequest(request_id=new_id(), store_id="S-E-002", card_number=card)
    assert "is closed; it cannot be closed" in assert_refused(east.cards.CloseCard, again, grpc.StatusCode.FAILED_PRECONDITION)
    after = _rows(url, "SELECT after FROM audit_log WHERE target_id = :card AND action = 'card.close'", card=card)[0][0]
    assert after["state"] == "CLOSED" and after["balances"] == {"principal_fen": 0, "bonus_fen": 0, "points": 0}
    assert _scalar(url, "SELECT amount_fen FROM audit_log WHERE target_id = :card AND action = 'card.close'", card=card) == held.principal_fen


def test_a_frozen_card_is_not_closed_and_an_empty_card_closes_without_a_transaction(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = _funded_card(regions, principal=1_000, points=0)
    east.cards.FreezeCard(_freeze(card), timeout=10)
    close = cards_pb2.CloseCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card)
    assert "frozen; unfreeze it before closing" in assert_refused(east.cards.CloseCard, close, grpc.StatusCode.FAILED_PRECONDITION)

    empty = open_card(east)
    before = _ledger_count(url)
    closed = east.cards.CloseCard(cards_pb2.CloseCardRequest(request_id=new_id(), store_id="S-E-001", card_number=empty), timeout=10)
    assert closed.card.state == STATE.Value("CARD_STATE_CLOSED") and not closed.HasField("transaction")
    assert closed.receipt and _ledger_count(url) == before


def test_closing_a_card_with_a_pin_needs_the_pin(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = _funded_card(regions, principal=5_000, points=0)
    east.cards.SetPin(cards_pb2.SetPinRequest(request_id=new_id(), store_id="S-E-001", card_number=card, pin="246810"), timeout=10)
    close = cards_pb2.CloseCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card)
    assert assert_refused(east.cards.CloseCard, close, grpc.StatusCode.PERMISSION_DENIED) == "PIN required"
    close.pin = "111111"
    assert assert_refused(east.cards.CloseCard, close, grpc.StatusCode.PERMISSION_DENIED) == "wrong PIN (4 attempts left)"
    assert _scalar(url, "SELECT state FROM cards WHERE card_number = :card", card=card) == "ACTIVE"
    close.request_id, close.pin = new_id(), "246810"
    closed = east.cards.CloseCard(close, timeout=10)
    assert closed.principal_refunded_fen == 5_000
    assert east.cards.CloseCard(close, timeout=10) == closed  # replay


# ---- expiry -----------------------------------------------------------------------------------------

def test_expired_cards_are_refused_then_marked_expired(regions, region_context):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = _funded_card(regions, principal=3_000, points=0)
    _execute(url, "UPDATE cards SET expires_at = :when WHERE card_number = :card", when=utc_now() - timedelta(days=1), card=card)
    _assert_unusable(regions, card, "expired on")
    unfreeze_target = _funded_card(regions, principal=1_000, points=0)
    east.cards.FreezeCard(_freeze(unfreeze_target), timeout=10)
    _execute(url, "UPDATE cards SET expires_at = :when WHERE card_number = :card", when=utc_now() - timedelta(hours=1),
             card=unfreeze_target)
    unfreeze = cards_pb2.UnfreezeCardRequest(request_id=new_id(), card_number=unfreeze_target, reason="cleared")
    assert "expired on" in assert_refused(east.cards.UnfreezeCard, unfreeze, grpc.StatusCode.FAILED_PRECONDITION)

    assert expire_due_cards(region_context) >= 2
    assert expire_due_cards(region_context) == 0  # nothing left to expire: the job is repeatable
    for number, previous in ((card, "ACTIVE"), (unfreeze_target, "FROZEN")):
        assert east.cards.GetCard(cards_pb2.GetCardRequest(card_number=number), timeout=10).card.state == STATE.Value("CARD_STATE_EXPIRED")
        actor, before = _rows(url, "SELECT actor, before FROM audit_log WHERE target_id = :card AND action = 'card.expire'", card=number)[0]
        assert actor == "system" and before == {"state": previous}
    assert _state_events(url, card) == 1
    _assert_unusable(regions, card, "expired")
    # The principal of an expired card stays refundable.
    closed = east.cards.CloseCard(cards_pb2.CloseCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card), timeout=10)
    assert closed.principal_refunded_fen == 3_000
    assert_ledger_consistent(url)


# ---- PIN --------------------------------------------------------------------------------------------

def test_set_change_and_reset_a_pin(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = open_card(east)
    for bad in ("12345", "1234567", "12a456", ""):
        details = assert_refused(east.cards.SetPin, cards_pb2.SetPinRequest(request_id=new_id(), card_number=card, pin=bad),
                           grpc.StatusCode.INVALID_ARGUMENT)
        assert details.startswith("pin")
    set_request = cards_pb2.SetPinRequest(request_id=new_id(), store_id="S-E-001", card_number=card, pin="135790", operator_id="op-6")
    assert east.cards.SetPin(set_request, timeout=10).card.pin_set
    stored = _scalar(url, "SELECT pin_hash FROM cards WHERE card_number = :card", card=card)
    assert stored.startswith("scrypt$16384$8$1$") and "135790" not in stored
    assert "already has a PIN" in assert_refused(
        east.cards.SetPin, cards_pb2.SetPinRequest(request_id=new_id(), card_number=card, pin="111111"), grpc.StatusCode.FAILED_PRECONDITION)

    change = cards_pb2.ChangePinRequest(request_id=new_id(), card_number=card, old_pin="000000", new_pin="864200")
    assert assert_refused(east.cards.ChangePin, change, grpc.StatusCode.PERMISSION_DENIED) == "wrong PIN (4 attempts left)"
    assert _scalar(url, "SELECT failed_pin_attempts FROM cards WHERE card_number = :card", card=card) == 1
    change = cards_pb2.ChangePinRequest(request_id=new_id(), card_number=card, old_pin="135790", new_pin="864200")
    changed = east.cards.ChangePin(change, timeout=10).card
    assert changed.pin_set and not changed.pin_locked
    assert _scalar(url, "SELECT failed_pin_attempts FROM cards WHERE card_number = :card", card=card) == 0
    assert assert_refused(east.cards.ChangePin, cards_pb2.ChangePinRequest(
        request_id=new_id(), card_number=card, old_pin="135790", new_pin="111111"), grpc.StatusCode.PERMISSION_DENIED).startswith("wrong PIN")

    reset = cards_pb2.ResetPinRequest(request_id=new_id(), store_id="S-E-001", card_number=card, new_pin="975310", reason="ID card seen")
    assert assert_refused(east.cards.ResetPin, reset, grpc.StatusCode.INVALID_ARGUMENT).startswith("operator_id")
    reset.operator_id = "manager-1"
    assert east.cards.ResetPin(reset, timeout=10).card.pin_set
    east.cards.ChangePin(cards_pb2.ChangePinRequest(request_id=new_id(), card_number=card, old_pin="975310", new_pin="123123"), timeout=10)

    assert _audit_actions(url, card) == ["pin.set", "pin.wrong_attempt", "pin.change", "pin.wrong_attempt", "pin.reset", "pin.change"]
    audit_text = str(_rows(url, "SELECT * FROM audit_log WHERE target_id = :card", card=card))
    outbox = b"".join(row[0] for row in _rows(url, "SELECT envelope FROM outbox WHERE message_key = :card", card=card))
    stored_answers = b"".join(row[0] for row in _rows(url, "SELECT response FROM idempotency_keys"))
    for pin in ("135790", "864200", "975310", "123123"):
        assert pin not in audit_text and pin.encode() not in outbox and pin.encode() not in stored_answers


def test_five_wrong_pins_lock_the_pin_until_a_reset(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = open_card(east)
    east.cards.SetPin(cards_pb2.SetPinRequest(request_id=new_id(), card_number=card, pin="102938"), timeout=10)

    def change(old: str) -> cards_pb2.ChangePinRequest:
        return cards_pb2.ChangePinRequest(request_id=new_id(), store_id="S-E-001", card_number=card, old_pin=old, new_pin="564738")

    answers = [assert_refused(east.cards.ChangePin, change("999999"), grpc.StatusCode.PERMISSION_DENIED) for _ in range(5)]
    assert answers[:4] == [f"wrong PIN ({left} attempt{'' if left == 1 else 's'} left)" for left in (4, 3, 2, 1)]
    assert answers[4].startswith("wrong PIN (0 attempts left); the PIN is locked until ")
    locked = assert_refused(east.cards.ChangePin, change("102938"), grpc.StatusCode.FAILED_PRECONDITION)  # even the right PIN
    assert f"the PIN of card {card} is locked after too many wrong attempts until " in locked
    until = _scalar(url, "SELECT pin_locked_until FROM cards WHERE card_number = :card", card=card)
    assert timedelta(minutes=29) < until - utc_now() <= timedelta(minutes=30)
    assert until.strftime("%Y-%m-%d %H:%M:%S UTC") in locked
    assert east.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=10).card.state == STATE.Value("CARD_STATE_ACTIVE")
    assert "pin.lock" in _audit_actions(url, card)

    reset = east.cards.ResetPin(cards_pb2.ResetPinRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, new_pin="111222", operator_id="manager-1",
        reason="ID card seen"), timeout=10)
    assert reset.card.pin_set and not reset.card.pin_locked
    assert _rows(url, "SELECT failed_pin_attempts, pin_locked_until FROM cards WHERE card_number = :card", card=card)[0] == (0, None)


def test_pin_check_for_payments(regions, region_context):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = open_card(east)
    pins.verify_pin_for_payment(region_context, card, "")  # no PIN set: nothing to check
    pins.verify_pin_for_payment(region_context, card, "anything")
    east.cards.SetPin(cards_pb2.SetPinRequest(request_id=new_id(), card_number=card, pin="314159"), timeout=10)
    with pytest.raises(PermissionDenied, match="^PIN required$"):
        pins.verify_pin_for_payment(region_context, card, "")
    with pytest.raises(PermissionDenied, match=r"^wrong PIN \(4 attempts left\)$"):
        pins.verify_pin_for_payment(region_context, card, "271828")
    assert _scalar(url, "SELECT failed_pin_attempts FROM cards WHERE card_number = :card", card=card) == 1  # committed
    pins.verify_pin_for_payment(region_context, card, "314159")
    assert _scalar(url, "SELECT failed_pin_attempts FROM cards WHERE card_number = :card", card=card) == 0
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            pins.verify_pin_for_payment(region_context, card, "000000")
    with pytest.raises(FailedPrecondition, match="locked .* until"):
        pins.verify_pin_for_payment(region_context, card, "314159")
    # A lock that has run out gives fresh attempts.
    _execute(url, "UPDATE cards SET pin_locked_until = :past WHERE card_number = :card", past=utc_now() - timedelta(seconds=1), card=card)
    with pytest.raises(PermissionDenied, match=r"\(4 attempts left\)"):
        pins.verify_pin_for_payment(region_context, card, "000000")
    pins.verify_pin_for_payment(region_context, card, "314159")


# ---- idempotency ------------------------------------------------------------------------------------

def test_lifecycle_calls_replay_on_their_request_id(regions):
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = _funded_card(regions)
    freeze = _freeze(card)
    first = east.cards.FreezeCard(freeze, timeout=10)
    assert east.cards.FreezeCard(freeze, timeout=10) == first
    assert _audit_actions(url, card) == ["card.freeze"] and _state_events(url, card) == 1
    different = _freeze(card, request_id=freeze.request_id, reason="another reason")
    assert "already used" in assert_refused(east.cards.FreezeCard, different, grpc.StatusCode.ALREADY_EXISTS)

    east.cards.UnfreezeCard(cards_pb2.UnfreezeCardRequest(request_id=new_id(), card_number=card, reason="ok"), timeout=10)
    replace = cards_pb2.ReplaceCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card)
    replaced = east.cards.ReplaceCard(replace, timeout=10)
    ledger = _ledger_count(url)
    assert east.cards.ReplaceCard(replace, timeout=10) == replaced
    assert _ledger_count(url) == ledger

    other = open_card(east)
    set_pin = cards_pb2.SetPinRequest(request_id=new_id(), card_number=other, pin="192837")
    assert east.cards.SetPin(set_pin, timeout=10) == east.cards.SetPin(set_pin, timeout=10)
    set_pin.pin = "192838"
    assert_refused(east.cards.SetPin, set_pin, grpc.StatusCode.ALREADY_EXISTS)
    fingerprint = _scalar(url, "SELECT payload_sha256 FROM idempotency_keys WHERE request_id = :id", id=set_pin.request_id)
    set_pin.pin = "192837"
    plain = hashlib.sha256(b"SetPin" + set_pin.SerializeToString(deterministic=True)).hexdigest()
    assert fingerprint != plain  # the PIN itself was never hashed cheaply


# ---- forwarding, store agent, append-only -----------------------------------------------------------

def test_a_west_card_is_managed_from_the_east(regions):
    east, west_url = regions.clients["E"], regions.database_urls["W"]
    card = open_card(regions.clients["W"], "S-W-001")
    east.transactions.RechargeCard(recharge_request(card, 7_000, store_id="S-E-002"), timeout=10)
    frozen = east.cards.FreezeCard(cards_pb2.FreezeCardRequest(
        request_id=new_id(), store_id="S-E-002", card_number=card, reason="fraud check"), timeout=10)
    assert frozen.card.state == STATE.Value("CARD_STATE_FROZEN") and frozen.card.home_region == "W"
    assert _audit_actions(west_url, card) == ["card.freeze"]
    assert _scalar(west_url, "SELECT store_id FROM audit_log WHERE target_id = :card", card=card) == "S-E-002"
    assert "cannot be frozen" in assert_refused(east.cards.FreezeCard, cards_pb2.FreezeCardRequest(
        request_id=new_id(), card_number=card, reason="again"), grpc.StatusCode.FAILED_PRECONDITION)
    east.cards.UnfreezeCard(cards_pb2.UnfreezeCardRequest(request_id=new_id(), card_number=card, reason="ok"), timeout=10)
    east.cards.SetPin(cards_pb2.SetPinRequest(request_id=new_id(), card_number=card, pin="556677"), timeout=10)
    replaced = east.cards.ReplaceCard(cards_pb2.ReplaceCardRequest(request_id=new_id(), store_id="S-E-002", card_number=card), timeout=10)
    assert replaced.new_card.card_number.startswith("8821") and replaced.new_card.pin_set
    assert replaced.new_card.balances.principal_fen == 7_000
    assert_ledger_consistent(west_url)


def test_the_store_agent_passes_lifecycle_calls_through(regions, tmp_path):
    url = regions.database_urls["E"]
    store_db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade_to_head("store_agent", store_db)
    engine = make_engine(store_db)
    link = RegionLink(RequestJournal(make_session_factory(engine)), deadline=10)
    servicer = StoreCardServicer("S-E-002", link, regions.clients["E"].cards)
    server = build_server("127.0.0.1:0", [(cards_pb2_grpc.add_CardServiceServicer_to_server, servicer, "chaincard.v1.CardService")])
    channel = open_channel(f"127.0.0.1:{server.port}")
    try:
        pos = cards_pb2_grpc.CardServiceStub(channel)
        card = open_card(regions.clients["E"])
        freeze = cards_pb2.FreezeCardRequest(request_id=new_id(), card_number=card, operator_id="cashier-9", reason="at the till")
        assert pos.FreezeCard(freeze, timeout=10).card.state == STATE.Value("CARD_STATE_FROZEN")
        assert pos.FreezeCard(freeze, timeout=10).card.state == STATE.Value("CARD_STATE_FROZEN")  # journaled answer
        assert _rows(url, "SELECT store_id, actor FROM audit_log WHERE target_id = :card", card=card) == [("S-E-002", "cashier-9")]
        refused = cards_pb2.FreezeCardRequest(request_id=new_id(), card_number=card, reason="again")
        assert "is frozen" in assert_refused(pos.FreezeCard, refused, grpc.StatusCode.FAILED_PRECONDITION)
        pos.UnfreezeCard(cards_pb2.UnfreezeCardRequest(request_id=new_id(), card_number=card, reason="ok"), timeout=10)
        assert pos.SetPin(cards_pb2.SetPinRequest(request_id=new_id(), card_number=card, pin="778899"), timeout=10).card.pin_set
        pos.ChangePin(cards_pb2.ChangePinRequest(request_id=new_id(), card_number=card, old_pin="778899", new_pin="889900"), timeout=10)
        pos.ResetPin(cards_pb2.ResetPinRequest(request_id=new_id(), card_number=card, new_pin="990011", operator_id="mgr", reason="ID"),
                     timeout=10)
        pos.ReportCardLost(cards_pb2.ReportCardLostRequest(request_id=new_id(), card_number=card), timeout=10)
        pos.CancelCardLoss(cards_pb2.CancelCardLossRequest(request_id=new_id(), card_number=card), timeout=10)
        new = pos.ReplaceCard(cards_pb2.ReplaceCardRequest(request_id=new_id(), card_number=card), timeout=10).new_card.card_number
        pos.ReportCardLost(cards_pb2.ReportCardLostRequest(request_id=new_id(), card_number=new), timeout=10)
        newer = pos.ReissueCard(cards_pb2.ReissueCardRequest(request_id=new_id(), card_number=new), timeout=10).new_card.card_number
        closed = pos.CloseCard(cards_pb2.CloseCardRequest(request_id=new_id(), card_number=newer, pin="990011"), timeout=10)
        assert closed.card.state == STATE.Value("CARD_STATE_CLOSED")
        stores = {row[0] for row in _rows(url, "SELECT store_id FROM audit_log WHERE target_id IN (:a, :b, :c)", a=card, b=new, c=newer)}
        assert stores == {"S-E-002"}
    finally:
        channel.close()
        server.stop(grace=0)
        engine.dispose()


def test_the_audit_log_is_append_only(regions):
    url = regions.database_urls["E"]
    card = open_card(regions.clients["E"])
    regions.clients["E"].cards.FreezeCard(_freeze(card), timeout=10)
    for statement in ("UPDATE audit_log SET actor = 'someone else' WHERE target_id = :card",
                      "DELETE FROM audit_log WHERE target_id = :card", "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            _execute(url, statement, card=card)
    assert _audit_actions(url, card) == ["card.freeze"]
    assert _scalar(url, "SELECT COUNT(*) FROM outbox WHERE message_key = :card AND topic = 'chaincard.audit.v1'", card=card) == 1


def test_a_wrong_pin_is_counted_and_the_command_refused_with_nothing_else_written(regions, region_context):
    """ChangePin and CloseCard check the PIN on the card they have locked and, when it is wrong,
    commit the failure count and its audit entry alone: no answer remembered, nothing else written
    (ADR 0013, as checkout does)."""
    east, url = regions.clients["E"], regions.database_urls["E"]
    card = open_card(east)
    east.cards.SetPin(cards_pb2.SetPinRequest(request_id=new_id(), card_number=card, pin="246810"), timeout=10)
    change = cards_pb2.ChangePinRequest(request_id=new_id(), card_number=card, old_pin="999999", new_pin="135246")
    with pytest.raises(PermissionDenied, match=r"^wrong PIN \(4 attempts left\)$"):
        region_context.commands.run(lifecycle.change_pin, change)
    assert _scalar(url, "SELECT COUNT(*) FROM idempotency_keys WHERE request_id = :id", id=change.request_id) == 0
    change = cards_pb2.ChangePinRequest(request_id=new_id(), card_number=card, old_pin="246810", new_pin="135246")
    assert region_context.commands.run(lifecycle.change_pin, change).card.pin_set
    assert _scalar(url, "SELECT failed_pin_attempts FROM cards WHERE card_number = :card", card=card) == 0
    assert _audit_actions(url, card) == ["pin.set", "pin.wrong_attempt", "pin.change"]

    # A real wrong PIN: the command's transaction writes nothing, the count commits on its own.
    before = _ledger_count(url)
    close = cards_pb2.CloseCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card, pin="000000")
    with pytest.raises(PermissionDenied, match=r"^wrong PIN \(4 attempts left\)$"):
        region_context.commands.run(lifecycle.close_card, close)
    assert _scalar(url, "SELECT failed_pin_attempts FROM cards WHERE card_number = :card", card=card) == 1
    assert _scalar(url, "SELECT state FROM cards WHERE card_number = :card", card=card) == "ACTIVE"
    assert _scalar(url, "SELECT COUNT(*) FROM idempotency_keys WHERE request_id = :id", id=close.request_id) == 0
    assert _ledger_count(url) == before
    assert _audit_actions(url, card) == ["pin.set", "pin.wrong_attempt", "pin.change", "pin.wrong_attempt"]
