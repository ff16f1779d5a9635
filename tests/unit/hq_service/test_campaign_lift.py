"""The campaign report's lift (docs/adr/0055), computed by hand."""

from __future__ import annotations

from fractions import Fraction

from hq_service.campaign_report import Lift, lift, round_half_away


def test_lift_is_the_relative_difference_of_revenue_per_member_in_basis_points() -> None:
    # 8 targeted members spent ¥120.00 in all (¥15.00 each); 2 control members ¥20.00 (¥10.00 each):
    # (1500 − 1000) / 1000 = +50% = 5000 basis points.
    assert lift(12_000, 8, 2_000, 2) == Lift(1_500, 1_000, 5_000, True)


def test_a_negative_lift_and_rounding_of_thirds() -> None:
    # 3 targeted: 1000 fen → 333.33… each; 1 control: 500 each. (333.33 − 500) / 500 = −33.333…% → −3333 bp.
    assert lift(1_000, 3, 500, 1) == Lift(333, 500, -3_333, True)
    # 2 of 3: 666.67 → 667 fen each; lift (666.67 − 500)/500 = +33.333…% → 3333.
    assert lift(2_000, 3, 500, 1) == Lift(667, 500, 3_333, True)


def test_no_control_group_or_a_control_group_that_spent_nothing_has_no_lift() -> None:
    assert lift(10_000, 10, 0, 0) == Lift(1_000, 0, 0, False)
    assert lift(10_000, 10, 0, 3) == Lift(1_000, 0, 0, False)
    assert lift(0, 0, 900, 3) == Lift(0, 300, 0, False)


def test_halves_round_away_from_zero() -> None:
    assert [round_half_away(Fraction(n, 2)) for n in (5, -5, 3, -3, 4)] == [3, -3, 2, -2, 2]
