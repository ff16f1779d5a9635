"""Refunds and voids of a sale (V6), as cumulative allocations.

A refund is planned from the sale and how much of it was already refunded, never from the earlier
refunds' own roundings: every quantity of the sale has a cumulative target for "c fen of the sale
refunded so far", and a refund takes target(already + refund) − target(already). Each target only
grows with c and equals the whole quantity at c = total_due, so any sequence of partial refunds
never takes more than the sale gave and the last one restores it exactly.

Targets, with T = total_due_fen and c the cumulative refund:

- points earned to claw back and points redeemed to give back: round_half_up(q × c / T)
  (``split_proportionally``);
- each tender's amount: ``allocation.apportion(c, tender amounts)`` — round_half_up(amount × c / T)
  per tender, moved by a fen where needed so the tenders add up to c while staying monotone;
- a stored-value tender's bonus: round_half_up(bonus × A / amount), where A is that tender's own
  cumulative target; principal is the tender's share less the bonus share. Taking the bonus target
  against the tender's own refunded amount (not against c / T) is what keeps both principal and
  bonus steps from going negative.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaincard.money import split_proportionally
from chaincard.pricing.allocation import apportion
from chaincard.pricing.engine import AppliedTender, CheckoutPlan
from chaincard.pricing.errors import PricingError
from chaincard.pricing.terms import STORED_VALUE_KINDS

__all__ = ["RefundPlan", "SaleRecord", "plan_refund", "plan_void"]


@dataclass(frozen=True)
class SaleRecord:
    """What a sale took, as recorded: its tenders add up to total_due_fen, and each stored-value
    tender's principal and bonus add up to its amount."""

    total_due_fen: int
    tenders: tuple[AppliedTender, ...]
    points_earned: int = 0
    points_redeemed: int = 0

    def __post_init__(self) -> None:
        if self.total_due_fen < 0 or self.points_earned < 0 or self.points_redeemed < 0:
            raise ValueError("a sale's amounts and points are never negative")
        if sum(tender.amount_fen for tender in self.tenders) != self.total_due_fen:
            raise ValueError("the sale's tenders do not add up to its total due")
        for tender in self.tenders:
            if tender.amount_fen < 0 or tender.principal_fen < 0 or tender.bonus_fen < 0:
                raise ValueError("a tender's amounts are never negative")
            stored_value = tender.kind in STORED_VALUE_KINDS
            if stored_value and tender.principal_fen + tender.bonus_fen != tender.amount_fen:
                raise ValueError(f"{tender.kind} tender: principal and bonus do not add up to its amount")
            if not stored_value and (tender.principal_fen or tender.bonus_fen):
                raise ValueError(f"{tender.kind} tender: only stored value has principal and bonus")

    @classmethod
    def from_plan(cls, plan: CheckoutPlan) -> SaleRecord:
        return cls(plan.total_due_fen, plan.tenders, plan.points_earned, plan.points_redeemed)


@dataclass(frozen=True)
class RefundPlan:
    """What one refund gives back: ``tenders`` has one entry per tender of the sale, in the sale's
    order (an entry may be 0 when this refund takes nothing from that tender); points earned to take
    back; points redeemed to give back."""

    refund_fen: int
    tenders: tuple[AppliedTender, ...]
    points_clawback: int
    points_returned: int


def plan_refund(sale: SaleRecord, already_refunded_fen: int, refund_fen: int) -> RefundPlan:
    """Plan refunding ``refund_fen`` of ``sale`` after ``already_refunded_fen`` was refunded.

    ``refund_fen`` must be 1..(total_due − already refunded): otherwise INVALID_ARGUMENT on
    ``amount_fen``, or FAILED_PRECONDITION when nothing is left to refund. Rounding: half-up, in the
    cumulative targets described in the module docstring, and nowhere else.
    """
    total = sale.total_due_fen
    if not 0 <= already_refunded_fen <= total:
        raise ValueError(f"already refunded {already_refunded_fen} fen of a {total} fen sale")
    remaining = total - already_refunded_fen
    if remaining == 0:
        raise PricingError("amount_fen", f"nothing left to refund: all {total} fen were refunded", precondition=True)
    if not 1 <= refund_fen <= remaining:
        raise PricingError(
            "amount_fen",
            f"must be 1..{remaining} fen (the sale's {total} fen less {already_refunded_fen} fen "
            f"already refunded), not {refund_fen}",
        )
    before, after = already_refunded_fen, already_refunded_fen + refund_fen
    amounts = [tender.amount_fen for tender in sale.tenders]
    tenders_before, tenders_after = apportion(before, amounts), apportion(after, amounts)

    refunded: list[AppliedTender] = []
    for tender, was, now in zip(sale.tenders, tenders_before, tenders_after, strict=True):
        share = now - was
        principal = bonus = 0
        if tender.kind in STORED_VALUE_KINDS:
            bonus = split_proportionally(now, tender.bonus_fen, tender.amount_fen) - split_proportionally(
                was, tender.bonus_fen, tender.amount_fen
            )
            principal = share - bonus
        refunded.append(AppliedTender(tender.kind, share, principal, bonus, tender.card_number))

    def step(quantity: int) -> int:
        return split_proportionally(after, quantity, total) - split_proportionally(before, quantity, total)

    return RefundPlan(
        refund_fen=refund_fen,
        tenders=tuple(refunded),
        points_clawback=step(sale.points_earned),
        points_returned=step(sale.points_redeemed),
    )


def plan_void(sale: SaleRecord, already_refunded_fen: int = 0) -> RefundPlan:
    """A void: a refund of everything the sale has left.

    A sale whose whole bill was paid with points has nothing in fen to refund; voiding it gives
    back its points (the caller makes sure a sale is voided once).
    """
    if sale.total_due_fen == 0:
        return RefundPlan(refund_fen=0, tenders=(), points_clawback=sale.points_earned, points_returned=sale.points_redeemed)
    return plan_refund(sale, already_refunded_fen, sale.total_due_fen - already_refunded_fen)
