"""The checkout core (chaincard.checkout): one request → pricing mapping, one receipt layout and one
answer for the region's online checkout, its intake of offline advices and the store's stand-in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chaincard.checkout import receipt, terms
from chaincard.checkout.quote import NOT_FOUND_REASON, quote, quote_fields, quote_response
from chaincard.checkout.request import (
    NotTakenOffline,
    PricingRefused,
    checkout_fields,
    price,
    pricing_input,
    require_card_movement,
)
from chaincard.checkout.response import checkout_response
from chaincard.coupons.rules import HeldCoupon
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.pricing import StoredValue, TenderKind
from chaincard.receipts import render
from chaincard.v1 import common_pb2, program_config_pb2, transactions_pb2

CARD = "881234567890123"
OTHER = "881234567890131"
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
COUPON_A = "98800000000000006"
COUPON_B = "98800000000000014"


def _snapshot() -> program_config_pb2.ConfigSnapshot:
    return program_config_pb2.ConfigSnapshot(
        levels=[program_config_pb2.Level(code="GOLD", discount_bp=500)],
        earn_rules=[program_config_pb2.EarnRule(code="BASE", points_per_unit=1, spend_unit_fen=100, active=True)],
    )


def _request(**fields) -> transactions_pb2.CheckoutRequest:  # type: ignore[no-untyped-def]
    request = transactions_pb2.CheckoutRequest(request_id="r-1", store_id="S-E-001", card_number=CARD, lines=[
        transactions_pb2.BasketLine(sku="TEA-001", name="Longjing green tea premium", category="tea", quantity=2, unit_price_fen=1_550),
        transactions_pb2.BasketLine(sku="CUP", name="Cup", category="misc", quantity=1, unit_price_fen=999),
    ])
    for name, value in fields.items():
        if isinstance(value, list):
            getattr(request, name).extend(value)
        else:
            setattr(request, name, value)
    return request


def _plan(request: transactions_pb2.CheckoutRequest, *, held: StoredValue | None = None, offline: bool = False,
          others: dict[str, StoredValue] | None = None):  # type: ignore[no-untyped-def]
    held = held or StoredValue(100_000, 500)
    fields = checkout_fields(request, offline=offline)
    return price(pricing_input(fields, _snapshot(), store_id="S-E-001", local_time=NOON, level_code="GOLD",
                               stored_value=held, points_balance=0, other_cards=others))


# ---- the request -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    ({"card_number": ""}, "card_number"),
    ({"card_number": "88123456789012x"}, "card_number"),
    ({"lines": [transactions_pb2.BasketLine(sku=" ", quantity=1, unit_price_fen=1)]}, "lines[2].sku"),
    ({"lines": [transactions_pb2.BasketLine(sku="X", name="n" * 65, quantity=1, unit_price_fen=1)]}, "lines[2].name"),
    ({"tenders": [transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_UNSPECIFIED)]}, "tenders[0].type"),
    ({"tenders": [transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_CASH, amount_fen=-1)]}, "tenders[0].amount_fen"),
    ({"tenders": [transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD, card_number="12")]},
     "tenders[0].card_number"),
    ({"coupon_codes": ["C1"]}, "coupon_codes[0]"),
    ({"coupon_codes": [COUPON_A, "9880-0000-0000-0000-6"]}, "coupon_codes[1]"),
    ({"points_to_redeem": -1}, "points_to_redeem"),
])
def test_a_bad_field_is_named_online_and_offline_alike(change, field):  # type: ignore[no-untyped-def]
    for offline in (False, True):
        if offline and field.startswith("tenders[0].card_number"):
            continue  # a second member card is refused offline before its number is read
        with pytest.raises(InvalidArgument) as refused:
            checkout_fields(_request(**change), offline=offline)
        assert refused.value.field == field


def test_offline_takes_no_second_card_and_no_points_as_cash_but_count_uses():
    request = _request(tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD, card_number=OTHER)])
    with pytest.raises(NotTakenOffline, match="second member card"):
        checkout_fields(request, offline=True)
    # Count uses are checked offline against the store's cache of them (docs/adr/0036).
    counted = transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_COUNT_USES, count_item_code="WASH", uses=1)
    assert [i.item_code for i in checkout_fields(_request(tenders=[counted]), offline=True).count_uses] == ["WASH"]
    assert checkout_fields(_request(tenders=[transactions_pb2.TenderRequest(
        type=common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD, card_number=OTHER)])).other_card_numbers == [OTHER]
    with pytest.raises(InvalidArgument) as unnamed:  # online, count uses are taken: the item must be named
        checkout_fields(_request(tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_COUNT_USES)]))
    assert unnamed.value.field == "tenders[0].count_item_code"
    uses = transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_COUNT_USES, count_item_code="WASH", uses=2)
    assert [(i.where, i.item_code, i.uses) for i in checkout_fields(_request(tenders=[uses])).count_uses] == [("tenders[0]", "WASH", 2)]
    with pytest.raises(InvalidArgument) as twice:
        checkout_fields(_request(tenders=[uses, uses]))
    assert twice.value.field == "tenders[1].count_item_code"
    with pytest.raises(NotTakenOffline, match="points cannot be used as cash while offline"):
        checkout_fields(_request(points_to_redeem=100), offline=True)
    assert checkout_fields(_request(points_to_redeem=100)).points_to_redeem == 100


def test_the_pricing_input_carries_the_program_terms_and_the_birthday_only_when_known():
    fields = checkout_fields(_request())
    online = pricing_input(fields, _snapshot(), store_id="S-E-001", local_time=NOON, level_code="GOLD",
                           stored_value=StoredValue(1, 2), points_balance=3, birthday=date(1990, 12, 2))
    assert online.level.discount_bp == 500 and online.earn_rules[0].code == "BASE" and online.context.is_birthday
    assert (online.stored_value, online.points_balance, online.card_number) == (StoredValue(1, 2), 3, CARD)
    offline = pricing_input(fields, _snapshot(), store_id="S-E-001", local_time=NOON, level_code="GOLD",
                            stored_value=StoredValue(1, 2), points_balance=3)
    assert not offline.context.is_birthday


def test_pricing_refusals_are_failed_precondition_and_bad_tenders_invalid_argument():
    with pytest.raises(PricingRefused) as refused:
        _plan(_request(), held=StoredValue(100, 0))
    assert isinstance(refused.value, FailedPrecondition) and refused.value.message.startswith(f"{refused.value.field}: ")
    with pytest.raises(InvalidArgument):
        _plan(_request(tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_CASH, amount_fen=1)]))
    small = transactions_pb2.CheckoutRequest(card_number=CARD, lines=[  # under ¥1: no points earned
        transactions_pb2.BasketLine(sku="GUM", quantity=1, unit_price_fen=50)], tenders=[
        transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_CASH)])
    cash_only = price(pricing_input(checkout_fields(small), _snapshot(), store_id="S-E-001", local_time=NOON,
                                    level_code="", stored_value=StoredValue(0, 0), points_balance=0))
    with pytest.raises(FailedPrecondition, match="nothing to record on the card"):
        require_card_movement(cash_only)


# ---- the receipt -------------------------------------------------------------------------------------

def _items(items: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(item.label, item.value) for item in items]


def test_the_sale_lines():
    plan = _plan(_request(tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=1_500),
                                   transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_BANK_CARD)]))
    assert _items(receipt.sale_lines(receipt.sale_figures(plan))) == [
        ("2 x Longjing green tea", "¥31.00"), ("1 x Cup", "¥9.99"), ("Subtotal", "¥40.99"), ("Member discount", "-¥2.05"),
        ("Total", "¥38.94"), ("Paid card", "¥15.00"), ("Paid bank card", "¥23.94"), ("Points earned", "38"),
    ]
    two_cards = _plan(_request(tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD,
                                                                        card_number=OTHER)]),
                      others={OTHER: StoredValue(10_000, 0)})
    assert ("Paid Card ...0131", "¥38.94") in _items(receipt.sale_lines(receipt.sale_figures(two_cards)))


def test_the_card_footer_online_and_estimated_offline():
    footer = dict(principal_fen=12_345, bonus_fen=67, points=890, card_number=CARD, business_date=date(2026, 12, 2),
                  transaction_id="0193abcdef0123456789")
    assert _items(receipt.card_footer(**footer)) == [  # type: ignore[arg-type]
        ("-", ""), ("Principal left", "¥123.45"), ("Bonus left", "¥0.67"), ("Points", "890"), ("Card ...0123", "2026-12-02"),
        ("Txn", "ef0123456789"),
    ]
    assert _items(receipt.card_footer(**footer, estimated=True)) == [  # type: ignore[arg-type]
        ("-", ""), ("Principal left (est.)", "¥123.45"), ("Bonus left (est.)", "¥0.67"), ("Points (est.)", "890"),
        ("Card ...0123", "2026-12-02"), ("Txn", "ef0123456789"), ("Approved offline; posted to", ""),
        ("your card when the link returns", ""),
    ]


def test_an_advice_prints_the_sale_the_store_approved_with_its_offline_marks():
    request = _request()
    plan = _plan(request, offline=True)
    answer = checkout_response(plan, transaction=common_pb2.Transaction(), balances_after=common_pb2.Balances(), receipt=[],
                               offline=True)
    advised = _items(receipt.sale_lines(receipt.advised_sale_figures(request, answer)))
    assert advised == _items(receipt.sale_lines(receipt.sale_figures(plan)))[:len(advised)]
    assert _items(receipt.advice_marks("S-E-001", 42, 0)) == [("OFFLINE at S-E-001 #42", "")]
    assert _items(receipt.advice_marks("S-E-001", 42, 3_500)) == [("OFFLINE at S-E-001 #42", ""), ("Overdrawn (owed)", "¥35.00")]


def test_the_recharge_lines():
    assert _items(receipt.recharge_lines(10_000, "CASH")) == [("Recharged (principal)", "¥100.00"), ("Paid by cash", "¥100.00")]
    assert _items(receipt.recharge_lines(50_000, TenderKind.MOBILE_PAY, promotion_code="WINTER-2026-GRAND-BONUS",
                                         bonus_fen=5_000, bonus_points=200)) == [
        ("Recharged (principal)", "¥500.00"), ("Bonus WINTER-2026-GRAN", "¥50.00"), ("Bonus points", "200"),
        ("Paid by mobile pay", "¥500.00"),
    ]


def test_a_rendered_offline_receipt_fits_58_mm():
    plan = _plan(_request(), offline=True)
    lines = render(receipt.sale_title("东区一号店"), receipt.sale_lines(receipt.sale_figures(plan)), marks=[receipt.OFFLINE_MARK])
    assert [line.strip() for line in lines[:3]] == ["SALE  东区一号店", "** OFFLINE 离线 **", "-" * 32]


# ---- the answer --------------------------------------------------------------------------------------

def test_the_answer_carries_the_priced_lines_and_tenders():
    plan = _plan(_request(tenders=[transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=1_500),
                                   transactions_pb2.TenderRequest(type=common_pb2.TENDER_TYPE_CASH)]))
    answer = checkout_response(plan, transaction=common_pb2.Transaction(transaction_id="t"),
                               balances_after=common_pb2.Balances(principal_fen=1),
                               receipt=[common_pb2.ReceiptLine(text="x")], offline=False)
    assert (answer.subtotal_fen, answer.discount_fen, answer.total_due_fen) == (4_099, 205, 3_894)
    assert [(t.type, t.amount_fen, t.card_number) for t in answer.tenders] == [
        (common_pb2.TENDER_TYPE_STORED_VALUE, 1_500, CARD), (common_pb2.TENDER_TYPE_CASH, 2_394, "")]
    assert [(line.sku, line.net_fen) for line in answer.lines] == [(line.sku, line.net_fen) for line in plan.lines]
    assert answer.transaction.transaction_id == "t" and answer.receipt[0].text == "x" and not answer.offline


# ---- coupons -----------------------------------------------------------------------------------------

def _coupon_snapshot() -> program_config_pb2.ConfigSnapshot:
    snapshot = _snapshot()
    snapshot.coupon_templates.extend([
        program_config_pb2.CouponTemplate(code="CASH-5", name="满30减5", kind=program_config_pb2.COUPON_KIND_CASH_VOUCHER,
                                          face_value_fen=500, min_spend_fen=3_000, active=True, validity_days=30),
        program_config_pb2.CouponTemplate(code="TEA-HOUR", name="tea hour", kind=program_config_pb2.COUPON_KIND_DISCOUNT,
                                          discount_bp=2_000, start_minute_of_day=15 * 60, end_minute_of_day=17 * 60,
                                          active=True, validity_days=30, issuer_franchisee_id="F-HQ"),
    ])
    snapshot.settings.holidays.append("2026-10-01")
    return snapshot


def _held(code: str, template: str) -> HeldCoupon:
    return HeldCoupon(code, template, CARD, "AVAILABLE", NOON - timedelta(days=1), NOON + timedelta(days=1))


def _coupon_input(request: transactions_pb2.CheckoutRequest, *coupons: HeldCoupon):  # type: ignore[no-untyped-def]
    return pricing_input(checkout_fields(request), _coupon_snapshot(), store_id="S-E-001", local_time=NOON,
                         level_code="GOLD", stored_value=StoredValue(100_000, 500), points_balance=0, coupons=coupons,
                         issuing_franchisee_id="F-EAST")


def test_coupon_codes_are_read_online_and_offline():
    fields = checkout_fields(_request(coupon_codes=[" 9880 0000 0000 0000 6", COUPON_B]))
    assert fields.coupon_codes == (COUPON_A, COUPON_B)
    # The stand-in takes coupons from its cache (docs/adr/0025).
    assert checkout_fields(_request(coupon_codes=[COUPON_A]), offline=True).coupon_codes == (COUPON_A,)


def test_pricing_input_carries_the_coupons_and_their_terms():
    request = _request(coupon_codes=[COUPON_A])
    checkout_input = _coupon_input(request, _held(COUPON_A, "CASH-5"))
    assert checkout_input.coupon_templates["CASH-5"].face_value_fen == 500
    assert (checkout_input.holidays, checkout_input.issuing_franchisee_id) == (frozenset({"2026-10-01"}), "F-EAST")
    with pytest.raises(ValueError, match="fields.coupon_codes"):
        _coupon_input(_request(coupon_codes=[COUPON_A, COUPON_B]), _held(COUPON_A, "CASH-5"))  # load every coupon named
    with pytest.raises(FailedPrecondition, match="coupon_codes: coupons cannot be used at this checkout yet"):
        _coupon_input(request)  # a caller that loads none


def test_a_coupon_is_priced_answered_and_printed():
    plan = price(_coupon_input(_request(coupon_codes=[COUPON_A]), _held(COUPON_A, "CASH-5")))
    # 3100 − 155 (5%) = 2945; 999 − 50 = 949; eligible 3894 ≥ 3000: 500 off, 500×2945/3894 = 378.15 → 378, 122
    assert [line.coupon_discount_fen for line in plan.lines] == [378, 122]
    assert (plan.coupon_discount_fen, plan.discount_fen, plan.total_due_fen) == (500, 705, 3_394)
    answer = checkout_response(plan, transaction=common_pb2.Transaction(), balances_after=common_pb2.Balances(), receipt=[],
                               offline=False)
    assert [(c.coupon_code, c.template_code, c.discount_fen, c.issuer_franchisee_id) for c in answer.coupons] == [
        (COUPON_A, "CASH-5", 500, "F-EAST")]
    assert terms.coupon_names(_coupon_snapshot()) == {"CASH-5": "满30减5", "TEA-HOUR": "tea hour"}
    items = _items(receipt.sale_lines(receipt.sale_figures(plan, terms.coupon_names(_coupon_snapshot()))))
    assert items[3:7] == [("Member discount", "-¥2.05"), ("Coupon 满30减5", "-¥5.00"), (f"  {COUPON_A}", ""),
                          ("Total", "¥33.94")]
    advised = _items(receipt.sale_lines(receipt.advised_sale_figures(_request(), answer)))
    assert advised[3:6] == [("Member discount", "-¥2.05"), ("Coupon CASH-5", "-¥5.00"), (f"  {COUPON_A}", "")]


def test_a_checkout_refuses_an_unusable_coupon_naming_it():
    with pytest.raises(PricingRefused) as refused:
        price(_coupon_input(_request(coupon_codes=[COUPON_A, COUPON_B]), _held(COUPON_A, "CASH-5"),
                            _held(COUPON_B, "TEA-HOUR")))
    assert str(refused.value) == (f"coupon_codes[1]: coupon {COUPON_B} cannot be used at this hour "
                                  "(only from 15:00 to 17:00)")


# ---- the quote ---------------------------------------------------------------------------------------

def test_a_quote_leaves_out_what_the_checkout_would_refuse_and_says_why():
    request = _request(coupon_codes=[COUPON_A, COUPON_B])
    result = quote(_coupon_input(request, _held(COUPON_A, "CASH-5"), _held(COUPON_B, "TEA-HOUR")), not_found=["98800000000000022"])
    assert [(r.coupon_code, r.reason) for r in result.rejected] == [
        ("98800000000000022", NOT_FOUND_REASON), (COUPON_B, "cannot be used at this hour (only from 15:00 to 17:00)")]
    alone = price(_coupon_input(_request(coupon_codes=[COUPON_A]), _held(COUPON_A, "CASH-5")))
    assert result.plan.total_due_fen == alone.total_due_fen == 3_394 and result.plan.tenders == ()
    answer = quote_response(result, balances=common_pb2.Balances(principal_fen=100_000))
    assert (answer.subtotal_fen, answer.discount_fen, answer.total_due_fen, answer.points_earned) == (
        4_099, 705, 3_394, alone.points_earned)
    assert [c.coupon_code for c in answer.coupons] == [COUPON_A] and answer.balances.principal_fen == 100_000
    assert [(r.coupon_code, r.reason) for r in answer.rejected_coupons][1] == (
        COUPON_B, "cannot be used at this hour (only from 15:00 to 17:00)")
    assert [line.coupon_discount_fen for line in answer.lines] == [378, 122] and not answer.tenders


def test_a_quote_for_a_non_member_reads_its_request():
    request = transactions_pb2.QuoteCheckoutRequest(store_id="S-E-001", lines=_request().lines, coupon_codes=[COUPON_A])
    fields = quote_fields(request)
    assert (fields.card_number, fields.coupon_codes) == ("", (COUPON_A,))
    coupon = _held(COUPON_A, "CASH-5")
    result = quote(pricing_input(fields, _coupon_snapshot(), store_id="S-E-001", local_time=NOON, level_code="",
                                 stored_value=StoredValue(0, 0), points_balance=0, coupons=[coupon]))
    assert [(r.coupon_code, r.reason) for r in result.rejected] == [
        (COUPON_A, "can only be used with the member card holding it")]
    assert (result.plan.total_due_fen, result.plan.points_earned, result.plan.max_points_redeemable) == (4_099, 0, 0)
    with pytest.raises(InvalidArgument) as bad:
        quote_fields(transactions_pb2.QuoteCheckoutRequest(card_number="12", lines=_request().lines))
    assert bad.value.field == "card_number"
