"""A campaign's lift (A4, docs/adr/0055): revenue per member of the targeted group against the
control group's, as pure integer arithmetic (fractions, rounded once at the end)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Lift:
    targeted_per_member_fen: int
    control_per_member_fen: int
    # (targeted per member − control per member) / control per member, in basis points.
    lift_basis_points: int
    # False without a control group, or when the control group spent nothing.
    defined: bool


def round_half_away(value: Fraction) -> int:
    """``value`` rounded to the nearest integer, halves away from zero (2.5 → 3, −2.5 → −3)."""
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


def per_member(revenue_fen: int, members: int) -> Fraction:
    return Fraction(revenue_fen, members) if members else Fraction(0)


def lift(targeted_revenue_fen: int, targeted: int, control_revenue_fen: int, control: int) -> Lift:
    """The lift of the targeted group over the control group, each group's revenue divided by its
    size. Undefined (0 basis points) when either group is empty or the control group's revenue is 0."""
    targeted_each = per_member(targeted_revenue_fen, targeted)
    control_each = per_member(control_revenue_fen, control)
    defined = targeted > 0 and control > 0 and control_revenue_fen != 0
    basis_points = round_half_away((targeted_each - control_each) / control_each * 10_000) if defined else 0
    return Lift(round_half_away(targeted_each), round_half_away(control_each), basis_points, defined)
