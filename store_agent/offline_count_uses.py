"""Count-card uses and time passes at a store that cannot reach the card's home region (K1, K3, K4,
docs/adr/0036).

The home region lists each cached card's usable uses per item (by expiry) and its time passes with
RefreshCardCache and with every pushed balance change (store_agent.card_cache). The stand-in takes
a COUNT_USES tender only within what that list shows less what this store's offline sales took
since (offline_count_uses: still queued, or forwarded after the list was read), at a store the
item's store list admits, within the item's per-store daily quota, and, for a time pass, within its
validity and daily cap. Each refusal names the item and the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from chaincard import count_products
from chaincard.pricing import CountUseIntent
from chaincard.receipts import ReceiptItem
from chaincard.v1 import common_pb2
from chaincard.v1 import program_config_pb2 as pc
from store_agent.models import CachedCard, CachedCountItem, CachedCountPack, OfflineAdvice, OfflineCountUse


class NotCountableHere(Exception):
    """The stand-in cannot take these uses: it refuses, giving ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TakenUses:
    """Uses of one item an offline sale takes, and what the card holds after them as this store knows it."""

    item_code: str
    uses: int
    time_pass: bool
    # Count item: uses left after the sale. Time pass: the day's uses after it (against daily_cap_uses).
    left_or_used: int
    daily_cap_uses: int = 0
    valid_until: datetime | None = None


def unreflected_uses(session: Session, card_number: str, item_code: str, since: datetime | None, *,
                     day: date | None = None) -> int:
    """Uses of the item this store's offline sales took that a list read at ``since`` cannot
    include yet (still queued, or forwarded after it); only those of business day ``day`` when given."""
    query = (select(func.coalesce(func.sum(OfflineCountUse.uses), 0))
             .join(OfflineAdvice, OfflineAdvice.advice_id == OfflineCountUse.advice_id)
             .where(OfflineCountUse.card_number == card_number, OfflineCountUse.item_code == item_code,
                    OfflineAdvice.state != "REJECTED"))
    if since is not None:
        query = query.where(or_(OfflineAdvice.forwarded_at.is_(None), OfflineAdvice.forwarded_at > since))
    if day is not None:
        query = query.where(OfflineCountUse.business_date == day)
    return int(session.execute(query).scalar_one())


def take_offline(session: Session, card: CachedCard, intents: Sequence[CountUseIntent], snapshot: pc.ConfigSnapshot, *,
                 store_id: str, now: datetime, today: date, max_age_seconds: int) -> list[TakenUses]:
    """Check each intent against the cache (see the module's docstring); nothing is written."""
    if not intents:
        return []
    number = card.card_number
    listed_at = card.count_items_as_of
    if listed_at is None:
        raise NotCountableHere(f"the count-card uses of card ...{number[-4:]} are not known to this store yet")
    if now - listed_at > timedelta(seconds=max_age_seconds):
        raise NotCountableHere(f"what this store knows of the count-card uses of card ...{number[-4:]} is older than "
                           f"{max_age_seconds // 3600} h")
    items = {item.code: item for item in snapshot.count_items}
    listed_today = card.count_items_day == today
    taken = []
    for intent in intents:
        item = items.get(intent.item_code)
        if item is None:
            raise NotCountableHere(f"{intent.where}.count_item_code: {intent.item_code} is not a count item of the chain")
        if item.store_ids and store_id not in item.store_ids:
            raise NotCountableHere(f"{intent.where}: count item {item.code} is not sold or used at store {store_id}")
        cached = session.get(CachedCountItem, (number, item.code))
        if count_products.is_time_item(item):
            taken.append(_pass_uses(session, card, item, cached, intent, now=now, today=today, listed_today=listed_today))
        else:
            taken.append(_pack_uses(session, card, item, cached, intent, store_id=store_id, now=now, today=today,
                                    listed_today=listed_today))
    return taken


def _pass_uses(session: Session, card: CachedCard, item: pc.CountItem, cached: CachedCountItem | None, intent: CountUseIntent,
               *, now: datetime, today: date, listed_today: bool) -> TakenUses:
    number = card.card_number
    if (cached is None or not cached.time_pass or cached.valid_until is None or cached.valid_until <= now
            or (cached.valid_from is not None and cached.valid_from > now)):
        raise NotCountableHere(f"{intent.where}: card ...{number[-4:]} has no time pass of {item.code} valid now (as last known)")
    cap = item.daily_cap_uses
    used = (cached.used_today if listed_today else 0) + unreflected_uses(session, number, item.code, card.count_items_as_of,
                                                                          day=today)
    if cap and used + intent.uses > cap:
        raise NotCountableHere(f"{intent.where}: time pass {item.code} allows {cap} uses per day; card ...{number[-4:]} used "
                           f"{used} today (as last known, with this store's offline sales), so {intent.uses} more is too many")
    return TakenUses(item.code, intent.uses, True, used + intent.uses, cap, cached.valid_until)


def _pack_uses(session: Session, card: CachedCard, item: pc.CountItem, cached: CachedCountItem | None, intent: CountUseIntent,
               *, store_id: str, now: datetime, today: date, listed_today: bool) -> TakenUses:
    number = card.card_number
    since = card.count_items_as_of
    if item.daily_uses_per_store:
        here = ((cached.used_here_today if cached is not None and listed_today else 0)
                + unreflected_uses(session, number, item.code, since, day=today))
        if here + intent.uses > item.daily_uses_per_store:
            raise NotCountableHere(f"{intent.where}: count item {item.code} allows {item.daily_uses_per_store} uses per day at "
                               f"store {store_id}; card ...{number[-4:]} used {here} today, so {intent.uses} more is too many")
    listed = session.execute(
        select(func.coalesce(func.sum(CachedCountPack.uses), 0))
        .where(CachedCountPack.card_number == number, CachedCountPack.item_code == item.code,
               or_(CachedCountPack.expires_at.is_(None), CachedCountPack.expires_at > now))
    ).scalar_one()
    spent = unreflected_uses(session, number, item.code, since)
    usable = max(int(listed) - spent, 0)
    if usable < intent.uses:
        less = f" ({spent} taken by this store's offline sales since)" if spent else ""
        raise NotCountableHere(f"{intent.where}: card ...{number[-4:]} has {usable} usable uses of {item.code} as last "
                           f"known{less}; the sale needs {intent.uses}")
    return TakenUses(item.code, intent.uses, False, usable - intent.uses)


def balances_after(taken: Sequence[TakenUses]) -> list[common_pb2.CountUseBalance]:
    """The items the sale used, as the card holds them after it (this store's estimate)."""
    found = []
    for uses in taken:
        if uses.time_pass:
            until = common_pb2.CountUseBalance(item_code=uses.item_code, time_pass=True, daily_cap_uses=uses.daily_cap_uses,
                                               used_today=uses.left_or_used)
            if uses.valid_until is not None:
                until.period_ends_at.FromDatetime(uses.valid_until)
                until.expires_at.FromDatetime(uses.valid_until)
            found.append(until)
        else:
            found.append(common_pb2.CountUseBalance(item_code=uses.item_code, uses=uses.left_or_used))
    return found


def count_receipt_items(taken: Sequence[TakenUses]) -> list[ReceiptItem]:
    """Per item the sale used, as the online receipt prints it: the uses and what is left (estimated)."""
    lines = []
    for uses in taken:
        if uses.time_pass:
            today = f"{uses.left_or_used}/{uses.daily_cap_uses} today" if uses.daily_cap_uses else "no cap"
            lines.append(ReceiptItem(f"Pass {uses.item_code} -{uses.uses}"[:20], today))
        else:
            lines.append(ReceiptItem(f"Uses {uses.item_code} -{uses.uses}"[:20], f"{uses.left_or_used} left"))
    return lines
