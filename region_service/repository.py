"""The region's locking reads: every ``SELECT … FOR UPDATE`` of a handler is here, in one lock order.

Lock order (docs/adr/0007), the same in every transaction so two never wait on each other:

1. a member's row, before any of its cards (member updates and erasure);
2. cards, in card-number order (a payment with a second member card, a refund of such a sale);
3. then each card's ledger accounts, in account-id order;
4. then coupons, in code order (a checkout's coupons, the coupons a refund or void restores:
   docs/adr/0021). A coupon is locked only under the lock of the card the sale is on, never the
   other way round, so a coupon held by another card only waits, never deadlocks.

A lock taken later in a transaction follows the same order: posting locks the accounts of its card
after the card (region_service.ledger_store.post_transaction). A franchisee's system accounts are
never locked: they carry no running balance (docs/adr/0007). The expiry job claims due cards with
SKIP LOCKED, so it never waits on a command.

The payment path reads with SQLAlchemy Core statements built once (docs/BENCHMARKS.md, Checkout):
building a statement per call costs more CPU than PostgreSQL spends running it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, or_, select
from sqlalchemy.orm import Session

from chaincard.errors import NotFound
from chaincard.ledger import Asset
from region_service.models import Card, CardLink, Coupon, LedgerAccount, Member

CARD_PURPOSE = "CARD"
# What a card owes (issue 21): an account per asset on the card, credit-normal at or below zero,
# locked and moved like the card's own accounts (docs/adr/0018).
RECEIVABLE_PURPOSE = "RECEIVABLE"
CARD_HELD_PURPOSES = (CARD_PURPOSE, RECEIVABLE_PURPOSE)


# ---- cards ------------------------------------------------------------------------------------------

def load_card(session: Session, card_number: str, *, for_update: bool = False) -> Card:
    """The card (row-locked with ``for_update``); NOT_FOUND if there is none."""
    statement = select(Card).where(Card.card_number == card_number)
    if for_update:
        statement = statement.with_for_update()
    card = session.execute(statement).scalar_one_or_none()
    if card is None:
        raise NotFound(f"no card {card_number}")
    return card


def lock_cards(session: Session, card_numbers: Iterable[str]) -> dict[str, Card]:
    """Lock every card of a transaction, in number order so two transactions never deadlock."""
    return {number: load_card(session, number, for_update=True) for number in sorted(set(card_numbers))}


def lock_cards_of_member(session: Session, member_id: str) -> list[Card]:
    """Every card of a member, locked in number order (the member's row is locked first)."""
    return list(session.execute(
        select(Card).where(Card.member_id == member_id).order_by(Card.card_number).with_for_update()
    ).scalars())


def claim_cards_due_for_expiry(session: Session, states: Iterable[str], now: datetime, limit: int) -> list[Card]:
    """Up to ``limit`` cards in ``states`` whose validity ended by ``now``, locked; cards another
    transaction holds are skipped (SKIP LOCKED), so every replica may run the expiry job at once."""
    return list(session.execute(
        select(Card)
        .where(Card.state.in_(sorted(states)), Card.expires_at.is_not(None), Card.expires_at <= now)
        .order_by(Card.expires_at, Card.card_number)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars())


# ---- members ----------------------------------------------------------------------------------------

def get_member(session: Session, member_id: str, *, for_update: bool = False) -> Member | None:
    """The member homed here (row-locked with ``for_update``), or None."""
    return session.get(Member, member_id, with_for_update=for_update or None)


# ---- a payment's cards and accounts (SQLAlchemy Core) -----------------------------------------------

@dataclass(frozen=True)
class CardBalances:
    principal_fen: int
    bonus_fen: int
    points: int
    # What the card owes (its receivables, as positive amounts): fen of stored value, and points.
    owed_fen: int = 0
    points_owed: int = 0


@dataclass
class CardAccount:
    """A card's account as read under its row lock; ``balance`` follows every posting made here."""

    account_id: str
    card_number: str
    asset: str
    balance: int
    purpose: str = CARD_PURPOSE


@dataclass
class LockedAccounts:
    """Card accounts locked FOR UPDATE in this transaction, by id and by (card, asset); a card's
    receivables (purpose RECEIVABLE) are locked with them, apart in :meth:`receivables`."""

    by_id: dict[str, CardAccount] = field(default_factory=dict)

    def of_card(self, card_number: str) -> dict[str, CardAccount]:
        return {account.asset: account for account in self.by_id.values()
                if account.card_number == card_number and account.purpose == CARD_PURPOSE}

    def receivables(self, card_number: str) -> dict[str, CardAccount]:
        """The card's receivable accounts by asset (only those opened so far)."""
        return {account.asset: account for account in self.by_id.values()
                if account.card_number == card_number and account.purpose == RECEIVABLE_PURPOSE}

    def owed(self, card_number: str, asset: str) -> int:
        """What the card owes of ``asset``, as a positive amount (0 when nothing is owed)."""
        account = self.receivables(card_number).get(asset)
        return -account.balance if account is not None else 0

    def ids(self, card_number: str) -> dict[str, str]:
        return {asset: account.account_id for asset, account in self.of_card(card_number).items()}

    def balances(self, card_number: str) -> CardBalances:
        held = {asset: account.balance for asset, account in self.of_card(card_number).items()}
        return CardBalances(
            principal_fen=held.get(Asset.STORED_VALUE_PRINCIPAL, 0),
            bonus_fen=held.get(Asset.STORED_VALUE_BONUS, 0),
            points=held.get(Asset.POINTS, 0),
            owed_fen=self.owed(card_number, Asset.STORED_VALUE_PRINCIPAL),
            points_owed=self.owed(card_number, Asset.POINTS),
        )

    def holds_card(self, card_number: str) -> bool:
        return any(account.card_number == card_number for account in self.by_id.values())


@dataclass(frozen=True)
class LockedCard:
    """What a payment needs of a card, read under its row lock; ``birthday`` is the holder's."""

    card_number: str
    member_id: str | None  # None: a bearer card
    card_type_code: str
    state: str
    level_code: str
    issuing_franchisee_id: str
    issuing_store_id: str
    expires_at: datetime | None
    pin_hash: str | None
    replaced_by_card_number: str | None
    birthday: date | None
    # For a linked card (C5): its main card, as read with the lock; the caller confirms it under
    # the main card's lock too (region_service.card_links.require_same_link).
    main_card_number: str | None = None


_cards = Card.__table__
_members = Member.__table__
_accounts = LedgerAccount.__table__
_links = CardLink.__table__
# LockedCard's fields, in its order.
_CARD_COLUMNS = (
    _cards.c.card_number, _cards.c.member_id, _cards.c.card_type_code, _cards.c.state, _cards.c.level_code,
    _cards.c.issuing_franchisee_id, _cards.c.issuing_store_id, _cards.c.expires_at, _cards.c.pin_hash,
    _cards.c.replaced_by_card_number, _members.c.birthday, _links.c.main_card_number,
)
_ACCOUNT_COLUMNS = (_accounts.c.account_id, _accounts.c.asset, _accounts.c.balance, _accounts.c.purpose)
_held_by_card = _accounts.c.purpose.in_(CARD_HELD_PURPOSES)
_LOCK_CARD_ROWS = (
    select(*_CARD_COLUMNS)
    .join_from(_cards, _members, _cards.c.member_id == _members.c.member_id, isouter=True)  # bearer cards: no member
    .outerjoin(_links, _links.c.linked_card_number == _cards.c.card_number)
    .where(_cards.c.card_number.in_(bindparam("card_numbers", expanding=True)))
    .order_by(_cards.c.card_number)
    .with_for_update(of=_cards)
)
def _lock_accounts_where(holders: ColumnElement[bool]) -> Select[str, str, str, int]:
    """Card accounts matching ``holders``, locked in account-id order."""
    return (
        select(_accounts.c.account_id, _accounts.c.card_number, _accounts.c.asset, _accounts.c.balance, _accounts.c.purpose)
        .where(_held_by_card, holders)
        .order_by(_accounts.c.account_id)
        .with_for_update()
    )


_of_cards = _accounts.c.card_number.in_(bindparam("card_numbers", expanding=True))
_LOCK_ACCOUNTS = _lock_accounts_where(_of_cards)
_LOCK_ACCOUNTS_AND_IDS = _lock_accounts_where(or_(_of_cards, _accounts.c.account_id.in_(bindparam("account_ids", expanding=True))))


def _locked_card(row: Row[*tuple[Any, ...]]) -> LockedCard:
    return LockedCard(*row[:len(_CARD_COLUMNS)])


def lock_card_rows(session: Session, card_numbers: list[str]) -> dict[str, LockedCard]:
    """Lock every card of a payment as :func:`lock_cards` does (number order), in one statement."""
    numbers = sorted(set(card_numbers))
    rows = session.execute(_LOCK_CARD_ROWS, {"card_numbers": numbers})
    found = {row.card_number: _locked_card(row) for row in rows}
    for number in numbers:
        if number not in found:
            raise NotFound(f"no card {number}")
    return found


def lock_card_accounts(session: Session, card_numbers: Iterable[str], account_ids: Iterable[str] = ()) -> LockedAccounts:
    """Lock the cards' accounts (and any other card accounts among ``account_ids``) in account-id
    order, in one statement, and read their balances."""
    session.flush()  # Core statements do not autoflush: accounts opened in this session must be visible
    numbers, ids = sorted(set(card_numbers)), sorted(set(account_ids))
    if ids:
        rows = session.execute(_LOCK_ACCOUNTS_AND_IDS, {"card_numbers": numbers, "account_ids": ids})
    else:
        rows = session.execute(_LOCK_ACCOUNTS, {"card_numbers": numbers})
    return LockedAccounts({
        row.account_id: CardAccount(row.account_id, row.card_number, row.asset, row.balance, row.purpose) for row in rows
    })


def lock_payment_cards(session: Session, card_numbers: list[str]) -> tuple[dict[str, LockedCard], LockedAccounts]:
    """:func:`lock_card_rows`, then :func:`lock_card_accounts`: the cards locked first, their
    accounts read by a second statement once the cards are held.

    Two statements, not one joined ``SELECT … FOR UPDATE``: under READ COMMITTED a statement that
    waited for a card's lock still reads with the snapshot it started with. Re-checking the locked
    rows refreshes the accounts it had found, but an account a concurrent writer opened meanwhile
    (a card's RECEIVABLE, opened on first use, region_service.ledger_store.receivable_account_id)
    is not among them: the sale priced as if the card owed nothing and published those figures in
    its event and the balance feed (docs/reliability.md, finding 6, seed 16). Every writer of a
    card's accounts holds the card's row lock, so what the second statement reads is final."""
    numbers = sorted(set(card_numbers))
    return lock_card_rows(session, numbers), lock_card_accounts(session, numbers)


# ---- coupons (after the cards and their accounts) ---------------------------------------------------

def read_coupons(session: Session, coupon_codes: Iterable[str]) -> dict[str, Coupon]:
    """The coupons homed here among ``coupon_codes``, by code, not locked (a quote locks nothing);
    a checkout's are locked by region_service.coupons.issuing.lock_coupons, in this order."""
    codes = sorted(set(coupon_codes))
    if not codes:
        return {}
    return {row.coupon_code: row for row in session.execute(select(Coupon).where(Coupon.coupon_code.in_(codes))).scalars()}


# ---- a quote's cards: read, never locked ------------------------------------------------------------

_READ_CARD_ROWS = (
    select(*_CARD_COLUMNS)
    .join_from(_cards, _members, _cards.c.member_id == _members.c.member_id, isouter=True)  # bearer cards: no member
    .outerjoin(_links, _links.c.linked_card_number == _cards.c.card_number)
    .where(_cards.c.card_number.in_(bindparam("card_numbers", expanding=True)))
)


def read_payment_cards(session: Session, card_numbers: list[str]) -> dict[str, LockedCard]:
    """What :func:`lock_card_rows` reads, without a lock (QuoteCheckout writes nothing); NOT_FOUND
    for a card that is not here."""
    numbers = sorted(set(card_numbers))
    found = {row.card_number: _locked_card(row) for row in session.execute(_READ_CARD_ROWS, {"card_numbers": numbers})}
    for number in numbers:
        if number not in found:
            raise NotFound(f"no card {number}")
    return found

