"""What a company's cards spent, and where (C6, docs/adr/0045): ListCompanyCards's usage figures,
computed from HQ's transaction history (``transaction_views``), pure.

A card's stored value spent is what its sales took from principal and bonus, less what refunds and
voided sales gave back. A void reverses a sale or a recharge; only a sale's void gives stored value
back (a recharge's takes it), so a void with a positive delta is a sale's. Recharges, transfers,
closures and expiries are not usage: they move value without a sale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from chaincard.v1 import common_pb2

# Transactions that pay a sale (a till's spend, its offline advice, count uses or a level bought with value).
SALES = frozenset({"SPEND", "OFFLINE_ADVICE", "COUNT_USES_PURCHASE", "LEVEL_PURCHASE"})
REVERSALS = frozenset({"REFUND", "VOID"})


@dataclass(frozen=True)
class HistoryRow:
    """One row of a card's history as the usage needs it."""

    transaction_type: str
    acquiring_franchisee_id: str
    occurred_at: datetime
    transaction: bytes  # a serialized chaincard.v1.Transaction


@dataclass
class Usage:
    """One card's usage: totals, last sale, and per accepting franchisee (spent_fen, spend_count)."""

    spent_fen: int = 0
    spend_count: int = 0
    last_spent_at: datetime | None = None
    by_franchisee: dict[str, list[int]] = field(default_factory=dict)


def stored_value_delta(payload: bytes) -> int:
    """Principal plus bonus the transaction added to the card (negative when it took value)."""
    transaction = common_pb2.Transaction.FromString(payload)
    return transaction.principal_delta_fen + transaction.bonus_delta_fen


def usage(history: Iterable[HistoryRow]) -> Usage:
    """The usage of one card from its history rows (any order)."""
    result = Usage()
    for row in history:
        if row.transaction_type not in SALES and row.transaction_type not in REVERSALS:
            continue
        delta = stored_value_delta(row.transaction)
        if row.transaction_type in SALES:
            if delta >= 0:  # paid by other tenders: not the card's value
                continue
            spent, count = -delta, 1
            if result.last_spent_at is None or row.occurred_at > result.last_spent_at:
                result.last_spent_at = row.occurred_at
        elif delta > 0:  # a refund, or a sale's void, gives value back
            spent, count = -delta, 0
        else:  # a recharge's void: not usage
            continue
        result.spent_fen += spent
        result.spend_count += count
        figures = result.by_franchisee.setdefault(row.acquiring_franchisee_id, [0, 0])
        figures[0] += spent
        figures[1] += count
    return result
