"""Levels that move (L2, docs/adr/0027) on a real region: HQ's level rules validated naming the
field; a qualifying recharge upgrades the card in its own transaction (receipt, event, audit); the
nightly review moves a card below its keep threshold down once, run twice; ChangeCardLevel is
scoped to the card's franchisee, refused precisely, and audited."""

from __future__ import annotations

import time
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import text

from chaincard.db.base import utc_now
from chaincard.ids import new_id
from chaincard.local.demo_data import CARD_TYPES
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, program_config_pb2_grpc
from chaincard.v1 import program_config_pb2 as pc
from region_service.handlers import payments
from region_service.levels import review_levels
from tests.support.cards import DEADLINE, assert_refused, funded_card, recharge_card
from tests.support.points import CONFIG_MAX_AGE_SECONDS, sale

# Levels of this test only, ranked above the chain's: other cards never reach them.
LEVELS = [pc.Level(code="LV-SILVER", name="Test silver", rank=20, points_multiplier_bp=10_000),
          pc.Level(code="LV-GOLD", name="Test gold", rank=21, points_multiplier_bp=10_000)]
UPGRADE_RECHARGE_FEN = 888_800
KEEP_SPEND_FEN = 500_000
GOLD_RULE = pc.LevelRule(level_code="LV-GOLD", name="One ¥8,888 recharge", window_days=30,
                         upgrade_single_recharge_fen=UPGRADE_RECHARGE_FEN, keep_window_spend_fen=KEEP_SPEND_FEN, grace_days=2,
                         downgrade_to_level_code="LV-SILVER", active=True)
# 满额变会员 (L3): one sale of ¥7,777 makes a member of LV-SILVER.
MEMBERSHIP_SALE_FEN = 777_700
SILVER_RULE = pc.LevelRule(level_code="LV-SILVER", name="One ¥7,777 sale", upgrade_single_spend_fen=MEMBERSHIP_SALE_FEN, active=True)


def _program(regions):  # type: ignore[no-untyped-def]
    return program_config_pb2_grpc.ProgramConfigServiceStub(open_channel(regions.hq_endpoint))


@pytest.fixture(scope="module")
def programme(regions):  # type: ignore[no-untyped-def]
    program = _program(regions)
    for level in LEVELS:
        program.UpsertLevel(pc.UpsertLevelRequest(request_id=new_id(), level=level), timeout=DEADLINE)
    for rule in (GOLD_RULE, SILVER_RULE):
        program.UpsertLevelRule(pc.UpsertLevelRuleRequest(request_id=new_id(), level_rule=rule), timeout=DEADLINE)
    # This module's amounts lie above the named-card balance cap of ¥5,000 (V9, docs/adr/0038, tested
    # on its own): its chain's SV cards may hold up to ¥100,000.
    stored_value = pc.CardType()
    stored_value.CopyFrom(next(card_type for card_type in CARD_TYPES if card_type.code == "SV"))
    stored_value.balance_cap_fen = 10_000_000
    program.UpsertCardType(pc.UpsertCardTypeRequest(request_id=new_id(), card_type=stored_value), timeout=DEADLINE)
    time.sleep(CONFIG_MAX_AGE_SECONDS + 1)  # not an assertion: the servers' cache age, so they see the rules


@pytest.fixture
def ctx(region_context, programme):  # type: ignore[no-untyped-def]
    region_context.program.snapshot(force=True)
    return region_context


def _level(regions, card: str) -> str:  # type: ignore[no-untyped-def]
    return str(regions.clients["E"].cards.GetCard(cards_pb2.GetCardRequest(card_number=card), timeout=DEADLINE).card.level_code)


def _changes(ctx, card: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """The card's level audit entries (action, reason, level after), and as many CardLevelChanged events."""
    with ctx.session_factory() as session:
        audited = [(row.action, row.reason, row.after["level_code"]) for row in session.execute(text(
            "SELECT action, reason, after FROM audit_log WHERE target_id = :card AND action LIKE 'card.level.%' ORDER BY occurred_at"),
            {"card": card})]
        events = session.execute(text(
            "SELECT count(*) FROM outbox WHERE event_type = 'chaincard.v1.CardLevelChanged' AND message_key = :card"), {"card": card}).scalar_one()
    assert events == len(audited)
    return audited


def test_level_rules_are_validated_naming_the_field(regions, programme):  # type: ignore[no-untyped-def]
    program = _program(regions)
    bad = {
        "level_rule.level_code": pc.LevelRule(level_code="NO-SUCH", name="x", upgrade_points_balance=1),
        "level_rule.downgrade_to_level_code": pc.LevelRule(level_code="LV-SILVER", name="x", upgrade_points_balance=1,
                                                           downgrade_to_level_code="LV-GOLD"),
        "level_rule.window_days": pc.LevelRule(level_code="LV-GOLD", name="x", upgrade_window_spend_fen=1),
        "level_rule.upgrade_single_recharge_fen": pc.LevelRule(level_code="LV-GOLD", name="x", upgrade_single_recharge_fen=-1),
    }
    for field, rule in bad.items():
        assert_refused(program.UpsertLevelRule, pc.UpsertLevelRuleRequest(request_id=new_id(), level_rule=rule),
                       grpc.StatusCode.INVALID_ARGUMENT, field)
    snapshot = program.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=DEADLINE).snapshot
    assert list(snapshot.level_rules) == [GOLD_RULE, SILVER_RULE]


def test_a_qualifying_recharge_upgrades_the_card_at_once(regions, ctx):  # type: ignore[no-untyped-def]
    till = regions.clients["E"].transactions
    short = funded_card(regions.clients["E"], UPGRADE_RECHARGE_FEN - 1)
    assert _level(regions, short) == "NORMAL" and _changes(ctx, short) == []
    card = funded_card(regions.clients["E"], 0)
    answer = recharge_card(till, card, UPGRADE_RECHARGE_FEN)
    assert "Level upgraded to LV-GOLD" in [line.text for line in answer.receipt]
    assert _level(regions, card) == "LV-GOLD"
    assert _changes(ctx, card) == [("card.level.upgrade", "", "LV-GOLD")]
    # At the top already: a second qualifying recharge changes nothing.
    again = recharge_card(till, card, UPGRADE_RECHARGE_FEN)
    assert not any("Level upgraded" in line.text for line in again.receipt)
    assert len(_changes(ctx, card)) == 1


def test_a_qualifying_purchase_makes_a_member_of_the_level(regions, ctx):  # type: ignore[no-untyped-def]
    card = funded_card(regions.clients["E"], MEMBERSHIP_SALE_FEN)
    short = ctx.commands.run(payments.checkout, sale(card, MEMBERSHIP_SALE_FEN - 1))
    assert not any("Level upgraded" in line.text for line in short.receipt) and _level(regions, card) == "NORMAL"
    recharge_card(regions.clients["E"].transactions, card, MEMBERSHIP_SALE_FEN)
    answer = ctx.commands.run(payments.checkout, sale(card, MEMBERSHIP_SALE_FEN))
    assert "Level upgraded to LV-SILVER" in [line.text for line in answer.receipt]
    assert _level(regions, card) == "LV-SILVER"
    assert _changes(ctx, card) == [("card.level.upgrade", "", "LV-SILVER")]


def _upgraded_card(regions, ctx, days_ago: int) -> str:  # type: ignore[no-untyped-def]
    card = funded_card(regions.clients["E"], UPGRADE_RECHARGE_FEN)
    with ctx.session_factory.begin() as session:
        session.execute(text("UPDATE cards SET level_since = :when WHERE card_number = :card"),
                        {"when": utc_now() - timedelta(days=days_ago), "card": card})
    return card


def test_the_nightly_review_moves_a_card_down_once_when_run_twice(regions, ctx):  # type: ignore[no-untyped-def]
    idle = _upgraded_card(regions, ctx, days_ago=5)
    in_grace = _upgraded_card(regions, ctx, days_ago=1)
    spender = _upgraded_card(regions, ctx, days_ago=5)
    ctx.commands.run(payments.checkout, sale(spender, KEEP_SPEND_FEN))
    first = review_levels(ctx)
    assert first.cards_moved_down >= 1
    second = review_levels(ctx)
    assert second.cards_moved_down == 0
    assert _level(regions, idle) == "LV-SILVER"
    assert _changes(ctx, idle) == [("card.level.upgrade", "", "LV-GOLD"), ("card.level.review", "", "LV-SILVER")]
    assert _level(regions, in_grace) == "LV-GOLD" and len(_changes(ctx, in_grace)) == 1
    assert _level(regions, spender) == "LV-GOLD" and len(_changes(ctx, spender)) == 1


def test_change_card_level_is_scoped_to_the_cards_franchisee_and_audited(regions, ctx):  # type: ignore[no-untyped-def]
    cards = regions.clients["E"].cards
    card = funded_card(regions.clients["E"], 0)  # issued at S-E-001, franchisee F-HQ

    def change(**fields: str) -> cards_pb2.ChangeCardLevelRequest:
        return cards_pb2.ChangeCardLevelRequest(**{"request_id": new_id(), "store_id": "S-E-001", "card_number": card,
                                                   "operator_id": "SM-E-001", "level_code": "SILVER", "reason": "goodwill", **fields})

    # S-E-002 belongs to F-AURORA: not its card.
    assert_refused(cards.ChangeCardLevel, change(store_id="S-E-002"), grpc.StatusCode.PERMISSION_DENIED, "another franchisee")
    assert_refused(cards.ChangeCardLevel, change(level_code="NO-SUCH"), grpc.StatusCode.INVALID_ARGUMENT, "level_code")
    assert_refused(cards.ChangeCardLevel, change(reason=""), grpc.StatusCode.INVALID_ARGUMENT, "reason")
    assert_refused(cards.ChangeCardLevel, change(level_code="NORMAL"), grpc.StatusCode.FAILED_PRECONDITION, "already")
    assert _level(regions, card) == "NORMAL" and _changes(ctx, card) == []
    request = change()
    answer = cards.ChangeCardLevel(request, timeout=DEADLINE)
    assert answer.card.level_code == "SILVER"
    assert cards.ChangeCardLevel(request, timeout=DEADLINE) == answer  # a retry: the same answer, once
    assert _changes(ctx, card) == [("card.level.manual", "goodwill", "SILVER")]
    with ctx.session_factory() as session:
        actor, store = session.execute(text(
            "SELECT actor, store_id FROM audit_log WHERE target_id = :card AND action = 'card.level.manual'"), {"card": card}).one()
    assert (actor, store) == ("SM-E-001", "S-E-001")
