"""settlement.rules, pure: which flow a transaction moves, schedule selection, rounding once per
flow (half-up, symmetric for reversals), who pays the platform fee, and the zero-sum guard."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from settlement.rules import (
    ClearingGroup,
    CountUseGroup,
    CouponUse,
    FeeRates,
    Flow,
    FlowKind,
    LineFlow,
    MissingFeeSchedule,
    NettingError,
    assemble_statements,
    count_use_groups,
    coupon_uses,
    effective_rates,
    flow_kind_of,
    gross_of,
    lines_of,
    price_flow,
)
from settlement.runs import business_day_closed
from settlement.scheduler import default_nightly_at, due_business_day

RATES = FeeRates(date(2026, 1, 1), interchange_bp=150, collection_fee_bp=50, platform_fee_bp=20)


def test_flow_kinds():
    assert flow_kind_of("SPEND", None, -100, 0) is FlowKind.SPEND
    assert flow_kind_of("OFFLINE_ADVICE", None, -100, 0) is FlowKind.SPEND
    assert flow_kind_of("RECHARGE", None, 100, 10) is FlowKind.RECHARGE
    # A company's invoiced recharge (C6): the selling franchisee owes the card's issuer the principal alike.
    assert flow_kind_of("COMPANY_RECHARGE", None, 100, 0) is FlowKind.RECHARGE
    assert flow_kind_of("VOID", "RECHARGE", -100, -10) is FlowKind.RECHARGE
    assert flow_kind_of("VOID", "SPEND", 100, 0) is FlowKind.SPEND
    assert flow_kind_of("VOID", None, -100, 0) is FlowKind.RECHARGE  # original unknown: by the sign
    assert flow_kind_of("REFUND", None, 100, 0) is FlowKind.SPEND
    for reported in ("CARD_CLOSURE", "POINTS_ADJUSTMENT", "BALANCE_TRANSFER", "EXPIRY"):
        assert flow_kind_of(reported, None, -100, 0) is FlowKind.NONE


def test_a_purchase_paid_from_stored_value_is_a_spend_and_one_paid_otherwise_only_reported():
    # Uses or a level bought with the card's own stored value take the issuer's liability at the
    # store, as a sale does; bought with cash they move no stored value and are a memo item.
    for purchase in ("COUNT_USES_PURCHASE", "LEVEL_PURCHASE"):
        assert flow_kind_of(purchase, None, -100, -20) is FlowKind.SPEND
        assert flow_kind_of(purchase, None, 0, -20) is FlowKind.SPEND
        assert flow_kind_of(purchase, None, 0, 0) is FlowKind.NONE


def test_a_refund_or_void_of_a_purchase_follows_the_purchase():
    # Stored value back reverses the spend; a cash purchase's refund stays a memo item (docs/adr/0035).
    for reversal in ("REFUND", "VOID"):
        assert flow_kind_of(reversal, "COUNT_USES_PURCHASE", 70, 30) is FlowKind.SPEND
        assert gross_of(FlowKind.SPEND, 70, 30) == -100
        assert flow_kind_of(reversal, "COUNT_USES_PURCHASE", 0, 0) is FlowKind.NONE


def test_the_latest_schedule_on_or_before_the_day_applies():
    old = FeeRates(date(2026, 1, 1), 100, 50)
    new = FeeRates(date(2026, 6, 1), 150, 50, 20)
    assert effective_rates([new, old], date(2026, 5, 31)) == old
    assert effective_rates([new, old], date(2026, 6, 1)) == new
    assert effective_rates([new, old], date(2025, 12, 31)) is None


def test_fees_round_half_up_once_per_flow_and_reverse_symmetrically():
    spend = Flow("F-A", "F-B", "S-B", FlowKind.SPEND, None, 3, 27_250)
    priced = price_flow(spend, RATES, "F-HQ")
    assert (priced.counterparty_fee_fen, priced.platform_fee_fen, priced.receiver, priced.payer) == (409, 55, "F-B", "F-A")
    refund = price_flow(Flow("F-A", "F-B", "S-B", FlowKind.SPEND, None, 1, -27_250), RATES, "F-HQ")
    assert (refund.counterparty_fee_fen, refund.platform_fee_fen) == (-409, -55)
    (receiver, received), (payer, paid) = lines_of(priced)
    assert (receiver, received.flow, received.net_fen) == ("F-B", LineFlow.SPEND_ACQUIRED, 27_250 - 409 - 55)
    assert (payer, paid.flow, paid.net_fen) == ("F-A", LineFlow.SPEND_ISSUED, -(27_250 - 409))


def test_recharge_platform_fee_falls_on_the_issuer_and_never_on_hq():
    recharge = price_flow(Flow("F-A", "F-B", "S-B", FlowKind.RECHARGE, None, 1, 100_000), RATES, "F-HQ")
    assert (recharge.receiver, recharge.counterparty_fee_fen, recharge.platform_fee_fen) == ("F-A", 500, 200)
    to_hq = price_flow(Flow("F-HQ", "F-B", "S-B", FlowKind.RECHARGE, None, 1, 100_000), RATES, "F-HQ")
    assert to_hq.platform_fee_fen == 0


def _group(issuer, acquirer, store, kind, transaction_type, principal, bonus=0, original=None):
    return ClearingGroup(issuer, acquirer, store, kind, transaction_type, original, 1, principal, bonus)


def test_statements_net_to_zero_and_hq_gets_the_platform_fees():
    groups = [
        _group("F-A", "F-B", "S-B", FlowKind.SPEND, "SPEND", -10_000, -1_000),
        _group("F-B", "F-A", "S-A", FlowKind.RECHARGE, "RECHARGE", 50_000, 5_000),
        _group("F-A", "F-A", "S-A", FlowKind.SPEND, "SPEND", -7_000),  # within one franchisee: nothing
        _group("F-A", "F-B", "S-B", FlowKind.NONE, "CARD_CLOSURE", -300),  # reported only
    ]
    drafts = assemble_statements(groups, business_day=date(2026, 11, 20), rates_for=lambda _day: RATES,
                                 company_franchisee_id="F-HQ", franchisee_ids=["F-A", "F-B", "F-C"])
    assert sorted(drafts) == ["F-A", "F-B", "F-C", "F-HQ"]
    assert sum(d.net_fen for d in drafts.values()) == 0
    assert drafts["F-C"].lines == [] and drafts["F-C"].net_fen == 0
    assert drafts["F-HQ"].net_fen == 22 + 100  # 11,000 × 0.2% and 50,000 × 0.2%
    assert [m.item for m in drafts["F-B"].memo] == ["CARD_CLOSURE"]


def test_missing_schedule_and_broken_netting_are_refused(monkeypatch):
    groups = [_group("F-A", "F-B", "S-B", FlowKind.SPEND, "SPEND", -10_000)]
    with pytest.raises(MissingFeeSchedule):
        assemble_statements(groups, business_day=date(2026, 11, 20), rates_for=lambda _day: None, company_franchisee_id="F-HQ")
    import settlement.rules as rules

    real = rules.lines_of
    monkeypatch.setattr(rules, "lines_of", lambda priced: real(priced)[:1])  # a flow booked on one side only
    with pytest.raises(NettingError):
        assemble_statements(groups, business_day=date(2026, 11, 20), rates_for=lambda _day: RATES, company_franchisee_id="F-HQ")


def test_business_day_closes_at_the_next_cutoff_and_the_night_run_follows():
    day = date(2026, 11, 20)
    assert not business_day_closed(day, datetime(2026, 11, 20, 19, 59, tzinfo=UTC), "Asia/Shanghai", "04:00")
    assert business_day_closed(day, datetime(2026, 11, 20, 20, 0, tzinfo=UTC), "Asia/Shanghai", "04:00")  # 04:00 +08
    assert default_nightly_at("04:00") == "04:30"
    assert due_business_day(datetime(2026, 11, 20, 20, 29, tzinfo=UTC), "04:30", "Asia/Shanghai") == date(2026, 11, 19)
    assert due_business_day(datetime(2026, 11, 20, 20, 30, tzinfo=UTC), "04:30", "Asia/Shanghai") == day


COUPON_RATES = FeeRates(date(2026, 1, 1), interchange_bp=150, collection_fee_bp=50, platform_fee_bp=20, coupon_fee_bp=300)


def test_coupon_uses_take_their_sign_from_the_posting_type():
    sale = coupon_uses("SPEND", [("C1", "T-CASH", 1_000, "F-A"), ("C2", "T-PCT", 255, "F-B")])
    assert sale == [CouponUse("C1", "T-CASH", "F-A", 1_000), CouponUse("C2", "T-PCT", "F-B", 255)]
    # A refund restoring the coupons takes the discounts back, whichever sign the region wrote.
    assert [use.discount_fen for use in coupon_uses("REFUND", [("C1", "T", 1_000, "F-A"), ("C2", "T", -255, "F-B")])] == [-1_000, -255]
    assert [use.discount_fen for use in coupon_uses("VOID", [("C1", "T", 1_000, "F-A")])] == [-1_000]
    assert coupon_uses("OFFLINE_ADVICE", [("C1", "T", 500, "F-A"), ("C1", "T", 500, "F-A")]) == [CouponUse("C1", "T", "F-A", 1_000)]


def test_a_coupon_flow_has_the_cost_bearer_pay_the_store_less_the_coupon_fee():
    # F-A bears a 2,550 fen discount given at F-B's store: fee 2,550 × 3% = 76.5 → 77 (half up),
    # platform 2,550 × 0.2% = 5.1 → 5 charged to F-B (it receives). F-B gets 2,550 − 77 − 5 = 2,468;
    # F-A pays 2,550 − 77 = 2,473; HQ's fee income 5; 2,468 − 2,473 + 5 = 0.
    coupon = ClearingGroup("F-A", "F-B", "S-B", FlowKind.COUPON, "", None, 1, 0, 0, 0, 0, 2_550)
    same = ClearingGroup("F-B", "F-B", "S-B", FlowKind.COUPON, "", None, 1, 0, 0, 0, 0, 900)  # settles nothing
    drafts = assemble_statements([coupon, same], business_day=date(2026, 11, 20), rates_for=lambda _day: COUPON_RATES,
                                 company_franchisee_id="F-HQ", franchisee_ids=["F-A", "F-B", "F-HQ"])
    assert [(line.flow, line.counterparty_franchisee_id, line.gross_fen, line.counterparty_fee_fen, line.platform_fee_fen,
             line.net_fen) for line in drafts["F-B"].lines] == [(LineFlow.COUPON_ACQUIRED, "F-A", 2_550, 77, 5, 2_468)]
    assert [(line.flow, line.net_fen) for line in drafts["F-A"].lines] == [(LineFlow.COUPON_ISSUED, -2_473)]
    assert [(line.flow, line.net_fen) for line in drafts["F-HQ"].lines] == [(LineFlow.PLATFORM_FEE, 5)]
    assert drafts["F-A"].memo == drafts["F-B"].memo == []
    # Restored the same day, the flow is gone; restored later, it reverses symmetrically.
    restored = coupon._replace(coupon_fen=-2_550)
    assert price_flow(Flow("F-A", "F-B", "S-B", FlowKind.COUPON, None, 1, -2_550), COUPON_RATES, "F-HQ")[1:3] == (-77, -5)
    netted = assemble_statements([coupon, restored], business_day=date(2026, 11, 20), rates_for=lambda _day: COUPON_RATES,
                                 company_franchisee_id="F-HQ")
    assert [(line.gross_fen, line.net_fen) for line in netted["F-B"].lines] == [(0, 0)]


def test_coupon_lines_come_after_the_card_flows_and_before_hq_fees():
    groups = [
        ClearingGroup("F-A", "F-HQ", "S-H", FlowKind.COUPON, "", None, 1, 0, 0, 0, 0, 1_000),
        _group("F-A", "F-HQ", "S-H", FlowKind.SPEND, "SPEND", -5_000),
        ClearingGroup("F-HQ", "F-A", "S-A", FlowKind.COUPON, "", None, 1, 0, 0, 0, 0, 2_000),
    ]
    drafts = assemble_statements(groups, business_day=date(2026, 11, 20), rates_for=lambda _day: COUPON_RATES,
                                 company_franchisee_id="F-HQ")
    assert [line.flow for line in drafts["F-HQ"].lines] == [
        LineFlow.SPEND_ACQUIRED, LineFlow.COUPON_ACQUIRED, LineFlow.COUPON_ISSUED, LineFlow.PLATFORM_FEE]


COUNT_RATES = FeeRates(date(2026, 1, 1), interchange_bp=150, collection_fee_bp=50, platform_fee_bp=20, count_use_fee_bp=500)


def _uses(seller: str, acquirer: str, store: str, value: int) -> ClearingGroup:
    return ClearingGroup(seller, acquirer, store, FlowKind.COUNT_USES, "", None, 1, 0, 0, 0, 1, 0, value)


def test_count_use_groups_take_their_sign_from_the_posting_type():
    sale = count_use_groups("SPEND", [("WASH", 2, "F-A", 2_001), ("WASH", 1, "F-B", 714), ("WASH", 1, "F-A", 1_000)])
    assert sale == [CountUseGroup("WASH", "F-A", 3, 3_001), CountUseGroup("WASH", "F-B", 1, 714)]
    assert count_use_groups("VOID", [("WASH", 2, "F-A", 2_001)]) == [CountUseGroup("WASH", "F-A", -2, -2_001)]
    assert count_use_groups("REFUND", [("WASH", -1, "F-A", -714)]) == [CountUseGroup("WASH", "F-A", -1, -714)]


def test_a_count_use_flow_has_the_seller_pay_the_store_less_the_count_use_fee():
    # F-A sold uses worth 3,333 consumed at F-B's store: fee 3,333 × 5% = 166.65 → 167, platform
    # 3,333 × 0.2% = 6.666 → 7 charged to F-B. F-B gets 3,333 − 167 − 7 = 3,159; F-A pays 3,166;
    # HQ's income 7; 3,159 − 3,166 + 7 = 0. Uses sold by the store's own franchisee settle nothing.
    drafts = assemble_statements([_uses("F-A", "F-B", "S-B", 3_333), _uses("F-B", "F-B", "S-B", 999)],
                                 business_day=date(2026, 11, 26), rates_for=lambda _day: COUNT_RATES,
                                 company_franchisee_id="F-HQ", franchisee_ids=["F-A", "F-B", "F-HQ"])
    assert [(line.flow, line.counterparty_franchisee_id, line.gross_fen, line.counterparty_fee_fen, line.platform_fee_fen,
             line.net_fen) for line in drafts["F-B"].lines] == [(LineFlow.COUNT_USES_ACQUIRED, "F-A", 3_333, 167, 7, 3_159)]
    assert [(line.flow, line.net_fen) for line in drafts["F-A"].lines] == [(LineFlow.COUNT_USES_ISSUED, -3_166)]
    assert [(line.flow, line.net_fen) for line in drafts["F-HQ"].lines] == [(LineFlow.PLATFORM_FEE, 7)]
    assert drafts["F-A"].memo == drafts["F-B"].memo == []  # the seller's flow is not a card's memo
    # Returned later, it reverses symmetrically; HQ receiving pays no platform fee.
    assert price_flow(Flow("F-A", "F-B", "S-B", FlowKind.COUNT_USES, None, 1, -3_333), COUNT_RATES, "F-HQ")[1:3] == (-167, -7)
    assert price_flow(Flow("F-A", "F-HQ", "S-H", FlowKind.COUNT_USES, None, 1, 714), COUNT_RATES, "F-HQ")[1:3] == (36, 0)


def test_uses_of_a_free_pack_clear_at_zero():
    # Points redeemed for uses (docs/adr/0037): the pack is free, so its uses are worth 0. Consumed
    # at another franchisee's store they still appear (the uses), and move no money and no fee.
    drafts = assemble_statements([_uses("F-A", "F-B", "S-B", 0)], business_day=date(2026, 12, 3),
                                 rates_for=lambda _day: COUNT_RATES, company_franchisee_id="F-HQ",
                                 franchisee_ids=["F-A", "F-B", "F-HQ"])
    assert [(line.flow, line.gross_fen, line.counterparty_fee_fen, line.platform_fee_fen, line.net_fen)
            for line in drafts["F-B"].lines] == [(LineFlow.COUNT_USES_ACQUIRED, 0, 0, 0, 0)]
    assert [(line.flow, line.net_fen) for line in drafts["F-A"].lines] == [(LineFlow.COUNT_USES_ISSUED, 0)]
    assert all(draft.net_fen == 0 for draft in drafts.values())


def test_count_use_lines_come_after_the_coupon_lines_and_before_hq_fees():
    groups = [
        _uses("F-A", "F-HQ", "S-H", 1_000),
        ClearingGroup("F-A", "F-HQ", "S-H", FlowKind.COUPON, "", None, 1, 0, 0, 0, 0, 1_000),
        _uses("F-HQ", "F-A", "S-A", 2_000),
    ]
    drafts = assemble_statements(groups, business_day=date(2026, 11, 26), rates_for=lambda _day: COUNT_RATES,
                                 company_franchisee_id="F-HQ")
    assert [line.flow for line in drafts["F-HQ"].lines] == [
        LineFlow.COUPON_ACQUIRED, LineFlow.COUNT_USES_ACQUIRED, LineFlow.COUNT_USES_ISSUED, LineFlow.PLATFORM_FEE]
