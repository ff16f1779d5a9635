"""Posting a balanced ledger transaction: rows, postings and running balances in the caller's session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from chaincard.ids import new_id
from chaincard.ledger import Asset, Posting, balance_change, check_balanced
from region_service.models import LedgerAccount, LedgerTransaction, PostingRecord

CARD_PURPOSE = "CARD"
CARD_ASSETS = (Asset.STORED_VALUE_PRINCIPAL, Asset.STORED_VALUE_BONUS, Asset.POINTS)


@dataclass(frozen=True)
class CardBalances:
    principal_fen: int
    bonus_fen: int
    points: int


def open_card_accounts(session: Session, card_number: str) -> None:
    for asset in CARD_ASSETS:
        session.add(
            LedgerAccount(
                account_id=new_id(), purpose=CARD_PURPOSE, card_number=card_number, franchisee_id="", asset=asset,
                balance=0, debits_posted=0, credits_posted=0,
            )
        )


def card_accounts(session: Session, card_number: str) -> dict[str, LedgerAccount]:
    rows = session.execute(
        select(LedgerAccount).where(LedgerAccount.card_number == card_number, LedgerAccount.purpose == CARD_PURPOSE)
    ).scalars()
    return {row.asset: row for row in rows}


def card_balances(session: Session, card_number: str) -> CardBalances:
    accounts = card_accounts(session, card_number)

    def balance(asset: str) -> int:
        return accounts[asset].balance if asset in accounts else 0

    return CardBalances(
        principal_fen=balance(Asset.STORED_VALUE_PRINCIPAL),
        bonus_fen=balance(Asset.STORED_VALUE_BONUS),
        points=balance(Asset.POINTS),
    )


def system_account_id(session: Session, franchisee_id: str, purpose: str, asset: str) -> str:
    """The id of a franchisee's system account, created on first use (race-free under concurrency)."""
    session.execute(
        pg_insert(LedgerAccount)
        .values(
            account_id=new_id(), purpose=purpose, card_number="", franchisee_id=franchisee_id, asset=asset,
            balance=0, debits_posted=0, credits_posted=0,
        )
        .on_conflict_do_nothing(constraint="holder_purpose_asset")
    )
    return session.execute(
        select(LedgerAccount.account_id).where(
            LedgerAccount.card_number == "",
            LedgerAccount.franchisee_id == franchisee_id,
            LedgerAccount.purpose == purpose,
            LedgerAccount.asset == asset,
        )
    ).scalar_one()


def post_transaction(session: Session, transaction: LedgerTransaction, postings: list[Posting]) -> None:
    """Append the transaction and its postings, and move the running balances beside them (STYLE rule 5).

    Accounts are locked in id order so concurrent transactions never deadlock on system accounts.
    """
    check_balanced(postings)
    session.add(transaction)
    session.flush()
    account_ids = sorted({posting.account_id for posting in postings})
    accounts = {
        account.account_id: account
        for account in session.execute(
            select(LedgerAccount).where(LedgerAccount.account_id.in_(account_ids)).order_by(LedgerAccount.account_id).with_for_update()
        ).scalars()
    }
    for posting in postings:
        account = accounts[posting.account_id]
        if account.asset != posting.asset:
            raise ValueError(f"posting of {posting.asset} to an account of {account.asset}")
        account.balance += balance_change(posting)
        if balance_change(posting) > 0:
            account.credits_posted += posting.amount
        else:
            account.debits_posted += posting.amount
        session.add(
            PostingRecord(
                transaction_id=transaction.transaction_id,
                account_id=posting.account_id,
                asset=posting.asset,
                direction=posting.direction.value,
                amount=posting.amount,
            )
        )
