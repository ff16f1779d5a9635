"""Points redeemed for count uses (P2 × K1, docs/adr/0037): a COUNT_USES points offer adds a pack of
its item's uses to the card, in the redemption's own transaction.

The pack is free — ``price_fen`` 0 — because no money changed hands: the points were the issuer's
liability, and that liability is what the redemption extinguishes. Its uses therefore clear at 0
between franchisees (docs/adr/0031: a use is worth its pack's value). The pack's seller is the
card's issuing franchisee, whose points paid for it; the uses leave that franchisee's
COUNT_USE_LIABILITY as a purchase's leave the seller's. The item's ``validity_days`` set the
pack's expiry, as for a purchase.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from chaincard import count_products
from chaincard.errors import FailedPrecondition
from chaincard.ledger import Posting, SystemAccount, count_uses_asset, transfer
from chaincard.v1 import directory_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service import count_uses
from region_service.ledger_store import system_account_id
from region_service.models import Card
from region_service.repository import LockedAccounts


def offered_item(snapshot: pc.ConfigSnapshot, rule: pc.PointsRedemptionRule, store: directory_pb2.Store) -> pc.CountItem:
    """The count item a COUNT_USES offer gives, checked redeemable now at ``store``: it exists, is
    still active, is not a time item (passes are not offered for points) and its store list admits
    the store. HQ refuses the first and third when the offer is saved; a snapshot may have moved
    on since, so each is FAILED_PRECONDITION naming the offer here."""
    item = next((item for item in snapshot.count_items if item.code == rule.count_item_code), None)
    if item is None:
        raise FailedPrecondition(f"points offer {rule.code} names no count item HQ knows ({rule.count_item_code!r})")
    if count_products.is_time_item(item):
        raise FailedPrecondition(f"points offer {rule.code} names time item {item.code}: passes are not offered for points")
    if not item.active:
        raise FailedPrecondition(f"points offer {rule.code}: count item {item.code} is no longer active")
    if rule.count_uses <= 0:
        raise FailedPrecondition(f"points offer {rule.code} credits no uses")
    count_uses.require_at_store(item, store)
    return item


@dataclass(frozen=True)
class Credited:
    """What the redemption added: the postings, the uses and when they expire (None: never)."""

    postings: list[Posting]
    uses: int
    expires_at: datetime | None


def credit_pack(session: Session, locked: LockedAccounts, card: Card, item: pc.CountItem, *, uses: int,
                transaction_id: str, now: datetime) -> Credited:
    """Add a free pack of ``uses`` of ``item`` to the card (its account opened on first use), under
    the card's row lock the caller holds, against its issuer's COUNT_USE_LIABILITY."""
    asset = count_uses_asset(item.code)
    account = count_uses.account_id(session, locked, card.card_number, item.code)
    seller = card.issuing_franchisee_id
    liability = system_account_id(session, seller, SystemAccount.COUNT_USE_LIABILITY, asset)
    expires_at = now + timedelta(days=item.validity_days) if item.validity_days > 0 else None
    count_uses.add_pack(session, card_number=card.card_number, item_code=item.code, franchisee_id=seller,
                        transaction_id=transaction_id, uses=uses, bought_at=now, expires_at=expires_at, price_fen=0)
    return Credited(transfer(asset, uses, debit=liability, credit=account), uses, expires_at)
