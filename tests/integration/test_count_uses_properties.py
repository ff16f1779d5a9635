"""Any sequence of count-card purchases (an item, a package, a time pass), uses, refunds, voids,
refunds and voids of the purchases themselves (docs/adr/0035), pack expiries and level changes (a manager's ChangeCardLevel, a recharge that qualifies for a level
rule) keeps the count uses sound (issue 14: "balances equal to postings"): every ledger
transaction balances, each card's packs hold its COUNT_USES balance, no count goes negative, a
time pass never goes past its daily cap, no purchase gives back more than it cost, the card's level is the one the last change set, and
every refusal is a precise, expected status."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, program_config_pb2_grpc, transactions_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service.context import RegionContext
from region_service.count_pack_expiry import expire_due_packs
from tests.support.cards import DEADLINE, funded_card, recharge_request
from tests.support.count_products import TIME_CARD, buy_package, set_products_programme
from tests.support.count_uses import purchase, wash_sale
from tests.support.ledger import assert_ledger_consistent
from tests.support.regions import region_context

EXPECTED_REFUSALS = {grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT}
MONTH_CAP = 2  # tests.support.count_products: MONTH.daily_cap_uses
# One recharge of ¥1,000 or more makes a card GOLD (the top of the chain's levels, so no manual
# change below lifts a card past it). Only this module's regions carry the rule.
UPGRADE_RECHARGE_FEN = 100_000
GOLD_RULE = pc.LevelRule(level_code="GOLD", name="One ¥1,000 recharge", upgrade_single_recharge_fen=UPGRADE_RECHARGE_FEN, active=True)

operation = st.one_of(
    st.tuples(st.just("buy"), st.sampled_from(["WASH", "MONTH", "SET"]), st.integers(1, 2)),
    st.tuples(st.just("use"), st.sampled_from(["WASH", "MONTH"]), st.integers(1, 3)),
    st.tuples(st.just("refund"), st.integers(1, 2)),
    st.tuples(st.just("void"), st.just(0)),
    # A purchase refunded (0: all that is unused; N: N of its WASH uses) or voided.
    st.tuples(st.just("refund-purchase"), st.integers(0, 3)),
    st.tuples(st.just("void-purchase"), st.just(0)),
    st.tuples(st.just("expire"), st.integers(1, 120)),
    st.tuples(st.just("level"), st.sampled_from(["NORMAL", "SILVER", "GOLD"])),
    st.tuples(st.just("recharge"), st.sampled_from([10_000, UPGRADE_RECHARGE_FEN])),
)


@pytest.fixture(scope="module")
def programme(regions):  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        program_config_pb2_grpc.ProgramConfigServiceStub(channel).UpsertLevelRule(
            pc.UpsertLevelRuleRequest(request_id=new_id(), level_rule=GOLD_RULE), timeout=DEADLINE)
    set_products_programme(regions)  # its one wait for the servers' config covers the rule too
    return regions


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(operation, min_size=4, max_size=14))
def test_random_count_use_sequences_keep_balances_equal_to_postings(programme, steps):  # type: ignore[no-untyped-def]
    east = programme.clients["E"]
    card = funded_card(east, 0, card_type=TIME_CARD)
    sales: list[str] = []
    purchases: list[str] = []
    with region_context(programme) as ctx:  # one database pool per example (the server's connections are shared)
        _run(east, ctx, card, steps, sales, purchases)
    assert_ledger_consistent(programme.database_urls["E"])
    engine = create_engine(programme.database_urls["E"])
    try:
        with engine.connect() as connection:
            days = connection.execute(text(
                "SELECT business_date, SUM(uses) FROM count_time_uses WHERE card_number = :card GROUP BY business_date"),
                {"card": card}).all()
            overpaid = connection.execute(text(
                "SELECT p.transaction_id, p.amount_fen, SUM(r.amount_fen) FROM ledger_transactions p "
                "JOIN ledger_transactions r ON r.original_transaction_id = p.transaction_id "
                "WHERE p.card_number = :card AND p.type = 'COUNT_USES_PURCHASE' "
                "GROUP BY p.transaction_id, p.amount_fen HAVING SUM(r.amount_fen) > p.amount_fen"), {"card": card}).all()
    finally:
        engine.dispose()
    assert all(0 <= used <= MONTH_CAP for _, used in days), days
    assert not overpaid, f"purchases that gave back more than they cost: {overpaid}"


def _run(east, ctx: RegionContext, card: str, steps, sales: list[str], purchases: list[str]) -> None:  # type: ignore[no-untyped-def]
    level = "NORMAL"  # what the card's level must be: the last change's
    for step in steps:
        kind = step[0]
        try:
            if kind == "buy":
                _, what, packs = step
                request = buy_package(card, what, packs) if what == "SET" else purchase(card, what, packs)
                purchases.append(east.transactions.PurchaseCountUses(request, timeout=10).transaction.transaction_id)
            elif kind == "use":
                _, item, uses = step
                sales.append(east.transactions.Checkout(wash_sale(card, uses, item=item), timeout=10).transaction.transaction_id)
            elif kind in ("refund", "void") and sales:
                sale_id = random.choice(sales)
                if kind == "refund":
                    east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
                        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=sale_id,
                        lines=[transactions_pb2.RefundLine(sku="WASH-1", quantity=step[1])], reason="property"), timeout=10)
                else:
                    east.transactions.VoidSale(transactions_pb2.VoidSaleRequest(
                        request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=sale_id,
                        reason="property"), timeout=10)
            elif kind == "refund-purchase" and purchases:
                east.transactions.RefundSale(transactions_pb2.RefundSaleRequest(
                    request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=random.choice(purchases),
                    lines=[transactions_pb2.RefundLine(sku="WASH", quantity=step[1])] if step[1] else [],
                    reason="property"), timeout=10)
            elif kind == "void-purchase" and purchases:
                east.transactions.VoidSale(transactions_pb2.VoidSaleRequest(
                    request_id=new_id(), store_id="S-E-001", card_number=card, original_transaction_id=random.choice(purchases),
                    reason="property"), timeout=10)
            elif kind == "expire":
                expire_due_packs(ctx, now=datetime.now(UTC) + timedelta(days=step[1]))
            elif kind == "level":
                level = _change_level(east, card, level, step[1])
            elif kind == "recharge":
                east.transactions.RechargeCard(recharge_request(card, step[1]), timeout=DEADLINE)
                level = "GOLD" if step[1] >= UPGRADE_RECHARGE_FEN else level
        except grpc.RpcError as error:
            assert error.code() in EXPECTED_REFUSALS, f"{step}: {error.code().name} {error.details()}"
        held = east.cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=DEADLINE).card.level_code
        assert held == level, f"after {step}: level {held}, expected {level}"


def _change_level(east, card: str, level: str, target: str) -> str:  # type: ignore[no-untyped-def]
    """A store manager's ChangeCardLevel (L4) to ``target``; the card's level after. The same level
    again is refused, and changes nothing."""
    request = cards_pb2.ChangeCardLevelRequest(request_id=new_id(), store_id="S-E-001", card_number=card, operator_id="SM-E-001",
                                               level_code=target, reason="property")
    try:
        changed = east.cards.ChangeCardLevel(request, timeout=DEADLINE).card.level_code
    except grpc.RpcError as error:
        assert (error.code(), target) == (grpc.StatusCode.FAILED_PRECONDITION, level), f"{target}: {error.code().name} {error.details()}"
        return level
    assert changed == target != level
    return target
