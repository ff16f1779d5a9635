"""Card types honoured (C1) on real regions over gRPC: one refusal per CardType flag, each
FAILED_PRECONDITION naming the card type and the flag, writing nothing (chaincard.card_types); and
RenewCard by the type's rule."""

from __future__ import annotations

import time
from datetime import timedelta

import grpc
import pytest

from chaincard.db.base import utc_now
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, common_pb2, members_pb2, program_config_pb2_grpc, transactions_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service.handlers.lifecycle import expire_due_cards
from tests.support.cards import assert_refused, open_card, recharge_card, recharge_request
from tests.support.points import CONFIG_MAX_AGE_SECONDS, adjust, redeem
from tests.support.sql import execute, rows, scalar

FP = grpc.StatusCode.FAILED_PRECONDITION
TYPES = [
    pc.CardType(code="CT-PTS", name="Points only", points=True, discount=True, default_level_code="GOLD", active=True),
    pc.CardType(code="CT-SV", name="Stored value only", stored_value=True, discount=True, default_level_code="GOLD", active=True),
    pc.CardType(code="CT-PLAIN", name="No discount", stored_value=True, points=True, default_level_code="GOLD", active=True),
    pc.CardType(code="CT-GOLD", name="Everything", stored_value=True, points=True, discount=True, default_level_code="GOLD",
                active=True),
    pc.CardType(code="CT-YEAR", name="One year", stored_value=True, points=True, validity_days=365, active=True),
    pc.CardType(code="CT-TRIAL", name="Trial", stored_value=True, points=True, discount=True, trial=True, validity_days=7,
                active=True),
    # Trial conversion (docs/adr/0034): a recharge of at least ¥100 makes a CT-GOLD card of it.
    pc.CardType(code="CT-TASTE", name="Convertible trial", stored_value=True, points=True, discount=True, trial=True,
                validity_days=7, converts_to_card_type_code="CT-GOLD", conversion_min_recharge_fen=10_000, active=True),
    # A bearer gift card (docs/adr/0034): no member; its points flag is moot (no one earns).
    pc.CardType(code="CT-GIFT", name="Gift card", stored_value=True, points=True, anonymous=True, active=True),
]
OFFER = pc.PointsRedemptionRule(code="CT-SV-5", name="¥5 bonus", kind=pc.POINTS_REDEMPTION_KIND_STORED_VALUE, points_cost=10,
                                stored_value_fen=500, active=True)


@pytest.fixture(scope="module")
def east(regions):  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        for card_type in TYPES:
            program.UpsertCardType(pc.UpsertCardTypeRequest(request_id=new_id(), card_type=card_type), timeout=10)
        program.UpsertPointsRedemptionRule(pc.UpsertPointsRedemptionRuleRequest(request_id=new_id(), rule=OFFER), timeout=10)
    time.sleep(CONFIG_MAX_AGE_SECONDS + 1)  # not an assertion: the servers' cache age, so they see the types
    return regions.clients["E"]


def _sale(card: str, *, tender: common_pb2.TenderType.ValueType = common_pb2.TENDER_TYPE_CASH, points_to_redeem: int = 0,
          other_card: str = "") -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(
        request_id=new_id(), store_id="S-E-001", card_number=card, points_to_redeem=points_to_redeem,
        lines=[transactions_pb2.BasketLine(sku="CUP", name="Cup", category="misc", quantity=1, unit_price_fen=10_000)],
        tenders=[transactions_pb2.TenderRequest(type=tender, amount_fen=0, card_number=other_card)])  # 0: the rest


def _transactions(regions, card: str) -> int:  # type: ignore[no-untyped-def]
    return int(scalar(regions.database_urls["E"], "SELECT count(*) FROM ledger_transactions WHERE card_number = :card", card=card))


def test_stored_value_flag_a_points_only_card_is_never_recharged_nor_pays_by_stored_value(regions, east):
    card = open_card(east, card_type="CT-PTS")
    details = assert_refused(east.transactions.RechargeCard, recharge_request(card, 10_000), FP, "card type CT-PTS")
    assert "stored_value" in details
    details = assert_refused(east.transactions.Checkout, _sale(card, tender=common_pb2.TENDER_TYPE_STORED_VALUE), FP, "CT-PTS")
    assert "stored_value" in details
    sale = _sale(card, tender=common_pb2.TENDER_TYPE_STORED_VALUE)
    quote = transactions_pb2.QuoteCheckoutRequest(store_id=sale.store_id, card_number=card, lines=sale.lines, tenders=sale.tenders)
    assert "stored_value" in assert_refused(east.transactions.QuoteCheckout, quote, FP, "card type CT-PTS")
    no_tenders = _sale(card)
    del no_tenders.tenders[:]  # no tenders: the card's stored value is implied
    assert "stored_value" in assert_refused(east.transactions.Checkout, no_tenders, FP, "card type CT-PTS")
    # Nor as a second member card (组合支付) paying for another card's sale.
    payer = open_card(east, card_type="CT-GOLD")
    details = assert_refused(east.transactions.Checkout, _sale(payer, tender=common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD,
                                                               other_card=card), FP, "card type CT-PTS")
    assert "stored_value" in details
    assert _transactions(regions, card) == 0
    # What the type does carry still works: a cash sale earns points.
    assert east.transactions.Checkout(_sale(card), timeout=10).points_earned > 0


def test_points_flag_a_card_without_points_earns_none_and_uses_none(regions, east):
    card = open_card(east, card_type="CT-SV")
    recharge_card(east.transactions, card, 50_000)
    sold = east.transactions.Checkout(_sale(card, tender=common_pb2.TENDER_TYPE_STORED_VALUE), timeout=10)
    assert sold.points_earned == 0 and sold.balances_after.points == 0
    before = _transactions(regions, card)
    for call, request in [
        (east.transactions.Checkout, _sale(card, tender=common_pb2.TENDER_TYPE_STORED_VALUE, points_to_redeem=100)),
        (east.transactions.RedeemPoints, redeem(card, OFFER.code)),
        (east.transactions.AdjustPoints, adjust(card, 100)),
        (east.transactions.QuoteCheckout, transactions_pb2.QuoteCheckoutRequest(
            store_id="S-E-001", card_number=card, points_to_redeem=100, lines=_sale(card).lines)),
    ]:
        details = assert_refused(call, request, FP, "card type CT-SV")
        assert "points" in details
    assert _transactions(regions, card) == before


def test_discount_flag_a_card_without_it_pays_full_price_at_the_same_level(regions, east):
    plain, gold = open_card(east, card_type="CT-PLAIN"), open_card(east, card_type="CT-GOLD")
    for card in (plain, gold):
        recharge_card(east.transactions, card, 50_000)
    no_discount = east.transactions.Checkout(_sale(plain, tender=common_pb2.TENDER_TYPE_STORED_VALUE), timeout=10)
    discounted = east.transactions.Checkout(_sale(gold, tender=common_pb2.TENDER_TYPE_STORED_VALUE), timeout=10)
    assert (no_discount.discount_fen, no_discount.total_due_fen) == (0, 10_000)
    assert (discounted.discount_fen, discounted.total_due_fen) == (1_000, 9_000)  # GOLD: 10% off
    # The level's points multiplier stays: the discount flag is about the price only.
    assert no_discount.points_earned > discounted.points_earned > 0


def test_trial_flag_a_trial_card_is_never_recharged_and_ends_after_validity_days(regions, east):
    card = open_card(east, card_type="CT-TRIAL")
    details = assert_refused(east.transactions.RechargeCard, recharge_request(card, 10_000), FP, "card type CT-TRIAL")
    assert "trial" in details
    opened = east.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=10).card
    assert opened.expires_at.ToDatetime() - opened.opened_at.ToDatetime() == timedelta(days=7)


def test_validity_days_flag_a_card_past_its_validity_is_refused(regions, east):
    card = open_card(east, card_type="CT-TRIAL")
    execute(regions.database_urls["E"], "UPDATE cards SET expires_at = :when WHERE card_number = :card",
            when=utc_now() - timedelta(minutes=1), card=card)
    assert_refused(east.transactions.Checkout, _sale(card), FP, "expired on")
    assert _transactions(regions, card) == 0


def test_hq_refuses_a_trial_type_that_never_ends(regions):
    with open_channel(regions.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        endless = pc.CardType(code="CT-ENDLESS", name="Endless trial", trial=True, active=True)
        details = assert_refused(program.UpsertCardType, pc.UpsertCardTypeRequest(request_id=new_id(), card_type=endless),
                                 grpc.StatusCode.INVALID_ARGUMENT, "card_type.validity_days")
        assert "trial" in details


# ---- renewal (RenewCard) ----------------------------------------------------------------------------------

def _renew(card: str, reason: str = "renewal fee paid") -> cards_pb2.RenewCardRequest:
    return cards_pb2.RenewCardRequest(request_id=new_id(), store_id="S-E-001", card_number=card, operator_id="SM-TEST",
                                      reason=reason)


def _set_expiry(regions, card: str, when) -> None:  # type: ignore[no-untyped-def]
    execute(regions.database_urls["E"], "UPDATE cards SET expires_at = :when WHERE card_number = :card", when=when, card=card)


def _renewals(regions, card: str) -> int:  # type: ignore[no-untyped-def]
    return int(scalar(regions.database_urls["E"], "SELECT count(*) FROM audit_log WHERE action = 'card.renew' "
                      "AND target_id = :card", card=card))


def test_an_expired_card_is_renewed_once_by_its_types_validity_and_pays_again(regions, region_context, east):
    card = open_card(east, card_type="CT-YEAR")
    recharge_card(east.transactions, card, 5_000)
    _set_expiry(regions, card, utc_now() - timedelta(days=1))
    assert expire_due_cards(region_context) >= 1
    assert_refused(east.transactions.Checkout, _sale(card, tender=common_pb2.TENDER_TYPE_STORED_VALUE), FP, "expired")
    request = _renew(card)
    before = utc_now()
    renewed = east.cards.RenewCard(request, timeout=10)
    after = utc_now()
    assert east.cards.RenewCard(request, timeout=10) == renewed  # a retry is answered once
    assert renewed.card.state == common_pb2.CARD_STATE_ACTIVE
    new_expiry = renewed.card.expires_at.ToDatetime(tzinfo=before.tzinfo)
    assert before + timedelta(days=365) <= new_expiry <= after + timedelta(days=365)  # from now: it had ended
    assert _renewals(regions, card) == 1
    assert east.transactions.Checkout(_sale(card), timeout=10).points_earned > 0  # usable again


def test_a_card_ending_soon_is_extended_from_its_old_end_and_one_far_from_it_is_refused(regions, east):
    card = open_card(east, card_type="CT-YEAR")
    assert_refused(east.cards.RenewCard, _renew(card), FP, "can be renewed from")
    ends = utc_now() + timedelta(days=10)
    _set_expiry(regions, card, ends)
    renewed = east.cards.RenewCard(_renew(card), timeout=10)
    assert renewed.previous_expires_at.ToDatetime(tzinfo=ends.tzinfo) == ends
    assert renewed.card.expires_at.ToDatetime() - renewed.previous_expires_at.ToDatetime() == timedelta(days=365)
    assert _renewals(regions, card) == 1


@pytest.mark.parametrize(("card_type", "flag"), [("CT-TRIAL", "trial"), ("CT-GOLD", "validity_days")])
def test_renewal_refused_for_a_trial_card_and_a_type_that_never_expires(regions, east, card_type: str, flag: str):
    card = open_card(east, card_type=card_type)
    _set_expiry(regions, card, utc_now() + timedelta(days=1))
    details = assert_refused(east.cards.RenewCard, _renew(card), FP, f"card type {card_type}")
    assert flag in details and _renewals(regions, card) == 0


# ---- trial conversion (docs/adr/0034) ---------------------------------------------------------------------

def _audit_actions(regions, card: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [row[0] for row in rows(regions.database_urls["E"], "SELECT action FROM audit_log WHERE target_id = :card "
                                   "ORDER BY occurred_at", card=card)]


def _events_of(regions, card: str, event_type: str) -> int:  # type: ignore[no-untyped-def]
    return int(scalar(regions.database_urls["E"], "SELECT count(*) FROM outbox WHERE event_type = :type AND message_key = :card",
                      type=f"chaincard.v1.{event_type}", card=card))


def test_a_trial_card_converts_on_its_first_qualifying_recharge_once(regions, east):
    card = open_card(east, card_type="CT-TASTE")
    # Below the type's conversion amount: refused naming the flag, nothing written.
    details = assert_refused(east.transactions.RechargeCard, recharge_request(card, 9_999), FP, "card type CT-TASTE")
    assert "conversion_min_recharge_fen" in details and "CT-GOLD" in details
    assert _transactions(regions, card) == 0 and _events_of(regions, card, "CardTypeChanged") == 0
    request = recharge_request(card, 10_000)
    recharged = east.transactions.RechargeCard(request, timeout=10)
    assert east.transactions.RechargeCard(request, timeout=10) == recharged  # a retry converts nothing twice
    assert recharged.transaction.balances_after.principal_fen == 10_000
    assert any("Card converted to CT-GOLD" in line.text for line in recharged.receipt)
    converted = east.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=10).card
    assert converted.card_type_code == "CT-GOLD" and converted.level_code == "GOLD"
    assert not converted.HasField("expires_at")  # CT-GOLD never expires
    assert _events_of(regions, card, "CardTypeChanged") == 1 and "card.convert" in _audit_actions(regions, card)
    # Its level moved to CT-GOLD's default: announced, and the member told (MemberLevelChanged).
    assert _events_of(regions, card, "CardLevelChanged") == _events_of(regions, card, "MemberLevelChanged") == 1
    # From now on the card is a CT-GOLD card: recharged like one, with no conversion.
    recharge_card(east.transactions, card, 500)
    assert _events_of(regions, card, "CardTypeChanged") == 1 and _transactions(regions, card) == 2


def test_an_expired_trial_card_does_not_convert(regions, east):
    card = open_card(east, card_type="CT-TASTE")
    execute(regions.database_urls["E"], "UPDATE cards SET expires_at = :when WHERE card_number = :card",
            when=utc_now() - timedelta(minutes=1), card=card)
    assert_refused(east.transactions.RechargeCard, recharge_request(card, 10_000), FP, "expired on")
    assert _events_of(regions, card, "CardTypeChanged") == 0


@pytest.mark.parametrize(("card_type", "field", "match"), [
    (pc.CardType(code="CT-BAD-1", name="Not trial", stored_value=True, converts_to_card_type_code="CT-GOLD", active=True),
     "card_type.converts_to_card_type_code", "only a trial"),
    (pc.CardType(code="CT-BAD-2", name="Unknown target", trial=True, validity_days=7, converts_to_card_type_code="CT-NOPE",
                 active=True), "card_type.converts_to_card_type_code", "names no card type"),
    (pc.CardType(code="CT-BAD-3", name="No stored value", trial=True, validity_days=7, converts_to_card_type_code="CT-PTS",
                 active=True), "card_type.converts_to_card_type_code", "stored value"),
    (pc.CardType(code="CT-BAD-4", name="Minimum alone", trial=True, validity_days=7, conversion_min_recharge_fen=100,
                 active=True), "card_type.conversion_min_recharge_fen", "needs converts_to_card_type_code"),
    (pc.CardType(code="CT-BAD-5", name="Negative", trial=True, validity_days=7, converts_to_card_type_code="CT-GOLD",
                 conversion_min_recharge_fen=-1, active=True), "card_type.conversion_min_recharge_fen", "negative"),
    (pc.CardType(code="CT-BAD-6", name="Bearer trial", trial=True, validity_days=7, anonymous=True, active=True),
     "card_type.anonymous", "trial"),
])
def test_hq_refuses_a_conversion_or_bearer_rule_that_cannot_work(regions, east, card_type: pc.CardType, field: str, match: str):
    with open_channel(regions.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        details = assert_refused(program.UpsertCardType, pc.UpsertCardTypeRequest(request_id=new_id(), card_type=card_type),
                                 grpc.StatusCode.INVALID_ARGUMENT, field)
        assert match in details


# ---- bearer cards (docs/adr/0034) ----------------------------------------------------------------------

def _open(east, card_type: str, member_id: str = "") -> cards_pb2.OpenCardRequest:  # type: ignore[no-untyped-def]
    return cards_pb2.OpenCardRequest(request_id=new_id(), store_id="S-E-001", member_id=member_id, card_type_code=card_type)


def test_a_bearer_card_opens_without_a_member_pays_and_is_recharged_and_earns_nothing(regions, east):
    request = _open(east, "CT-GIFT")
    opened = east.cards.OpenCard(request, timeout=10).card
    assert east.cards.OpenCard(request, timeout=10).card == opened  # a retry opens one card
    assert opened.member_id == "" and opened.card_type_code == "CT-GIFT"
    recharged = east.transactions.RechargeCard(recharge_request(opened.card_number, 20_000), timeout=10)
    assert recharged.transaction.balances_after.principal_fen == 20_000
    sold = east.transactions.Checkout(_sale(opened.card_number, tender=common_pb2.TENDER_TYPE_STORED_VALUE), timeout=10)
    assert sold.total_due_fen == 10_000 and sold.points_earned == 0 and sold.balances_after.points == 0
    assert sold.balances_after.principal_fen == 10_000
    member_ids = rows(regions.database_urls["E"], "SELECT member_id FROM cards WHERE card_number = :card", card=opened.card_number)
    assert member_ids == [(None,)]
    # A look-up by its number finds no member (it has none), rather than failing.
    assert_refused(east.members.FindMember, members_pb2.FindMemberRequest(card_number=opened.card_number),
                   grpc.StatusCode.NOT_FOUND)
    # A bearer card's level change tells no one: no MemberLevelChanged.
    east.cards.ChangeCardLevel(cards_pb2.ChangeCardLevelRequest(
        request_id=new_id(), store_id="S-E-001", card_number=opened.card_number, level_code="GOLD", reason="gift upgrade",
        operator_id="SM-TEST"), timeout=10)
    assert _events_of(regions, opened.card_number, "CardLevelChanged") == 1
    assert _events_of(regions, opened.card_number, "MemberLevelChanged") == 0


def test_opening_refuses_a_member_on_a_bearer_type_and_none_on_another(regions, east):
    named = open_card(east, card_type="CT-GOLD")
    member_id = east.cards.GetCard(cards_pb2.GetCardRequest(card_number=named), timeout=10).card.member_id
    for request in (_open(east, "CT-GIFT", member_id), _open(east, "CT-GOLD")):
        details = assert_refused(east.cards.OpenCard, request, grpc.StatusCode.INVALID_ARGUMENT, "member_id")
        assert "anonymous" in details
