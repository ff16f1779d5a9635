"""RedeemPoints (P2) on real regions: each kind of offer, precise refusals that write nothing,
retries answered once, gift stock taken once in the store's region (also for a card homed in the
other region, and put back when that region refuses)."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import create_engine, text

from chaincard.errors import ChainCardError, FailedPrecondition, InvalidArgument
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import common_pb2, program_config_pb2_grpc
from chaincard.v1 import program_config_pb2 as pc
from region_service.gifts import gift_stock, set_gift_stock
from region_service.handlers import payments, points, redemption, refunds
from tests.support.cards import funded_card, refusal
from tests.support.ledger import assert_ledger_consistent
from tests.support.points import (
    adjust,
    assert_lots_hold_the_balance,
    points_balance,
    redeem,
    refund_all,
    sale,
    set_points_programme,
)


@pytest.fixture(scope="module")
def programme(regions):  # type: ignore[no-untyped-def]
    set_points_programme(regions)


@pytest.fixture
def ctx(region_context, programme):  # type: ignore[no-untyped-def]
    region_context.program.snapshot(force=True)
    return region_context


def _card_with_points(regions, ctx, amount: int, region: str = "E"):  # type: ignore[no-untyped-def]
    store = "S-E-001" if region == "E" else "S-W-001"
    card = funded_card(regions.clients[region], 10_000, store)
    regions.clients[region].transactions.AdjustPoints(adjust(card, amount, store), timeout=10)
    return card


def _redemptions(database_url: str, card: str) -> list[tuple[str, int, int]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(
                "SELECT request_id, points_delta, bonus_delta_fen FROM ledger_transactions "
                "WHERE card_number = :card AND type = 'POINTS_REDEMPTION'"), {"card": card})]
    finally:
        engine.dispose()


def test_points_for_stored_value_credit_bonus_once_however_often_retried(regions, ctx):
    card = _card_with_points(regions, ctx, 450)
    request = redeem(card, "SV-10", 3)
    first = ctx.commands.run(redemption.redeem_points, request)
    again = ctx.commands.run(redemption.redeem_points, request)
    assert first == again
    assert (first.points_spent, first.bonus_credited_fen) == (300, 3_000)
    assert first.transaction.type == common_pb2.TRANSACTION_TYPE_POINTS_REDEMPTION
    assert (first.balances_after.points, first.balances_after.bonus_fen) == (150, 3_000)
    assert _redemptions(regions.database_urls["E"], card) == [(request.request_id, -300, 3_000)]
    assert any("Bonus credited" in line.text for line in first.receipt)
    assert_lots_hold_the_balance(ctx, card)
    assert_ledger_consistent(regions.database_urls["E"])


def test_points_for_coupons_issue_one_per_unit_once(regions, ctx):
    card = _card_with_points(regions, ctx, 200)
    request = redeem(card, "COUPON-5", 2)
    answer = ctx.commands.run(redemption.redeem_points, request)
    assert answer.points_spent == 160 and len(answer.coupons_issued) == 2
    assert {coupon.template_code for coupon in answer.coupons_issued} == {"PTS-CASH-5"}
    assert ctx.commands.run(redemption.redeem_points, request) == answer
    engine = create_engine(regions.database_urls["E"])
    try:
        with engine.connect() as connection:
            held = connection.execute(text("SELECT COUNT(*) FROM coupons WHERE card_number = :card"), {"card": card}).scalar_one()
    finally:
        engine.dispose()
    assert held == 2 and points_balance(ctx, card) == 40
    assert_lots_hold_the_balance(ctx, card)


def test_a_gift_leaves_the_stores_stock_once_and_is_refused_when_none_is_left(regions, ctx):
    set_gift_stock(ctx, store_id="S-E-001", sku="UMBRELLA-01", quantity=1, operator_id="SM-TEST")
    card = _card_with_points(regions, ctx, 1_000)
    request = redeem(card, "GIFT-UMBRELLA")
    answer = ctx.commands.run(redemption.redeem_points, request)
    assert (answer.gift_sku, answer.points_spent, answer.balances_after.points) == ("UMBRELLA-01", 300, 700)
    assert ctx.commands.run(redemption.redeem_points, request) == answer  # a retry hands over nothing more
    with ctx.session_factory() as session:
        assert gift_stock(session, "S-E-001", "UMBRELLA-01") == 0
    with pytest.raises(FailedPrecondition, match="S-E-001 has 0 of gift UMBRELLA-01 left"):
        ctx.commands.run(redemption.redeem_points, redeem(card, "GIFT-UMBRELLA"))
    assert points_balance(ctx, card) == 700
    assert len(_redemptions(regions.database_urls["E"], card)) == 1


@pytest.mark.parametrize(("rule", "quantity", "error", "text_"), [
    ("COUNT-WASH", 1, FailedPrecondition, "card type SV carries no count uses"),
    ("SV-OFF", 1, FailedPrecondition, "SV-OFF is switched off"),
    ("SV-E2", 1, FailedPrecondition, "SV-E2 is not redeemable at store S-E-001"),
    ("NO-SUCH", 1, InvalidArgument, "rule_code"),
    ("", 1, InvalidArgument, "rule_code"),
    ("SV-10", 0, InvalidArgument, "quantity"),
    ("SV-10", -2, InvalidArgument, "quantity"),
    ("SV-10", 5, FailedPrecondition, "has 200 points to spend; 5 × SV-10 needs 500"),
])
def test_refusals_are_precise_and_write_nothing(regions, ctx, rule, quantity, error, text_):
    card = _card_with_points(regions, ctx, 200)
    with pytest.raises(error, match=text_):
        ctx.commands.run(redemption.redeem_points, redeem(card, rule, quantity))
    assert points_balance(ctx, card) == 200 and _redemptions(regions.database_urls["E"], card) == []


def test_points_the_card_owes_cannot_be_spent(regions, ctx):
    card = funded_card(regions.clients["E"], 100_000)
    bought = ctx.commands.run(payments.checkout, sale(card, 20_000))  # earns 200 points
    ctx.commands.run(redemption.redeem_points, redeem(card, "SV-10", 2))  # spends them
    refunded = ctx.commands.run(refunds.refund_sale, refund_all(bought))  # cannot claw them back: owed
    assert refunded.transaction.balances_after.points_owed == 200
    ctx.commands.run(points.adjust_points, adjust(card, 250))  # not collected by an adjustment
    with pytest.raises(FailedPrecondition, match=r"has 50 points to spend \(it owes 200\)"):
        ctx.commands.run(redemption.redeem_points, redeem(card, "SV-10"))
    assert_lots_hold_the_balance(ctx, card)


def test_a_gift_for_a_card_of_the_other_region_leaves_this_regions_store_and_comes_back_if_refused(regions, ctx):
    set_gift_stock(ctx, store_id="S-E-001", sku="UMBRELLA-01", quantity=2, operator_id="SM-TEST")
    west_card = _card_with_points(regions, ctx, 400, region="W")
    east = regions.clients["E"].transactions
    answer = east.RedeemPoints(redeem(west_card, "GIFT-UMBRELLA"), timeout=10)
    assert answer.transaction.home_region == "W" and answer.balances_after.points == 100
    with ctx.session_factory() as session:
        assert gift_stock(session, "S-E-001", "UMBRELLA-01") == 1
    refused = refusal(east.RedeemPoints, redeem(west_card, "GIFT-UMBRELLA"))  # 100 points left: W refuses
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION and "has 100 points to spend" in refused.details()
    with ctx.session_factory() as session:
        assert gift_stock(session, "S-E-001", "UMBRELLA-01") == 1  # put back
    assert len(_redemptions(regions.database_urls["W"], west_card)) == 1
    assert_ledger_consistent(regions.database_urls["W"])


def test_a_gift_of_another_regions_store_is_not_taken_here(regions, ctx):
    west_card = _card_with_points(regions, ctx, 400, region="W")
    with pytest.raises(ChainCardError, match="kept by its own region W"):
        redemption.take_gift_then_forward(ctx, redeem(west_card, "GIFT-UMBRELLA", store_id="S-W-001"), lambda: None)


def test_points_adjusted_through_the_handler_keep_their_lots(regions, ctx):
    card = _card_with_points(regions, ctx, 10)
    ctx.commands.run(points.adjust_points, adjust(card, -10))
    assert points_balance(ctx, card) == 0
    assert_lots_hold_the_balance(ctx, card)


def test_a_manager_sets_gift_stock_and_expires_points_from_the_command_line(regions, ctx, capsys):
    from chaincard.cli import main

    where = ["--database-url", regions.database_urls["E"], "--hq", regions.hq_endpoint]
    assert main(["region", "gift-stock", "--code", "E", "--store", "S-E-002", "--sku", "KITE-01", "--quantity", "7",
                 "--operator", "SM-TEST", *where]) == 0
    assert "gift KITE-01 stock 0 → 7" in capsys.readouterr().out
    with ctx.session_factory() as session:
        assert gift_stock(session, "S-E-002", "KITE-01") == 7
    assert main(["region", "gift-stock", "--code", "E", "--store", "S-W-001", "--sku", "KITE-01", "--quantity", "7", *where]) == 1
    assert "kept by its own region W" in capsys.readouterr().err
    assert main(["region", "points", "remind", "--code", "E", *where]) == 0
    assert "points expiry reminder(s) sent" in capsys.readouterr().out


@pytest.mark.parametrize(("request_", "field"), [
    (pc.UpsertPointsRedemptionRuleRequest(rule=pc.PointsRedemptionRule(
        code="BAD-SV", name="No value", kind=pc.POINTS_REDEMPTION_KIND_STORED_VALUE, points_cost=10)), "rule.stored_value_fen"),
    (pc.UpsertPointsRedemptionRuleRequest(rule=pc.PointsRedemptionRule(
        code="BAD-GIFT", name="No SKU", kind=pc.POINTS_REDEMPTION_KIND_GIFT, points_cost=10)), "rule.gift_sku"),
    (pc.UpsertPointsRedemptionRuleRequest(rule=pc.PointsRedemptionRule(
        code="BAD-COST", name="Free", kind=pc.POINTS_REDEMPTION_KIND_COUPON, coupon_template_code="PTS-CASH-5")),
     "rule.points_cost"),
    (pc.SetPointsExpiryPolicyRequest(policy=pc.PointsExpiryPolicy(rule=pc.POINTS_EXPIRY_RULE_DAYS_AFTER_EARNING)), "policy.days"),
    (pc.SetPointsExpiryPolicyRequest(policy=pc.PointsExpiryPolicy(rule=pc.POINTS_EXPIRY_RULE_NEVER, days=30)), "policy.days"),
])
def test_hq_refuses_points_offers_and_expiry_policies_it_could_not_honour_naming_the_field(regions, request_, field):
    request_.request_id = new_id()
    with open_channel(regions.hq_endpoint) as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        call = program.UpsertPointsRedemptionRule if isinstance(request_, pc.UpsertPointsRedemptionRuleRequest) \
            else program.SetPointsExpiryPolicy
        refused = refusal(call, request_)
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and field in refused.details()
