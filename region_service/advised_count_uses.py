"""Count-card uses and time-pass uses in an offline advice (K1, K4, docs/adr/0036): posted by the
card's home region once, when the store's link returns, as the sale the store approved.

The uses come out of the card's packs in the order an online sale takes them (earliest expiry
first, never-expiring last; packs that had not expired when the store approved the sale), each
against its seller's COUNT_USE_LIABILITY, valued as online (docs/adr/0031). A card that no longer
holds them all (spent at another store meanwhile) gives what it holds; the rest is a shortfall,
debited to the card's RECEIVABLE account of the item's uses (what the card owes, as an offline
stored-value overdraft, docs/adr/0018) against the issuing franchisee's COUNT_USE_LIABILITY, and the
advice is flagged. A card's count never goes below zero. The item's quota, store list and a
pass's cap are not checked again: the store checked them, and the sale was made. A time pass's
uses are recorded against the period that covered the approval (for the day's count and reports).
Everything runs under the card's row lock (the caller holds it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard import count_products
from chaincard.ledger import Posting, SystemAccount, count_uses_asset
from chaincard.pricing import CountUseIntent
from chaincard.v1 import common_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service import count_uses, receivables
from region_service.ledger_store import system_account_id
from region_service.models import CountTimePeriod
from region_service.repository import LockedAccounts
from region_service.time_passes import TimeUses

# Key of a transaction's details: uses the card could not give, per item ({item: uses owed}).
DETAILS_SHORTFALL = "count_use_shortfall"


@dataclass
class AdvisedUses:
    """What an advice's COUNT_USES tenders post: the packs' uses, the pass uses, and the shortfall."""

    packs: count_uses.SaleUses = field(default_factory=count_uses.SaleUses)
    passes: TimeUses = field(default_factory=TimeUses)
    shortfall: dict[str, int] = field(default_factory=dict)
    postings: list[Posting] = field(default_factory=list)

    def details(self) -> dict[str, object]:
        return {**self.packs.details(), **self.passes.details(),
                **({DETAILS_SHORTFALL: dict(self.shortfall)} if self.shortfall else {})}

    def shortfall_messages(self) -> list[common_pb2.CountUseChange]:
        return [common_pb2.CountUseChange(item_code=item, uses_delta=-uses) for item, uses in sorted(self.shortfall.items())]


def shortfall_of(details: dict[str, object] | None) -> list[common_pb2.CountUseChange]:
    """The shortfall kept in a posted advice's details (for a DUPLICATE answer)."""
    owed = (details or {}).get(DETAILS_SHORTFALL) or {}
    assert isinstance(owed, dict)
    return [common_pb2.CountUseChange(item_code=str(item), uses_delta=-int(uses)) for item, uses in sorted(owed.items())]


def settle_advised_uses(session: Session, locked: LockedAccounts, snapshot: pc.ConfigSnapshot, intents: Sequence[CountUseIntent],
                        *, card_number: str, issuing_franchisee_id: str, approved_at: datetime) -> AdvisedUses:
    """Take the advised uses from the card (see the module's docstring); nothing is refused."""
    posted = AdvisedUses()
    items = {item.code: item for item in snapshot.count_items}
    for intent in intents:
        item = items.get(intent.item_code)
        if item is not None and count_products.is_time_item(item):
            period = session.execute(
                select(CountTimePeriod.period_id)
                .where(CountTimePeriod.card_number == card_number, CountTimePeriod.item_code == item.code,
                       CountTimePeriod.starts_at <= approved_at, CountTimePeriod.ends_at > approved_at)
                .order_by(CountTimePeriod.starts_at).limit(1)
            ).scalar_one_or_none()
            posted.passes.uses[item.code] = intent.uses
            posted.passes.periods[item.code] = period or ""
            continue
        _take_from_packs(session, locked, posted, intent, card_number=card_number, issuer=issuing_franchisee_id,
                         approved_at=approved_at)
    return posted


def _take_from_packs(session: Session, locked: LockedAccounts, posted: AdvisedUses, intent: CountUseIntent, *, card_number: str,
                     issuer: str, approved_at: datetime) -> None:
    asset = count_uses_asset(intent.item_code)
    card_account = count_uses.account_id(session, locked, card_number, intent.item_code)
    packs = count_uses.usable_packs(session, card_number, intent.item_code, approved_at, for_update=True)
    wanted = count_uses.take_from_packs(session, packs, intent.uses, asset=asset, card_account=card_account,
                                        into=posted.packs, postings=posted.postings)
    posted.packs.uses[intent.item_code] = intent.uses - wanted
    if wanted:
        # Owed by the card, never a negative count: the issuer's liability carries the uses no pack holds.
        posted.shortfall[intent.item_code] = wanted
        liability = system_account_id(session, issuer, SystemAccount.COUNT_USE_LIABILITY, asset)
        posted.postings += receivables.owe(session, locked, card_number, asset, wanted, credit=liability)
