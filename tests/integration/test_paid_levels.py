"""Paid levels (L2, docs/adr/0027 "Paid levels") on a real region: BuyLevel paid in cash and by
stored value moves the card at once (events, audit, receipt), exactly once per request id; each
refusal is precise and writes nothing; the nightly review keeps a bought level for its paid
validity and moves it down after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from chaincard.db.base import utc_now
from chaincard.errors import ChainCardError, FailedPrecondition, NotFound
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, common_pb2, program_config_pb2_grpc
from chaincard.v1 import program_config_pb2 as pc
from region_service.handlers import buy_level
from region_service.levels import review_levels
from tests.support.cards import DEADLINE, funded_card

# Levels of this test only, ranked above every other test's: no other card reaches them.
LOW = pc.Level(code="LV-P-LOW", name="Paid low", rank=30, points_multiplier_bp=10_000)
MID = pc.Level(code="LV-P-MID", name="Paid mid", rank=31, points_multiplier_bp=10_000, price_fen=10_000, paid_validity_days=30)
TOP = pc.Level(code="LV-P-TOP", name="Paid top", rank=32, points_multiplier_bp=10_000, price_fen=50_000)
# MID is kept only by a points balance no card has: without its paid validity, the review moves it down.
MID_RULE = pc.LevelRule(level_code="LV-P-MID", name="Kept by points", upgrade_points_balance=999_999_999,
                        keep_points_balance=999_999_999, grace_days=1, downgrade_to_level_code="LV-P-LOW", active=True)


@pytest.fixture(scope="module")
def programme(regions):  # type: ignore[no-untyped-def]
    program = program_config_pb2_grpc.ProgramConfigServiceStub(open_channel(regions.hq_endpoint))
    for level in (LOW, MID, TOP):
        program.UpsertLevel(pc.UpsertLevelRequest(request_id=new_id(), level=level), timeout=DEADLINE)
    program.UpsertLevelRule(pc.UpsertLevelRuleRequest(request_id=new_id(), level_rule=MID_RULE), timeout=DEADLINE)


@pytest.fixture
def ctx(region_context, programme):  # type: ignore[no-untyped-def]
    region_context.program.snapshot(force=True)  # this process's handlers see the levels at once
    return region_context


def _buy(card: str, level: str, **fields) -> cards_pb2.BuyLevelRequest:  # type: ignore[no-untyped-def]
    return cards_pb2.BuyLevelRequest(**{"request_id": new_id(), "store_id": "S-E-001", "card_number": card, "level_code": level,
                                        "operator_id": "C-E-001", **fields})


def _written(ctx, card: str) -> tuple[str, int, int, int]:  # type: ignore[no-untyped-def]
    """The card's level, its LEVEL_PURCHASE transactions, 'card.buy_level' audit entries and level events."""
    with ctx.session_factory() as session:
        level = session.execute(text("SELECT level_code FROM cards WHERE card_number = :c"), {"c": card}).scalar_one()
        sales = session.execute(text("SELECT count(*) FROM ledger_transactions WHERE card_number = :c AND type = 'LEVEL_PURCHASE'"),
                                {"c": card}).scalar_one()
        audited = session.execute(text("SELECT count(*) FROM audit_log WHERE target_id = :c AND action = 'card.buy_level'"),
                                  {"c": card}).scalar_one()
        events = session.execute(text("SELECT count(*) FROM outbox WHERE message_key = :c AND event_type IN "
                                      "('chaincard.v1.CardLevelChanged', 'chaincard.v1.MemberLevelChanged')"), {"c": card}).scalar_one()
    return level, sales, audited, events


def test_hq_refuses_negative_prices_and_validity_naming_the_field(regions, programme):  # type: ignore[no-untyped-def]
    import grpc

    from tests.support.cards import assert_refused
    program = program_config_pb2_grpc.ProgramConfigServiceStub(open_channel(regions.hq_endpoint))
    for field in ("price_fen", "paid_validity_days"):
        level = pc.Level(code="LV-P-BAD", name="Bad", rank=33, points_multiplier_bp=10_000, **{field: -1})
        assert_refused(program.UpsertLevel, pc.UpsertLevelRequest(request_id=new_id(), level=level),
                       grpc.StatusCode.INVALID_ARGUMENT, f"level.{field}")


def test_buying_a_level_for_cash_moves_the_card_at_once_exactly_once(regions, ctx):  # type: ignore[no-untyped-def]
    card = funded_card(regions.clients["E"], 0)
    request = _buy(card, "LV-P-MID")
    answer = ctx.commands.run(buy_level.buy_level, request)
    assert (answer.previous_level_code, answer.level_code, answer.amount_fen) == ("NORMAL", "LV-P-MID", 10_000)
    assert answer.transaction.type == common_pb2.TRANSACTION_TYPE_LEVEL_PURCHASE
    assert answer.HasField("paid_until")
    assert any("Level bought" in line.text for line in answer.receipt)
    assert ctx.commands.run(buy_level.buy_level, request) == answer  # a retry: the same answer, once
    assert _written(ctx, card) == ("LV-P-MID", 1, 1, 2)  # CardLevelChanged + MemberLevelChanged


def test_buying_a_level_with_stored_value_pays_from_the_card(regions, ctx):  # type: ignore[no-untyped-def]
    card = funded_card(regions.clients["E"], 80_000)
    answer = ctx.commands.run(buy_level.buy_level, _buy(card, "LV-P-TOP", tender=common_pb2.TENDER_TYPE_STORED_VALUE))
    before = answer.balances_after.principal_fen + answer.balances_after.bonus_fen + 50_000
    assert before >= 80_000 and answer.level_code == "LV-P-TOP" and not answer.HasField("paid_until")
    with ctx.session_factory() as session:
        principal, bonus = session.execute(text(
            "SELECT principal_delta_fen, bonus_delta_fen FROM ledger_transactions WHERE transaction_id = :t"),
            {"t": answer.transaction.transaction_id}).one()
    assert principal + bonus == -50_000
    assert _written(ctx, card) == ("LV-P-TOP", 1, 1, 2)


@pytest.mark.parametrize(("level", "error", "match"), [
    ("LV-P-LOW", FailedPrecondition, "price_fen"),
    ("NO-SUCH", NotFound, "NO-SUCH"),
])
def test_a_level_not_for_sale_or_unknown_is_refused_writing_nothing(regions, ctx, level, error, match):  # type: ignore[no-untyped-def]
    card = funded_card(regions.clients["E"], 0)
    with pytest.raises(error, match=match):
        ctx.commands.run(buy_level.buy_level, _buy(card, level))
    assert _written(ctx, card) == ("NORMAL", 0, 0, 0)


def test_a_level_not_above_the_cards_and_an_unusable_card_are_refused(regions, ctx):  # type: ignore[no-untyped-def]
    card = funded_card(regions.clients["E"], 0)
    ctx.commands.run(buy_level.buy_level, _buy(card, "LV-P-TOP"))
    with pytest.raises(FailedPrecondition, match="not ranked above"):
        ctx.commands.run(buy_level.buy_level, _buy(card, "LV-P-MID"))
    assert _written(ctx, card) == ("LV-P-TOP", 1, 1, 2)
    frozen = funded_card(regions.clients["E"], 0)
    with ctx.session_factory.begin() as session:
        session.execute(text("UPDATE cards SET state = 'FROZEN' WHERE card_number = :c"), {"c": frozen})
    with pytest.raises(ChainCardError):
        ctx.commands.run(buy_level.buy_level, _buy(frozen, "LV-P-MID"))
    assert _written(ctx, frozen) == ("NORMAL", 0, 0, 0)


def test_the_review_keeps_a_bought_level_for_its_paid_validity_then_moves_it_down(regions, ctx):  # type: ignore[no-untyped-def]
    card = funded_card(regions.clients["E"], 0)
    ctx.commands.run(buy_level.buy_level, _buy(card, "LV-P-MID"))
    review_levels(ctx, now=utc_now() + timedelta(days=10))  # past the grace, within the 30 paid days
    assert _written(ctx, card)[0] == "LV-P-MID"
    review_levels(ctx, now=utc_now() + timedelta(days=31))
    assert _written(ctx, card)[0] == "LV-P-LOW"
