"""A company card's usage (C6): sales spend its stored value, refunds and voided sales give it back,
a voided recharge and a sale paid by other tenders are not usage; per accepting franchisee."""

from __future__ import annotations

from datetime import UTC, datetime

from chaincard.v1 import common_pb2
from hq_service.company_card_usage import HistoryRow, usage


def _row(kind: str, principal: int, bonus: int = 0, *, franchisee: str = "F-A", hour: int = 10) -> HistoryRow:
    payload = common_pb2.Transaction(principal_delta_fen=principal, bonus_delta_fen=bonus).SerializeToString()
    return HistoryRow(kind, franchisee, datetime(2026, 12, 4, hour, tzinfo=UTC), payload)


def test_sales_less_refunds_and_voided_sales_per_franchisee() -> None:
    result = usage([
        _row("COMPANY_RECHARGE", 10_000, hour=8),
        _row("SPEND", -1_200, -300, franchisee="F-B", hour=12),  # principal and bonus both spent
        _row("SPEND", -500, hour=9),
        _row("REFUND", 200, franchisee="F-B", hour=13),
        _row("OFFLINE_ADVICE", -700, hour=11),
        _row("VOID", 700, hour=14),  # the advice's sale voided: value back
        _row("VOID", -2_000, hour=15),  # a recharge voided: not usage
        _row("SPEND", 0, hour=16),  # paid in cash: not the card's value
        _row("BALANCE_TRANSFER", -1_000, hour=17),
    ])
    assert (result.spent_fen, result.spend_count) == (1_200 + 300 + 500 - 200 + 700 - 700, 3)
    assert result.last_spent_at == datetime(2026, 12, 4, 12, tzinfo=UTC)  # the cash sale is not its use
    assert result.by_franchisee == {"F-A": [500, 2], "F-B": [1_300, 1]}


def test_a_card_never_used_has_no_usage() -> None:
    result = usage([_row("COMPANY_RECHARGE", 10_000)])
    assert (result.spent_fen, result.spend_count, result.last_spent_at, result.by_franchisee) == (0, 0, None, {})
