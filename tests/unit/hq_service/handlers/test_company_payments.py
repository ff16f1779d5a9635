"""How HQ splits a company's payment over the regions holding its receivable (docs/adr/0045):
oldest invoiced lines first, each region's earlier payments covering its own oldest lines."""

from __future__ import annotations

import pytest

from hq_service.handlers.company_payments import split

LINES = [("E", 10_000), ("W", 8_000), ("E", 5_000)]  # oldest first


def test_a_first_payment_covers_the_oldest_lines_whichever_region_holds_them() -> None:
    assert split(LINES, {}, 12_000) == {"E": 10_000, "W": 2_000}
    assert split(LINES, {}, 23_000) == {"E": 15_000, "W": 8_000}


def test_earlier_payments_cover_their_regions_oldest_lines_first() -> None:
    # E was paid 10,000 (its first line), W 2,000 (part of its line): W's 6,000 is older than E's 5,000.
    assert split(LINES, {"E": 10_000, "W": 2_000}, 7_000) == {"W": 6_000, "E": 1_000}
    assert split(LINES, {"E": 10_000, "W": 2_000}, 11_000) == {"E": 5_000, "W": 6_000}


def test_more_than_the_lines_hold_unpaid_is_refused() -> None:
    with pytest.raises(ValueError, match="more than"):
        split(LINES, {"E": 15_000}, 8_001)
    with pytest.raises(ValueError):
        split([], {}, 1)
