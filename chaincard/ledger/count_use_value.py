"""What count-card uses are worth (K1, docs/adr/0031) — pure integer arithmetic, no floats.

A pack (one purchase of an item's uses) keeps its price and the value of its uses still left. Uses
taken from it are worth their floor share of that remaining value, so the last use takes whatever
the floors left behind: all uses of a pack sum to its price exactly, and no fen is lost or made.
Uses a refund gives back are worth their share of what the sale paid for them, counted
cumulatively, so a sale's uses given back one refund at a time sum to what the sale took.
"""

from __future__ import annotations


def value_taken(value_left_fen: int, uses_left: int, uses: int) -> int:
    """The value of ``uses`` taken from a pack that holds ``uses_left`` uses worth ``value_left_fen``:
    ``value_left × uses // uses_left`` (all of it when the pack is emptied)."""
    if not 0 < uses <= uses_left:
        raise ValueError(f"cannot take {uses} uses from a pack holding {uses_left}")
    if value_left_fen < 0:
        raise ValueError("a pack's value left cannot be negative")
    return value_left_fen * uses // uses_left


def value_returned(taken_value_fen: int, taken_uses: int, returned_before: int, uses: int) -> int:
    """The value of ``uses`` given back of the ``taken_uses`` a sale took from one pack for
    ``taken_value_fen``, after ``returned_before`` of them came back already: the difference of the
    cumulative floor shares, so that giving all of them back returns ``taken_value_fen`` exactly."""
    if uses < 0 or returned_before < 0 or returned_before + uses > taken_uses:
        raise ValueError(f"cannot give back {uses} uses after {returned_before} of {taken_uses}")
    if not taken_uses:
        return 0
    return (taken_value_fen * (returned_before + uses) // taken_uses) - (taken_value_fen * returned_before // taken_uses)
