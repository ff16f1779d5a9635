"""What of an invoiced line a credit note may still take (C6), to the fen: a region's payments cover
its own oldest lines, and only the part of a line no payment covers is creditable."""

from __future__ import annotations

import pytest

from hq_service.handlers.company_credits import line_left

LINES = [("j1:0", "E", 10_000), ("j1:1", "W", 8_000), ("j1:2", "E", 5_000), ("j2:0", "E", 7_000)]


@pytest.mark.parametrize(("paid", "left"), [
    ({}, {"j1:0": 10_000, "j1:1": 8_000, "j1:2": 5_000, "j2:0": 7_000}),
    ({"E": 10_000}, {"j1:0": 0, "j1:1": 8_000, "j1:2": 5_000, "j2:0": 7_000}),  # E's oldest line paid, W untouched
    ({"E": 10_001}, {"j1:0": 0, "j1:1": 8_000, "j1:2": 4_999, "j2:0": 7_000}),  # a fen of E's second line paid
    ({"E": 22_000, "W": 1}, {"j1:0": 0, "j1:1": 7_999, "j1:2": 0, "j2:0": 0}),
    ({"W": 8_000}, {"j1:0": 10_000, "j1:1": 0, "j1:2": 5_000, "j2:0": 7_000}),
])
def test_a_lines_creditable_part_is_what_no_payment_of_its_region_reaches(paid: dict[str, int], left: dict[str, int]) -> None:
    assert {key: line_left(LINES, paid, key) for key, _, _ in LINES} == left


def test_a_line_credited_in_full_or_unknown_has_nothing_left() -> None:
    # Lines are given as still invoiced (after their credits): one credited in full is not among them.
    assert line_left(LINES, {}, "j9:0") == 0
    # A partly credited line: only its invoiced rest counts, and payments still cover oldest first.
    partly = [("j1:0", "E", 4_000), ("j1:2", "E", 5_000)]
    assert (line_left(partly, {"E": 6_000}, "j1:0"), line_left(partly, {"E": 6_000}, "j1:2")) == (0, 3_000)
