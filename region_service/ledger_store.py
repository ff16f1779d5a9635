"""Posting a balanced ledger transaction: rows, postings and running balances in the caller's session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
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


# System accounts never change id once created; caching them saves two statements per account
# per transaction. Keyed by database too: one process may serve (or test) several regions.
_system_account_ids: dict[tuple[str, str, str, str], str] = {}


def system_account_id(session: Session, franchisee_id: str, purpose: str, asset: str) -> str:
    """The id of a franchisee's system account, created on first use (race-free under concurrency)."""
    key = (str(session.get_bind().url), franchisee_id, purpose, asset)
    cached = _system_account_ids.get(key)
    if cached is not None:
        return cached
    inserted = session.execute(
        pg_insert(LedgerAccount)
        .values(
            account_id=new_id(), purpose=purpose, card_number="", franchisee_id=franchisee_id, asset=asset,
            balance=0, debits_posted=0, credits_posted=0,
        )
        .on_conflict_do_nothing(constraint="holder_purpose_asset")
    ).rowcount
    account_id = session.execute(
        select(LedgerAccount.account_id).where(
            LedgerAccount.card_number == "",
            LedgerAccount.franchisee_id == franchisee_id,
            LedgerAccount.purpose == purpose,
            LedgerAccount.asset == asset,
        )
    ).scalar_one()
    if not inserted:
        # Only a row that already existed is known committed; one created here may yet roll back.
        _system_account_ids[key] = account_id
    return account_id


def post_transaction(session: Session, transaction: LedgerTransaction, postings: list[Posting]) -> CardBalances:
    """Append the transaction and its postings, move the card's running balances beside them (STYLE
    rule 5), and fill the transaction's balances-after from the card's accounts while they are locked.

    Only card accounts carry a running balance: they are what authorisation reads, and their row
    locks follow the card's. A franchisee's system accounts are on one side of every sale at its
    stores; updating their rows too would serialise all of those sales on one lock, so their
    balance is the sum of their postings instead (docs/adr/0007).
    """
    check_balanced(postings)
    accounts = {
        account.account_id: account
        for account in session.execute(
            select(LedgerAccount)
            .where(
                LedgerAccount.purpose == CARD_PURPOSE,
                or_(
                    LedgerAccount.card_number == transaction.card_number,
                    LedgerAccount.account_id.in_(sorted({posting.account_id for posting in postings})),
                ),
            )
            .order_by(LedgerAccount.account_id)
            .with_for_update()
        ).scalars()
    }
    for posting in postings:
        account = accounts.get(posting.account_id)
        if account is None:
            continue  # a system account: no running balance
        if account.asset != posting.asset:
            raise ValueError(f"posting of {posting.asset} to an account of {account.asset}")
        change = balance_change(posting)
        account.balance += change
        if change > 0:
            account.credits_posted += posting.amount
        else:
            account.debits_posted += posting.amount
    held = {a.asset: a.balance for a in accounts.values() if a.card_number == transaction.card_number and a.purpose == CARD_PURPOSE}
    after = CardBalances(
        principal_fen=held.get(Asset.STORED_VALUE_PRINCIPAL, 0),
        bonus_fen=held.get(Asset.STORED_VALUE_BONUS, 0),
        points=held.get(Asset.POINTS, 0),
    )
    transaction.principal_after_fen, transaction.bonus_after_fen, transaction.points_after = (
        after.principal_fen, after.bonus_fen, after.points,
    )
    session.add(transaction)
    session.add_all(
        PostingRecord(
            transaction_id=transaction.transaction_id, account_id=posting.account_id, asset=posting.asset,
            direction=posting.direction.value, amount=posting.amount,
        )
        for posting in postings
    )
    session.flush()
    return after
