"""What a refund of a count-use purchase gives back (K1, K2, K4; docs/adr/0035) — pure integer
arithmetic, no floats, no clock of its own.

A pack's unused uses are refunded at their floor share of the pack's value left
(chaincard.ledger.count_use_value.value_taken), a time pass's unused whole days at their
cumulative floor share of the period's price (value_returned: refunds one at a time sum to the
price, never more), and the money goes back to the purchase's tender in the purchase's own
principal/bonus split, counted cumulatively so the refunds of a purchase sum to what it took.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chaincard.money import split_proportionally

DAY = timedelta(days=1)


def unused_pass_days(starts_at: datetime, ends_at: datetime, now: datetime, *, used_today: bool) -> int:
    """The whole days of a pass period ``[starts_at, ends_at)`` still unused at ``now``: a day is 24
    hours from the start; the day under way is used when the pass was used today (then the refund
    starts tomorrow), else it is given back too. A period not begun is unused whole."""
    total = (ends_at - starts_at) // DAY
    if now <= starts_at:
        return total
    elapsed = (now - starts_at) // DAY
    return max(0, total - elapsed - (1 if used_today else 0))


def stored_value_back(principal_fen: int, bonus_fen: int, refunded_before_fen: int, refund_fen: int) -> tuple[int, int]:
    """(principal, bonus) of ``refund_fen`` going back to a card that paid ``principal_fen`` +
    ``bonus_fen``, after ``refunded_before_fen`` went back already: the principal share is counted
    cumulatively (half-up), so all refunds of a purchase together return exactly its split."""
    paid = principal_fen + bonus_fen
    if not 0 <= refunded_before_fen <= refunded_before_fen + refund_fen <= paid:
        raise ValueError(f"cannot refund {refund_fen} after {refunded_before_fen} of {paid}")
    principal = (split_proportionally(principal_fen, refunded_before_fen + refund_fen, paid)
                 - split_proportionally(principal_fen, refunded_before_fen, paid))
    return principal, refund_fen - principal
