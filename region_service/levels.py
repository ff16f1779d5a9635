"""Levels that move in the card's home region (L2, docs/adr/0027): the upgrade right after a
qualifying transaction (called by region_service.posting, in that transaction), the nightly
downgrade review (a periodic job and ``chaincard region levels review``), and the one way a level
is written (:func:`set_level`): the card row, its CardLevelChanged event and its audit entry, in the
caller's transaction. The rules themselves are chaincard.levels'."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.levels import (
    CardFacts,
    DailyTotals,
    has_keep_thresholds,
    longest_window,
    review_target,
    upgrade_target,
)
from chaincard.v1 import events_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service import audit
from region_service.context import RegionContext
from region_service.count_uses import DETAILS_PURCHASE_REFUND
from region_service.ledger_store import card_balances
from region_service.models import Card, LedgerTransaction, OutboxMessage
from region_service.repository import load_card
from region_service.translate import timestamp

log = logging.getLogger(__name__)

# The transactions that may qualify a card for a higher level.
QUALIFYING_TYPES = frozenset({"SPEND", "OFFLINE_ADVICE", "RECHARGE"})
# What counts as spend (a refund takes its amount back) and as recharge, per transaction type.
_SPEND_SIGN = {"SPEND": 1, "OFFLINE_ADVICE": 1, "REFUND": -1}
_RECHARGE_TYPES = ("RECHARGE",)
BATCH_SIZE = 200


def daily_totals(session: Session, card_number: str, first: date) -> list[DailyTotals]:
    """The card's spend and recharges per business date from ``first`` on (one indexed query)."""
    rows = session.execute(
        select(LedgerTransaction.business_date, LedgerTransaction.type, func.sum(LedgerTransaction.amount_fen))
        .where(LedgerTransaction.card_number == card_number, LedgerTransaction.business_date >= first,
               LedgerTransaction.type.in_([*_SPEND_SIGN, *_RECHARGE_TYPES]),
               # A refund of a count-use purchase takes back no spend: the purchase counted none (docs/adr/0035).
               LedgerTransaction.details[DETAILS_PURCHASE_REFUND].is_(None))
        .group_by(LedgerTransaction.business_date, LedgerTransaction.type)
    ).all()
    days: dict[date, DailyTotals] = {}
    for business_date, kind, amount in rows:
        day = days.get(business_date, DailyTotals(business_date))
        amount = int(amount)  # SUM of a BIGINT is NUMERIC in PostgreSQL: a Decimal
        if kind in _RECHARGE_TYPES:
            day = DailyTotals(business_date, day.spend_fen, day.recharge_fen + amount)
        else:
            day = DailyTotals(business_date, day.spend_fen + _SPEND_SIGN[kind] * amount, day.recharge_fen)
        days[business_date] = day
    return list(days.values())


def _facts(session: Session, card_number: str, rules: list[pc.LevelRule], today: date, points: int,
           single_recharge_fen: int = 0, single_spend_fen: int = 0) -> CardFacts:
    window = longest_window(rules)
    days = daily_totals(session, card_number, today - timedelta(days=window - 1)) if window else []
    return CardFacts(today=today, points=points, days=days, single_recharge_fen=single_recharge_fen,
                     single_spend_fen=single_spend_fen)


def set_level(ctx: RegionContext, session: Session, card: Card, level_code: str, *, cause: str, now: datetime,
              reason: str = "", operator_id: str = "", store_id: str = "", transaction_id: str = "",
              request_id: str = "", paid_until: date | None = None, action: str = "") -> None:
    """Move ``card`` (locked, or its accounts locked by the caller) to ``level_code``: the row, the
    CardLevelChanged event (HQ's card and member views follow it), for a member's card the
    MemberLevelChanged event HQ's notices follow, and the audit entry. ``paid_until``: for a bought
    level, the business date until which the review keeps it (any other change clears it);
    ``action``: the audit action, by default ``card.level.<cause>``."""
    previous = card.level_code
    card.level_code, card.level_since, card.level_paid_until = level_code, now, paid_until
    add_event(session, OutboxMessage, topic=topics.CARDS, key=card.card_number, producer=ctx.producer_name,
              payload=events_pb2.CardLevelChanged(
                  card_number=card.card_number, previous_level_code=previous, level_code=level_code, cause=cause,
                  reason=reason, operator_id=operator_id, store_id=store_id, transaction_id=transaction_id,
                  changed_at=timestamp(now)))
    if card.member_id:  # the member's notice (docs/adr/0034); a bearer card has no one to tell
        names = {level.code: level.name or level.code for level in ctx.program.snapshot().levels}
        add_event(session, OutboxMessage, topic=topics.CARDS, key=card.card_number, producer=ctx.producer_name,
                  payload=events_pb2.MemberLevelChanged(
                      card_number=card.card_number, member_id=card.member_id,
                      previous_level_name=names.get(previous, previous), level_name=names.get(level_code, level_code),
                      cause=cause, store_id=store_id, changed_at=timestamp(now)))
    audit.record(session, ctx, action=action or f"card.level.{cause}", target_type="card", target_id=card.card_number,
                 operator_id=operator_id, actor=None if operator_id else audit.SYSTEM, store_id=store_id,
                 franchisee_id=card.issuing_franchisee_id, request_id=request_id, reason=reason,
                 before={"level_code": previous}, after={"level_code": level_code, "transaction_id": transaction_id})


def rules_above(snapshot: pc.ConfigSnapshot, level_code: str) -> list[pc.LevelRule]:
    """The active level rules that could move a card of ``level_code`` up (none: no upgrade can
    follow a transaction of that card, and nothing need be read)."""
    ranks = {level.code: level.rank for level in snapshot.levels}
    floor = ranks.get(level_code, -1)
    return [rule for rule in snapshot.level_rules if rule.active and ranks.get(rule.level_code, -1) > floor]


def upgrade_after(ctx: RegionContext, session: Session, row: LedgerTransaction, points_after: int, *,
                  operator_id: str = "", request_id: str = "") -> str | None:
    """Apply the level rules after ``row`` was posted, in its transaction: the level the card moved up
    to, or None. Costs nothing without rules above the card's level; else one primary-key read and
    one indexed sum over the longest window."""
    if row.type not in QUALIFYING_TYPES:
        return None
    snapshot = ctx.program.snapshot()
    if not snapshot.level_rules:
        return None
    ranks = {level.code: level.rank for level in snapshot.levels}
    card = session.get(Card, row.card_number)
    if card is None:
        return None
    rules = rules_above(snapshot, card.level_code)
    if not rules:
        return None
    recharge = row.amount_fen if row.type == "RECHARGE" else 0
    facts = _facts(session, card.card_number, rules, row.business_date, points_after, recharge, row.amount_fen - recharge)
    target = upgrade_target(rules, ranks, card.level_code, facts)
    if target is None:
        return None
    set_level(ctx, session, card, target, cause="upgrade", now=row.created_at or utc_now(), operator_id=operator_id,
              store_id=row.store_id, transaction_id=row.transaction_id, request_id=request_id)
    return target


@dataclass(frozen=True)
class ReviewRun:
    cards_reviewed: int
    cards_moved_down: int


def review_card(ctx: RegionContext, card_number: str, snapshot: pc.ConfigSnapshot, now: datetime) -> bool:
    """Review one card in its own transaction, under its row lock; True when it moved down."""
    ranks = {level.code: level.rank for level in snapshot.levels}
    defaults = {card_type.code: card_type.default_level_code for card_type in snapshot.card_types}
    with ctx.session_factory.begin() as session:
        card = load_card(session, card_number, for_update=True)
        rules = [rule for rule in snapshot.level_rules if rule.active and rule.level_code == card.level_code]
        if not rules or card.state in ("CLOSED", "REPLACED"):
            return False
        today = ctx.store_business_day("", now)
        since = ctx.store_business_day("", card.level_since or card.opened_at)
        facts = _facts(session, card_number, rules, today, card_balances(session, card_number).points)
        target = review_target(rules, ranks, card.level_code, level_since=since, facts=facts,
                               default_level=defaults.get(card.card_type_code, ""), paid_until=card.level_paid_until)
        if target is None:
            return False
        set_level(ctx, session, card, target, cause="review", now=now, request_id=f"level-review:{card_number}:{today.isoformat()}")
        return True


def review_levels(ctx: RegionContext, *, now: datetime | None = None) -> ReviewRun:
    """The nightly downgrade review of every card at a level whose rule sets keep thresholds. A
    card moved today (up or down) is not reviewed again today: a second run changes nothing."""
    now = now or utc_now()
    snapshot = ctx.program.snapshot()
    levels = sorted({rule.level_code for rule in snapshot.level_rules if rule.active and has_keep_thresholds(rule)})
    reviewed = moved = 0
    last = ""
    while levels:
        with ctx.session_factory() as session:
            batch = list(session.execute(
                select(Card.card_number).where(Card.level_code.in_(levels), Card.card_number > last,
                                               Card.state.not_in(("CLOSED", "REPLACED")))
                .order_by(Card.card_number).limit(BATCH_SIZE)
            ).scalars())
        for card_number in batch:
            reviewed += 1
            moved += review_card(ctx, card_number, snapshot, now)
        if len(batch) < BATCH_SIZE:
            break
        last = batch[-1]
    if moved:
        log.info("level review: %d of %d card(s) moved down", moved, reviewed)
    return ReviewRun(reviewed, moved)


class NightlyReview:
    """The periodic job: one review per business day of the region (a restart reviews again, which
    changes nothing: see review_levels)."""

    def __init__(self, ctx: RegionContext) -> None:
        self.ctx = ctx
        self.reviewed_on: date | None = None

    def __call__(self) -> None:
        today = self.ctx.store_business_day("")
        if today != self.reviewed_on:
            review_levels(self.ctx)
            self.reviewed_on = today
