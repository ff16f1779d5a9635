"""Which invoiced lines a credit note may still take (C6): a region's payments cover its own oldest lines."""

from __future__ import annotations

import pytest

from hq_service.handlers.company_credits import line_unpaid

LINES = [("j1:0", "E", 10_000), ("j1:1", "W", 8_000), ("j1:2", "E", 5_000), ("j2:0", "E", 7_000)]


@pytest.mark.parametrize(("paid", "unpaid"), [
    ({}, {"j1:0", "j1:1", "j1:2", "j2:0"}),
    ({"E": 10_000}, {"j1:1", "j1:2", "j2:0"}),  # E's oldest line paid, W untouched
    ({"E": 10_001}, {"j1:1", "j2:0"}),  # a fen of E's second line paid: it is covered
    ({"E": 22_000, "W": 1}, set()),
    ({"W": 8_000}, {"j1:0", "j1:2", "j2:0"}),
])
def test_a_line_is_unpaid_only_when_no_payment_of_its_region_reaches_it(paid: dict[str, int], unpaid: set[str]) -> None:
    assert {key for key, _, _ in LINES if line_unpaid(LINES, paid, key)} == unpaid


def test_an_unknown_line_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        line_unpaid(LINES, {}, "j9:0")
