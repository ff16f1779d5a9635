"""What a store's offline stand-in needs to know of its cards' count-card uses and time passes (K1,
K4, docs/adr/0036): per item, the uses left in packs not expired (grouped by expiry, the order a
use takes them), the uses the card consumed at that store today (the per-store quota, K3), and per
time pass its validity, daily cap and the day's uses. Read for RefreshCardCache and for every
pushed balance change, like the card's coupons (docs/adr/0025). Reads only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from chaincard.v1 import program_config_pb2 as pc
from chaincard.v1 import store_sync_pb2
from region_service.count_uses import DETAILS_USES, EXPIRY, PURCHASE
from region_service.models import CountTimePeriod, CountTimeUse, CountUsePack, LedgerTransaction
from region_service.translate import timestamp


def count_items(session: Session, snapshot: pc.ConfigSnapshot, card_numbers: Collection[str], *, store_id: str,
                business_date: date, now: datetime) -> dict[str, list[store_sync_pb2.CachedCountItem]]:
    """Each card's items (a card holding none is absent), by item code."""
    if not card_numbers:
        return {}
    numbers = list(card_numbers)
    found: dict[str, dict[str, store_sync_pb2.CachedCountItem]] = defaultdict(dict)
    for card_number, item_code, expires_at, uses in session.execute(
        select(CountUsePack.card_number, CountUsePack.item_code, CountUsePack.expires_at, func.sum(CountUsePack.uses_left))
        .where(CountUsePack.card_number.in_(numbers), CountUsePack.uses_left > 0,
               or_(CountUsePack.expires_at.is_(None), CountUsePack.expires_at > now))
        .group_by(CountUsePack.card_number, CountUsePack.item_code, CountUsePack.expires_at)
        .order_by(CountUsePack.card_number, CountUsePack.item_code, CountUsePack.expires_at.asc().nulls_last())
    ):
        item = found[card_number].setdefault(item_code, store_sync_pb2.CachedCountItem(item_code=item_code))
        item.packs.add(uses=int(uses), expires_at=timestamp(expires_at))
    caps = {item.code: item.daily_cap_uses for item in snapshot.count_items}
    # A pass's periods not yet ended follow each other (a purchase starts at the current end), so
    # the earliest start and the latest end bound one unbroken validity.
    for card_number, item_code, starts_at, ends_at in session.execute(
        select(CountTimePeriod.card_number, CountTimePeriod.item_code, func.min(CountTimePeriod.starts_at),
               func.max(CountTimePeriod.ends_at))
        .where(CountTimePeriod.card_number.in_(numbers), CountTimePeriod.ends_at > now)
        .group_by(CountTimePeriod.card_number, CountTimePeriod.item_code)
    ):
        found[card_number][item_code] = store_sync_pb2.CachedCountItem(
            item_code=item_code, time_pass=True, valid_from=timestamp(starts_at), valid_until=timestamp(ends_at),
            daily_cap_uses=caps.get(item_code, 0))
    holders = list(found)
    if holders:
        for card_number, item_code, uses in session.execute(
            select(CountTimeUse.card_number, CountTimeUse.item_code, func.sum(CountTimeUse.uses))
            .where(CountTimeUse.card_number.in_(holders), CountTimeUse.business_date == business_date)
            .group_by(CountTimeUse.card_number, CountTimeUse.item_code)
        ):
            held = found[card_number].get(item_code)
            if held is not None and held.time_pass:
                held.used_today = int(uses)
        # The quota counts the card's own transactions at the store today, as online (count_uses.used_today).
        for card_number, details in session.execute(
            select(LedgerTransaction.card_number, LedgerTransaction.details)
            .where(LedgerTransaction.card_number.in_(holders), LedgerTransaction.store_id == store_id,
                   LedgerTransaction.business_date == business_date, LedgerTransaction.type.not_in((PURCHASE, EXPIRY)))
        ):
            for item_code, delta in ((details or {}).get(DETAILS_USES) or {}).items():
                held = found[card_number].get(item_code)
                if held is not None:
                    held.used_here_today -= int(delta)
    return {card_number: [items[code] for code in sorted(items)] for card_number, items in found.items()}
