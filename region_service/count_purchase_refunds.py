"""Taking back what a count-use purchase put on a card (K1, K2, K4; docs/adr/0035): its packs'
unused uses and its pass periods' unused days, for a refund (what is left unused) or a void (all
of it, nothing used yet). Runs under the card's row lock (the caller's), and locks the packs and
periods it changes, so two refunds of one purchase never give the same use or day back twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NoReturn

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaincard.count_purchase_refunds import DAY, unused_pass_days
from chaincard.errors import FailedPrecondition
from chaincard.ledger import Posting, SystemAccount, count_uses_asset, transfer
from chaincard.ledger.count_use_value import value_returned, value_taken
from region_service import count_uses, time_passes
from region_service.ledger_store import system_account_id
from region_service.models import CountTimePeriod, CountTimeUse, CountUsePack, LedgerTransaction
from region_service.repository import LockedAccounts

# Key of a refund's or void's details when it reverses a purchase: {"packs": [[pack id, uses, value
# fen]], "periods": [[period id, days, value fen]]}. Its uses ({item: -uses}, count_uses.DETAILS_USES)
# and pass days ({item: -days}, DAYS) sit beside it, as the purchase keeps them with the other sign.
DETAILS = count_uses.DETAILS_PURCHASE_REFUND
DAYS = "time_pass_days"


@dataclass
class Reversal:
    """What one refund or void takes back of a purchase: the postings and what it took, per item."""

    postings: list[Posting] = field(default_factory=list)
    uses: dict[str, int] = field(default_factory=dict)
    days: dict[str, int] = field(default_factory=dict)
    value_fen: int = 0
    packs: list[list[str | int]] = field(default_factory=list)
    periods: list[list[str | int]] = field(default_factory=list)

    def details(self) -> dict[str, object]:
        return {
            **({count_uses.DETAILS_USES: {item: -uses for item, uses in self.uses.items()}} if self.uses else {}),
            **({DAYS: {item: -days for item, days in self.days.items()}} if self.days else {}),
            DETAILS: {"packs": self.packs, "periods": self.periods},
        }


def earlier_reversals(session: Session, original: LedgerTransaction) -> list[dict[str, Any]]:
    """The details of the refunds and voids of ``original`` so far."""
    return [details or {} for details in session.execute(
        select(LedgerTransaction.details).where(
            LedgerTransaction.original_transaction_id == original.transaction_id,
            LedgerTransaction.card_number == original.card_number, LedgerTransaction.type.in_(("REFUND", "VOID")))
    ).scalars()]


def _packs(session: Session, original: LedgerTransaction) -> list[CountUsePack]:
    return list(session.execute(select(CountUsePack).where(CountUsePack.transaction_id == original.transaction_id)
                                .order_by(CountUsePack.item_code, CountUsePack.pack_id).with_for_update()).scalars())


def _periods(session: Session, original: LedgerTransaction) -> list[CountTimePeriod]:
    return list(session.execute(select(CountTimePeriod).where(CountTimePeriod.transaction_id == original.transaction_id)
                                .order_by(CountTimePeriod.item_code).with_for_update()).scalars())


def _period_uses(session: Session, period: CountTimePeriod) -> int:
    return int(session.execute(select(func.coalesce(func.sum(CountTimeUse.uses), 0))
                               .where(CountTimeUse.period_id == period.period_id)).scalar_one())


def require_voidable(session: Session, original: LedgerTransaction, now: datetime) -> None:
    """A void takes the purchase back whole: nothing of it may be used, refunded or expired."""
    if earlier_reversals(session, original):
        raise FailedPrecondition(f"purchase {original.transaction_id} was already refunded or voided; refund what is left instead")
    for pack in _packs(session, original):
        if pack.uses_left < pack.uses_bought or (pack.expires_at is not None and pack.expires_at <= now):
            raise FailedPrecondition(f"{pack.uses_bought - pack.uses_left} of the {pack.uses_bought} {pack.item_code} uses of "
                                     f"purchase {original.transaction_id} are used or expired; refund the rest instead")
    for period in _periods(session, original):
        if _period_uses(session, period) > 0:
            raise FailedPrecondition(f"the {period.item_code} pass of purchase {original.transaction_id} was used; "
                                     "refund its unused days instead")


def take_back(session: Session, locked: LockedAccounts, original: LedgerTransaction, *, wanted: Mapping[str, int] | None,
              whole: bool, business_date: date, now: datetime) -> Reversal:
    """Take back the purchase's unused uses (each pack's, or ``wanted`` uses per item) at their
    floor share of the pack's value left, and its pass periods' unused days at their share of the
    price (the pass's later periods move earlier by as much); ``whole`` (a void): everything.
    FAILED_PRECONDITION naming the item when the uses asked for expired."""
    taken = Reversal()
    expired: list[CountUsePack] = []
    for pack in _packs(session, original):
        if wanted is not None and pack.item_code not in wanted:
            continue
        if pack.expires_at is not None and pack.expires_at <= now:
            # Expired uses are the seller's (docs/adr/0030): a refund does not buy them back.
            if wanted is not None:
                _refuse_expired(original, pack)
            expired.append(pack)
            continue
        n = pack.uses_left if wanted is None else wanted[pack.item_code]
        if not n:
            continue
        if n > pack.uses_left:
            raise FailedPrecondition(f"purchase {original.transaction_id} has {pack.uses_left} unused {pack.item_code} uses "
                                     f"left to refund; {n} asked")
        value = value_taken(pack.value_left_fen, pack.uses_left, n)  # the floor share; the last use takes the rest
        pack.uses_left -= n
        pack.value_left_fen -= value
        asset = count_uses_asset(pack.item_code)
        liability = system_account_id(session, pack.franchisee_id, SystemAccount.COUNT_USE_LIABILITY, asset)
        taken.postings += transfer(asset, n, debit=count_uses.account_id(session, locked, original.card_number, pack.item_code),
                                   credit=liability)
        taken.uses[pack.item_code] = taken.uses.get(pack.item_code, 0) + n
        taken.value_fen += value
        taken.packs.append([pack.pack_id, n, value])
    if wanted is None:
        _take_back_days(session, original, taken, whole=whole, business_date=business_date, now=now)
    if expired and not taken.uses and not taken.days:
        _refuse_expired(original, expired[0])
    return taken


def _refuse_expired(original: LedgerTransaction, pack: CountUsePack) -> NoReturn:
    assert pack.expires_at is not None
    raise FailedPrecondition(f"the {pack.item_code} uses of purchase {original.transaction_id} expired on "
                             f"{pack.expires_at.date().isoformat()}; expired uses are not refunded")


def _take_back_days(session: Session, original: LedgerTransaction, taken: Reversal, *, whole: bool, business_date: date,
                    now: datetime) -> None:
    bought_days = {item: int(days) for item, days in (original.details.get(DAYS) or {}).items()}
    before: dict[str, int] = {}
    for details in earlier_reversals(session, original):
        for item, days in (details.get(DAYS) or {}).items():
            before[item] = before.get(item, 0) - int(days)
    for period in _periods(session, original):
        total = bought_days.get(period.item_code) or (period.ends_at - period.starts_at) // DAY
        left = (period.ends_at - period.starts_at) // DAY
        used_today = (time_passes.used_on(session, original.card_number, period.item_code, business_date) > 0
                      or _used_in_day_under_way(session, period, now))
        days = left if whole else min(left, unused_pass_days(period.starts_at, period.ends_at, now, used_today=used_today))
        if days <= 0:
            continue
        value = value_returned(period.price_fen, total, before.get(period.item_code, 0), days)
        _shorten(session, period, days)
        taken.days[period.item_code] = taken.days.get(period.item_code, 0) + days
        taken.value_fen += value
        taken.periods.append([period.period_id, days, value])


def _used_in_day_under_way(session: Session, period: CountTimePeriod, now: datetime) -> bool:
    """The period's 24-hour day under way saw a use of it (the business day may have turned since:
    a use late last evening still makes that day used)."""
    if now <= period.starts_at:
        return False
    day_began = period.starts_at + ((now - period.starts_at) // DAY) * DAY
    return session.execute(select(func.count()).select_from(CountTimeUse).where(
        CountTimeUse.period_id == period.period_id, CountTimeUse.uses > 0, CountTimeUse.created_at >= day_began)).scalar_one() > 0


def _shorten(session: Session, period: CountTimePeriod, days: int) -> None:
    """The period loses its last ``days``; the card's later periods of the item move earlier by as
    much, so the pass stays one run of days (a period left with none is deleted)."""
    later = session.execute(select(CountTimePeriod).where(
        CountTimePeriod.card_number == period.card_number, CountTimePeriod.item_code == period.item_code,
        CountTimePeriod.starts_at >= period.ends_at, CountTimePeriod.period_id != period.period_id,
    ).with_for_update()).scalars().all()
    for moved in later:
        moved.starts_at -= days * DAY
        moved.ends_at -= days * DAY
    if period.ends_at - days * DAY <= period.starts_at:
        session.delete(period)
    else:
        period.ends_at -= days * DAY
    session.flush()
