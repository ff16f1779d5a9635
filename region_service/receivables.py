"""What a card owes (issue 21, docs/adr/0018): a RECEIVABLE account on the card per asset, debited
when the card could not cover what it was charged (an offline advice beyond its stored value, points
a refund could not claw back) and credited when the debt is collected (the next recharge, the next
points earned) or written off by a store manager.

The receivable moves in the same transaction as the posting that collects it, under the card's row
lock, so a retried recharge (same request_id) collects it exactly once: the replay answers, it does
not post again. What an owing card may spend is the shared core's rule
(chaincard.ledger.receivables.spendable_stored_value: the store's stand-in holds it back too).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from chaincard.ledger import Posting, transfer
from region_service.ledger_store import receivable_account_id
from region_service.repository import LockedAccounts


def owe(session: Session, locked: LockedAccounts, card_number: str, asset: str, amount: int, *, credit: str) -> list[Posting]:
    """The card now owes ``amount`` of ``asset`` more: its receivable is debited, ``credit`` credited."""
    if not amount:
        return []
    return transfer(asset, amount, debit=receivable_account_id(session, locked, card_number, asset), credit=credit)


def collectable(locked: LockedAccounts, card_number: str, asset: str, amount: int) -> int:
    """How much of ``amount`` coming to the card goes to what it owes first."""
    return min(amount, locked.owed(card_number, asset))


def collect(locked: LockedAccounts, card_number: str, asset: str, amount: int, *, debit: str) -> list[Posting]:
    """Credit the card's receivable with ``amount`` (at most what is owed: see :func:`collectable`)."""
    if not amount:
        return []
    receivable = locked.receivables(card_number)[asset]
    return transfer(asset, amount, debit=debit, credit=receivable.account_id)

