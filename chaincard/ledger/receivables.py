"""What a card owes (issue 21, docs/adr/0018), the rule every checkout shares: the region's online
checkout and the store's offline stand-in both hold a card's debt back from the stored value it may
spend. Pure Python."""

from __future__ import annotations


def spendable_stored_value(principal_fen: int, bonus_fen: int, owed_fen: int) -> tuple[int, int]:
    """(principal, bonus) a card may spend while it owes ``owed_fen``: what it owes is held back,
    from principal first, then bonus (a recharge pays the debt first, so stored value sits on an
    owing card only when a refund or a recharge's bonus put it there)."""
    from_principal = min(principal_fen, owed_fen)
    from_bonus = min(bonus_fen, owed_fen - from_principal)
    return principal_fen - from_principal, bonus_fen - from_bonus
