"""The count-uses stage (K1): one use pays one unit of a line the item covers, lines in basket order;
a line partly covered pays floor(net × units / quantity); uses beyond the covered units are refused
naming the tender."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chaincard.pricing import (
    BasketLine,
    CheckoutInput,
    CountUseIntent,
    PricingError,
    SaleContext,
    TenderIntent,
    TenderKind,
    count_uses_stage,
    price_checkout,
)

ITEMS = {"WASH": frozenset({"WASH-1"}), "WAX": frozenset({"WAX-1"})}


def _sale(lines: list[BasketLine], intents: list[CountUseIntent], tenders: tuple[TenderIntent, ...]) -> CheckoutInput:
    return CheckoutInput(lines=lines, context=SaleContext(store_id="S-E-001", level_code="", local_time=datetime(2026, 12, 3, 10, tzinfo=UTC)),
                         card_number="881100000000018", tenders=tenders, count_uses_stage=count_uses_stage(intents, ITEMS))


def test_uses_pay_for_covered_units_in_basket_order_and_the_rest_is_paid_by_money():
    lines = [BasketLine("TEA-1", "Tea", "tea", 1, 1_000), BasketLine("WASH-1", "Wash", "service", 3, 1_000),
             BasketLine("WAX-1", "Wax", "service", 1, 2_500)]
    plan = price_checkout(_sale(lines, [CountUseIntent("tenders[0]", "WASH", 2), CountUseIntent("tenders[1]", "WAX", 1)],
                                (TenderIntent("COUNT_USES"), TenderIntent("COUNT_USES"), TenderIntent("CASH", 2_000))))
    assert [line.count_uses_fen for line in plan.lines] == [0, 2_000, 2_500]
    assert [(t.kind, t.amount_fen) for t in plan.tenders] == [(TenderKind.COUNT_USES, 4_500), (TenderKind.CASH, 2_000)]


def test_a_partly_covered_line_pays_the_floor_of_its_share():
    plan = price_checkout(_sale([BasketLine("WASH-1", "Wash", "service", 3, 1_001)], [CountUseIntent("tenders[0]", "WASH", 2)],
                                (TenderIntent("COUNT_USES"), TenderIntent("CASH", 0))))
    assert plan.lines[0].count_uses_fen == 2_002 and plan.total_due_fen == 3_003


def test_uses_beyond_the_covered_units_are_refused_naming_the_tender():
    with pytest.raises(PricingError) as refused:
        price_checkout(_sale([BasketLine("WASH-1", "Wash", "service", 1, 1_000)], [CountUseIntent("tenders[1]", "WASH", 2)],
                             (TenderIntent("CASH", 0), TenderIntent("COUNT_USES"))))
    assert refused.value.field == "tenders[1].uses"
