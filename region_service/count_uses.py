"""Count-card uses on a card (K1, docs/adr/0029): the card's account per item, opened on first use,
and its packs (region_service.models.CountUsePack), which say when each use bought expires.

A card's uses of an item are one card account of asset "COUNT_USES:<item>" against the selling
franchisee's COUNT_USE_LIABILITY; the packs beside it split that balance by purchase and expiry.
Everything here runs under the card's row lock (the caller holds it), so two purchases or uses of
one card never interleave, and no account is opened twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaincard.ids import new_id
from chaincard.ledger import Asset, count_uses_asset
from chaincard.v1 import common_pb2
from region_service.models import CountUsePack, LedgerAccount
from region_service.repository import CARD_PURPOSE, CardAccount, LockedAccounts
from region_service.translate import timestamp

_PREFIX = f"{Asset.COUNT_USES}:"


def account_id(session: Session, locked: LockedAccounts, card_number: str, item_code: str) -> str:
    """The id of the card's account of ``item_code``'s uses, opened (zero) on first use; the new
    account joins ``locked``."""
    asset = count_uses_asset(item_code)
    existing = locked.of_card(card_number).get(asset)
    if existing is not None:
        return existing.account_id
    new_account = new_id()
    session.add(LedgerAccount(account_id=new_account, purpose=CARD_PURPOSE, card_number=card_number, franchisee_id="",
                              asset=asset, balance=0, debits_posted=0, credits_posted=0))
    session.flush()
    locked.by_id[new_account] = CardAccount(new_account, card_number, asset, 0, CARD_PURPOSE)
    return new_account


def add_pack(session: Session, *, card_number: str, item_code: str, franchisee_id: str, transaction_id: str, uses: int,
             bought_at: datetime, expires_at: datetime | None) -> None:
    session.add(CountUsePack(pack_id=new_id(), card_number=card_number, item_code=item_code, franchisee_id=franchisee_id,
                             transaction_id=transaction_id, uses_bought=uses, uses_left=uses, bought_at=bought_at,
                             expires_at=expires_at))


def balances(session: Session, locked: LockedAccounts, card_number: str) -> list[common_pb2.CountUseBalance]:
    """The card's uses per item, from its locked accounts (items it holds none of left out), each
    with the earliest expiry of its packs."""
    session.flush()
    held = {asset: account.balance for asset, account in locked.of_card(card_number).items()}
    return _balances(session, card_number, held)


def read_balances(session: Session, card_number: str) -> list[common_pb2.CountUseBalance]:
    """The card's uses per item as committed (no lock: for GetBalance and GetCard)."""
    held = {asset: balance for asset, balance in session.execute(
        select(LedgerAccount.asset, LedgerAccount.balance)
        .where(LedgerAccount.card_number == card_number, LedgerAccount.purpose == CARD_PURPOSE,
               LedgerAccount.asset.startswith(_PREFIX))
    )}
    return _balances(session, card_number, held)


def _balances(session: Session, card_number: str, held: dict[str, int]) -> list[common_pb2.CountUseBalance]:
    earliest = {item: moment for item, moment in session.execute(
        select(CountUsePack.item_code, func.min(CountUsePack.expires_at))
        .where(CountUsePack.card_number == card_number, CountUsePack.uses_left > 0)
        .group_by(CountUsePack.item_code)
    )}
    found = []
    for asset, uses in sorted(held.items()):
        if asset.startswith(_PREFIX) and uses:
            item = asset.removeprefix(_PREFIX)
            found.append(common_pb2.CountUseBalance(item_code=item, uses=uses, expires_at=timestamp(earliest.get(item))))
    return found
