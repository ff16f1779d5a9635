"""Posting a balanced ledger transaction: rows, postings and running balances in the caller's session.

The money path runs here on every sale, so it speaks SQLAlchemy Core (plain rows; one statement
that moves the balances and appends the transaction and its postings) rather than building ORM
objects: under load the region was CPU-bound in the ORM's unit of work, not waiting for PostgreSQL
(docs/BENCHMARKS.md, Checkout). The locking reads of cards and their accounts, and the lock order,
are region_service.repository's.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    CursorResult,
    Select,
    String,
    bindparam,
    cast,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.types import TypeEngine

from chaincard.db.base import table_of, utc_now
from chaincard.ids import new_id
from chaincard.ledger import Asset, Direction, Posting, check_balanced
from chaincard.points.lots import ExpiryPolicy
from region_service.models import LedgerAccount, LedgerTransaction, PostingRecord
from region_service.points_lots import follow_postings, insert_lots_statement
from region_service.repository import (
    CARD_HELD_PURPOSES,
    CARD_PURPOSE,
    RECEIVABLE_PURPOSE,
    CardAccount,
    CardBalances,
    LockedAccounts,
    lock_card_accounts,
)

CARD_ASSETS = (Asset.STORED_VALUE_PRINCIPAL, Asset.STORED_VALUE_BONUS, Asset.POINTS)

_accounts = table_of(LedgerAccount)
_transactions = table_of(LedgerTransaction)
_postings = table_of(PostingRecord)


# The statements of the money path are built once: building and hashing a statement per call cost
# more CPU than PostgreSQL spends running it. Parameters are bound per call.
def _array_rows(name: str, **columns: type[TypeEngine[Any]]) -> Any:
    """``unnest(:a, :b, …) AS name(a, b, …)``: rows bound as one array parameter per column, so a
    statement with any number of rows is built, compiled and cached once."""
    arrays = [cast(bindparam(column), ARRAY(kind)) for column, kind in columns.items()]
    return func.unnest(*arrays).table_valued(*columns).render_derived(name=name)


# Parameter names must differ from every column name of the tables written: SQLAlchemy would take a
# parameter named like a column for a value of that column.
_TRANSACTION_PREFIX = "transaction_"


def _post_statement() -> Select[str, int]:
    """Posting as one statement (one round trip): move the card accounts' running balances (CHECK
    constraints hold them ≥ 0 and equal to credits − debits), append the transaction and its
    postings, and answer the moved accounts' new balances.

    Parameters: the transaction's columns (prefixed); ``moved_*``, one element per card account,
    its postings already summed (UPDATE … FROM applies one joined row per target row); and
    ``posting_*``, one element per posting."""
    change = _array_rows("change", moved_ids=String, moved_balances=BigInteger, moved_debits=BigInteger, moved_credits=BigInteger)
    moved = (
        update(_accounts)
        .where(_accounts.c.account_id == change.c.moved_ids)
        .values(
            balance=_accounts.c.balance + change.c.moved_balances,
            debits_posted=_accounts.c.debits_posted + change.c.moved_debits,
            credits_posted=_accounts.c.credits_posted + change.c.moved_credits,
        )
        .returning(_accounts.c.account_id, _accounts.c.balance)
        .cte("moved")
    )
    appended = (
        insert(_transactions)
        .values({column.key: bindparam(_TRANSACTION_PREFIX + column.key, type_=column.type) for column in _transactions.c})
        .returning(_transactions.c.transaction_id)
        .cte("appended")
    )
    entry = _array_rows("entry", posting_accounts=String, posting_assets=String, posting_directions=String, posting_amounts=BigInteger)
    posted = insert(_postings).from_select(
        ["transaction_id", "account_id", "asset", "direction", "amount"],
        select(appended.c.transaction_id, entry.c.posting_accounts, entry.c.posting_assets, entry.c.posting_directions,
               entry.c.posting_amounts).select_from(appended).join(entry, true()),
    ).cte("posted")
    # The points lots the transaction's credits create (region_service.points_lots), in the same statement.
    new_lots = insert_lots_statement().cte("new_lots")
    return select(moved.c.account_id, moved.c.balance).add_cte(posted).add_cte(new_lots)


_POST = _post_statement()


def open_card_accounts(session: Session, card_number: str) -> None:
    for asset in CARD_ASSETS:
        session.add(
            LedgerAccount(
                account_id=new_id(), purpose=CARD_PURPOSE, card_number=card_number, franchisee_id="", asset=asset,
                balance=0, debits_posted=0, credits_posted=0,
            )
        )


def card_accounts(session: Session, card_number: str) -> dict[str, LedgerAccount]:
    # populate_existing: balances may have moved through Core statements since an earlier load.
    rows = session.execute(
        select(LedgerAccount)
        .where(LedgerAccount.card_number == card_number, LedgerAccount.purpose == CARD_PURPOSE)
        .execution_options(populate_existing=True)
    ).scalars()
    return {row.asset: row for row in rows}


def card_account_ids(session: Session, card_number: str) -> dict[str, str]:
    """The card's account id per asset (ids never change, so no lock is needed to read them)."""
    session.flush()  # Core statements do not autoflush: accounts opened in this session must be found
    rows = session.execute(
        select(_accounts.c.asset, _accounts.c.account_id)
        .where(_accounts.c.card_number == card_number, _accounts.c.purpose == CARD_PURPOSE)
    )
    return {asset: account_id for asset, account_id in rows}


def card_balances(session: Session, card_number: str) -> CardBalances:
    session.flush()  # accounts opened in this session but not yet written must count (as zero)
    held: dict[str, int] = {}
    owed: dict[str, int] = {}
    for asset, balance, purpose in session.execute(
        select(_accounts.c.asset, _accounts.c.balance, _accounts.c.purpose)
        .where(_accounts.c.card_number == card_number, _accounts.c.purpose.in_(CARD_HELD_PURPOSES))
    ):
        if purpose == RECEIVABLE_PURPOSE:
            owed[asset] = -balance
        else:
            held[asset] = balance
    return CardBalances(
        principal_fen=held.get(Asset.STORED_VALUE_PRINCIPAL, 0),
        bonus_fen=held.get(Asset.STORED_VALUE_BONUS, 0),
        points=held.get(Asset.POINTS, 0),
        owed_fen=owed.get(Asset.STORED_VALUE_PRINCIPAL, 0),
        points_owed=owed.get(Asset.POINTS, 0),
    )


def receivable_account_id(session: Session, locked: LockedAccounts, card_number: str, asset: str) -> str:
    """The id of the card's receivable account of ``asset`` (what the card owes), opened on first use.
    The caller holds the card's row lock (every path that opens one does), so two never race to
    open it; the new account joins ``locked`` with a zero balance."""
    existing = locked.receivables(card_number).get(asset)
    if existing is not None:
        return existing.account_id
    account_id = new_id()
    session.add(LedgerAccount(
        account_id=account_id, purpose=RECEIVABLE_PURPOSE, card_number=card_number, franchisee_id="", asset=asset,
        balance=0, debits_posted=0, credits_posted=0,
    ))
    session.flush()
    locked.by_id[account_id] = CardAccount(account_id, card_number, asset, 0, RECEIVABLE_PURPOSE)
    return account_id


# System accounts never change id once created; caching them saves two statements per account
# per transaction. Keyed by database too: one process may serve (or test) several regions.
_system_account_ids: dict[tuple[str, str, str, str], str] = {}
# Every system account id this process has handed out, committed or not: lets post_transaction tell
# a system account (no running balance) from a card account it was not given, without a query.
_known_system_ids: set[str] = set()

# Key of a transaction's details: when the region posted it (ISO 8601, UTC), set by post_transaction.
POSTED_AT = "posted_at"


def posted_transaction_ids(session: Session, day: date) -> list[str]:
    """The ids of the transactions posted on business day ``day`` (``chaincard region postings``)."""
    query = select(LedgerTransaction.transaction_id).where(LedgerTransaction.business_date == day)
    return list(session.execute(query.order_by(LedgerTransaction.transaction_id)).scalars())


def system_account_id(session: Session, franchisee_id: str, purpose: str, asset: str) -> str:
    """The id of a franchisee's system account, created on first use (race-free under concurrency)."""
    # The bind's engine: a session bound to a Connection (not an Engine) has its url there.
    key = (str(session.get_bind().engine.url), franchisee_id, purpose, asset)
    cached = _system_account_ids.get(key)
    if cached is not None:
        return cached
    # An INSERT's result is a CursorResult (Session.execute is typed for any statement).
    inserted = typing.cast(CursorResult[Any], session.execute(
        pg_insert(LedgerAccount)
        .values(
            account_id=new_id(), purpose=purpose, card_number="", franchisee_id=franchisee_id, asset=asset,
            balance=0, debits_posted=0, credits_posted=0,
        )
        .on_conflict_do_nothing(constraint="holder_purpose_asset")
    )).rowcount
    account_id = session.execute(
        select(LedgerAccount.account_id).where(
            LedgerAccount.card_number == "",
            LedgerAccount.franchisee_id == franchisee_id,
            LedgerAccount.purpose == purpose,
            LedgerAccount.asset == asset,
        )
    ).scalar_one()
    _known_system_ids.add(account_id)
    if not inserted:
        # Only a row that already existed is known committed; one created here may yet roll back.
        _system_account_ids[key] = account_id
    return account_id


@dataclass
class _Movement:
    """What one transaction does to one card account: postings are summed first, because an
    UPDATE … FROM applies only one joined row per target row."""

    balance: int = 0
    debits: int = 0
    credits: int = 0


def _movements(postings: list[Posting], locked: LockedAccounts) -> dict[str, _Movement]:
    moved: dict[str, _Movement] = {}
    for posting in postings:
        account = locked.by_id.get(posting.account_id)
        if account is None:
            continue  # a system account: no running balance
        if account.asset != posting.asset:
            raise ValueError(f"posting of {posting.asset} to an account of {account.asset}")
        movement = moved.setdefault(posting.account_id, _Movement())
        if posting.direction is Direction.CREDIT:
            movement.balance += posting.amount
            movement.credits += posting.amount
        else:
            movement.balance -= posting.amount
            movement.debits += posting.amount
    return moved


def expire_loaded_accounts(session: Session, account_ids: Iterable[str]) -> None:
    """ORM copies of these accounts loaded earlier in the session are stale now: expire them."""
    for account_id in account_ids:
        loaded = session.identity_map.get(identity_key(LedgerAccount, account_id))
        if loaded is not None:
            session.expire(loaded)


def _transaction_values(transaction: LedgerTransaction) -> dict[str, Any]:
    """The row as Core inserts it, with the column defaults the ORM would have filled in."""
    if transaction.created_at is None:
        transaction.created_at = utc_now()
    if transaction.details is None:
        transaction.details = {}
    return {_TRANSACTION_PREFIX + name: getattr(transaction, name) for name in _transactions.c.keys()}


def _post_parameters(transaction: LedgerTransaction, postings: list[Posting], moved: dict[str, _Movement]) -> dict[str, Any]:
    return {
        **_transaction_values(transaction),
        "moved_ids": list(moved),
        "moved_balances": [m.balance for m in moved.values()],
        "moved_debits": [m.debits for m in moved.values()],
        "moved_credits": [m.credits for m in moved.values()],
        "posting_accounts": [p.account_id for p in postings],
        "posting_assets": [p.asset for p in postings],
        "posting_directions": [p.direction.value for p in postings],
        "posting_amounts": [p.amount for p in postings],
    }


NO_EXPIRY = ExpiryPolicy()


def post_transaction(
    session: Session, transaction: LedgerTransaction, postings: list[Posting], locked: LockedAccounts | None = None, *,
    points_expiry: ExpiryPolicy = NO_EXPIRY, time_zone: str = "Asia/Shanghai", memo: bool = False,
) -> CardBalances:
    """Append the transaction and its postings, move the card's running balances beside them (STYLE
    rule 5), and fill the transaction's balances-after from the card's accounts while they are locked.

    ``locked``: the accounts the caller already locked with :func:`lock_card_accounts` (saves
    reading them twice); any card account the postings touch beyond them is locked here.

    Only card accounts carry a running balance: they are what authorisation reads, and their row
    locks follow the card's. A franchisee's system accounts are on one side of every sale at its
    stores; updating their rows too would serialise all of those sales on one lock, so their
    balance is the sum of their postings instead (docs/adr/0007).

    The cards' points lots follow their POINTS postings here, for every transaction (ADR 0022): lots
    created expire by ``points_expiry`` (the chain's policy, read by the caller) in ``time_zone``.

    ``memo``: the transaction may move nothing (a time pass bought for cash or used, docs/adr/0030):
    with no postings it is recorded alone; any postings it has must still balance.
    """
    prepared = prepare_post(session, transaction, postings, locked, points_expiry=points_expiry, time_zone=time_zone, memo=memo)
    written = dict(session.execute(_POST, prepared.parameters).all())
    if written != prepared.expected:
        raise RuntimeError(f"card balances moved outside their card's lock: expected {prepared.expected}, wrote {written}")
    expire_loaded_accounts(session, prepared.expected)
    return prepared.after


@dataclass(frozen=True)
class PreparedPost:
    """A posting worked out under the cards' locks but not yet written: the card's balances after,
    the parameters of the posting statement (as :func:`post_transaction` binds them), and each moved
    card account's balance after."""

    after: CardBalances
    parameters: dict[str, Any]
    expected: dict[str, int]


def prepare_post(
    session: Session, transaction: LedgerTransaction, postings: list[Posting], locked: LockedAccounts | None = None, *,
    points_expiry: ExpiryPolicy = NO_EXPIRY, time_zone: str = "Asia/Shanghai", memo: bool = False,
) -> PreparedPost:
    """All of :func:`post_transaction` but the write: the one-round-trip checkout
    (region_service.one_trip) sends the parameters to its database function instead."""
    if postings or not memo:
        check_balanced(postings)
    locked = locked if locked is not None else LockedAccounts()
    unknown = {p.account_id for p in postings} - _known_system_ids - locked.by_id.keys()
    if unknown or not locked.holds_card(transaction.card_number):
        for account_id, account in lock_card_accounts(session, [transaction.card_number], unknown).by_id.items():
            locked.by_id.setdefault(account_id, account)
    owed_before = locked.owed(transaction.card_number, Asset.STORED_VALUE_PRINCIPAL)
    moved = _movements(postings, locked)
    # The rows are locked, so their new balances are known before the statement that writes them,
    # and the transaction row (written by that same statement) can carry the balances after.
    expected = {account_id: locked.by_id[account_id].balance + m.balance for account_id, m in moved.items()}
    for account_id, balance in expected.items():
        locked.by_id[account_id].balance = balance
    after = locked.balances(transaction.card_number)
    transaction.principal_after_fen, transaction.bonus_after_fen, transaction.points_after = (
        after.principal_fen, after.bonus_fen, after.points,
    )
    owed = {"owed_after_fen": after.owed_fen, "points_owed_after": after.points_owed,
            "owed_delta_fen": after.owed_fen - owed_before}
    # What the card owes (issue 21) has no columns of its own: the details carry it when it matters.
    # The posting moment is taken while the card's accounts are locked, so per card it follows commit
    # order (an offline advice's created_at is when the store approved it, often earlier): HQ takes
    # a card's balances from its latest-posted transaction (Transaction.posted_at, docs/adr/0012).
    transaction.details = {**(transaction.details or {}), **{key: value for key, value in owed.items() if value},
                           POSTED_AT: utc_now().isoformat()}
    if transaction.created_at is None:
        transaction.created_at = utc_now()
    new_lots = follow_postings(session, transaction=transaction, postings=postings, locked=locked, policy=points_expiry,
                               time_zone=time_zone)
    return PreparedPost(after, {**_post_parameters(transaction, postings, moved), **new_lots}, expected)
