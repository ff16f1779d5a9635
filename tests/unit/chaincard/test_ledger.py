import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaincard.ledger import (
    Asset,
    Direction,
    Posting,
    UnbalancedTransaction,
    balance_change,
    check_balanced,
    transfer,
)
from chaincard.ledger.receivables import spendable_stored_value


def test_transfer_balances_and_moves_credit_normal_balances():
    postings = transfer(Asset.STORED_VALUE_PRINCIPAL, 500, debit="cash", credit="card")
    check_balanced(postings)
    assert {p.account_id: balance_change(p) for p in postings} == {"cash": -500, "card": 500}


def test_zero_transfer_is_nothing():
    assert transfer(Asset.POINTS, 0, debit="a", credit="b") == []


def test_unbalanced_per_asset_is_refused_even_if_totals_match():
    postings = [
        Posting("a", Asset.STORED_VALUE_PRINCIPAL, Direction.DEBIT, 100),
        Posting("b", Asset.STORED_VALUE_BONUS, Direction.CREDIT, 100),
    ]
    with pytest.raises(UnbalancedTransaction):
        check_balanced(postings)


@pytest.mark.parametrize("amount", [0, -1, 1.5])
def test_posting_amounts_are_positive_integers(amount):
    with pytest.raises(UnbalancedTransaction):
        Posting("a", Asset.POINTS, Direction.DEBIT, amount)


@given(st.lists(st.tuples(st.sampled_from(list(Asset)), st.integers(1, 10**12)), min_size=1, max_size=20))
def test_any_set_of_transfers_balances(moves):
    postings = [p for asset, amount in moves for p in transfer(asset, amount, debit="x", credit="y")]
    check_balanced(postings)


@pytest.mark.parametrize(("principal", "bonus", "owed", "spendable"), [
    (5_000, 1_000, 0, (5_000, 1_000)),
    (5_000, 1_000, 3_000, (2_000, 1_000)),  # held back from principal first
    (2_000, 1_000, 2_500, (0, 500)),  # then from bonus
    (2_000, 1_000, 9_000, (0, 0)),
    (0, 0, 3_000, (0, 0)),
])
def test_an_owing_card_spends_only_what_its_debt_leaves(principal: int, bonus: int, owed: int, spendable: tuple[int, int]) -> None:
    assert spendable_stored_value(principal, bonus, owed) == spendable
