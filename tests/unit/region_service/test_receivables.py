"""What a card owes (issue 21): the pure parts — what a payment collects first — on locked accounts
built by hand (what an owing card may spend: tests/unit/chaincard/test_ledger.py)."""

from __future__ import annotations

from chaincard.ledger import Asset, Direction, check_balanced
from region_service import receivables
from region_service.repository import RECEIVABLE_PURPOSE, CardAccount, LockedAccounts


def _locked(owed_fen: int) -> LockedAccounts:
    return LockedAccounts({
        "p": CardAccount("p", "C1", Asset.STORED_VALUE_PRINCIPAL, 0),
        "r": CardAccount("r", "C1", Asset.STORED_VALUE_PRINCIPAL, -owed_fen, RECEIVABLE_PURPOSE),
        "o": CardAccount("o", "C2", Asset.STORED_VALUE_PRINCIPAL, -100, RECEIVABLE_PURPOSE),
    })


def test_a_payment_collects_what_is_owed_first_and_never_more() -> None:
    locked = _locked(3_000)
    assert locked.owed("C1", Asset.STORED_VALUE_PRINCIPAL) == 3_000 and locked.owed("C1", Asset.POINTS) == 0
    assert locked.balances("C1").owed_fen == 3_000 and locked.balances("C1").principal_fen == 0
    assert set(locked.of_card("C1")) == {Asset.STORED_VALUE_PRINCIPAL} and locked.of_card("C1")[Asset.STORED_VALUE_PRINCIPAL].account_id == "p"
    assert receivables.collectable(locked, "C1", Asset.STORED_VALUE_PRINCIPAL, 5_000) == 3_000
    assert receivables.collectable(locked, "C1", Asset.STORED_VALUE_PRINCIPAL, 1_000) == 1_000
    assert receivables.collectable(locked, "C1", Asset.POINTS, 50) == 0
    postings = receivables.collect(locked, "C1", Asset.STORED_VALUE_PRINCIPAL, 3_000, debit="cash")
    check_balanced(postings)
    assert [(p.account_id, p.direction) for p in postings] == [("cash", Direction.DEBIT), ("r", Direction.CREDIT)]
    assert receivables.collect(locked, "C1", Asset.STORED_VALUE_PRINCIPAL, 0, debit="cash") == []
