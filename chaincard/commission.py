"""Staff commission (C7, S2; docs/adr/0043): what a plan pays for one event, and what a refund or
void claws back. Pure integer arithmetic on fen, no I/O; HQ's nightly run feeds it.

Rounding: a rate plan pays ``floor(amount × rate_bp / 10000)`` fen per event (the staff member
never gets a fraction of a fen the chain did not earn). A clawback is proportional and cumulative:
after refunds totalling R of an event of amount A that earned C, ``floor(C × R / A)`` has been
clawed back in all, so a full refund, in one go or in parts, takes back exactly C.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from chaincard.v1 import program_config_pb2 as pc

BP_PER_UNIT = 10_000


@dataclass(frozen=True)
class CommissionEventFacts:
    """One event a plan may pay on: its kind (pc.CommissionEvent), amount, day, the card's level
    and the staff member's role (directory_pb2.StaffRole; 0 when HQ lists nobody)."""

    event: int
    amount_fen: int
    business_date: date
    level_code: str
    staff_role: int


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def applies(plan: pc.CommissionPlan, facts: CommissionEventFacts) -> bool:
    """Whether ``plan`` pays on the event: active, same kind, in its dates, level and role."""
    if not plan.active or plan.event != facts.event:
        return False
    start, end = _day(plan.valid_from_business_date), _day(plan.valid_until_business_date)
    if (start is not None and facts.business_date < start) or (end is not None and facts.business_date >= end):
        return False
    if plan.level_codes and facts.level_code not in plan.level_codes:
        return False
    return not plan.staff_roles or facts.staff_role in plan.staff_roles


def commission_fen(plan: pc.CommissionPlan, facts: CommissionEventFacts) -> int:
    """The plan's commission on the event, in fen (0 when it does not apply)."""
    if not applies(plan, facts):
        return 0
    if plan.fixed_fen:
        return plan.fixed_fen
    return max(facts.amount_fen, 0) * plan.rate_bp // BP_PER_UNIT


def earned(plans: Iterable[pc.CommissionPlan], facts: CommissionEventFacts) -> dict[str, int]:
    """Every applying plan's commission on the event, by plan code (plans add up)."""
    return {plan.code: amount for plan in plans if (amount := commission_fen(plan, facts)) or applies(plan, facts)}


def clawback_fen(earned_fen: int, original_amount_fen: int, refunded_before_fen: int, refunded_fen: int) -> int:
    """What a refund (or void) of ``refunded_fen`` takes back, as a negative number of fen, of an
    event of ``original_amount_fen`` that earned ``earned_fen``, after earlier refunds of it
    totalling ``refunded_before_fen``. Never more than was earned in all."""
    if original_amount_fen <= 0 or earned_fen == 0:
        return 0
    before = min(max(refunded_before_fen, 0), original_amount_fen)
    after = min(before + max(refunded_fen, 0), original_amount_fen)
    return -(earned_fen * after // original_amount_fen - earned_fen * before // original_amount_fen)
