"""Count-card products beyond a single pack (docs/adr/0030), as pure rules: packages (K2) and time
items (K4, 月卡). No database, no gRPC: the region's purchase, checkout and refund commands read them.

- A **time item** is a CountItem with ``period_days`` > 0: a purchase grants unlimited use of its
  SKUs for ``packs × period_days`` days, from the later of now and the card's current end, instead
  of uses; ``daily_cap_uses`` caps one card's uses per business day (any store).
- A **package** (CountPackage) sells several items for one price. The price is recognised per
  item pro rata by each item's own value (its pack price per use, or per period, × the uses or
  periods the package gives), the remainder fen on the last item, so each pack row carries its share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from chaincard.card_types import CardTypeRefused, rules
from chaincard.errors import FailedPrecondition
from chaincard.v1 import program_config_pb2 as pc


def is_time_item(item: pc.CountItem) -> bool:
    return item.period_days > 0


@dataclass(frozen=True)
class PurchaseLine:
    """What one purchase adds of one item: ``quantity`` uses (a time item: periods) for ``price_fen``."""

    item: pc.CountItem
    quantity: int
    price_fen: int
    validity_days: int

    @property
    def days(self) -> int:
        """For a time item: the days the purchase adds to the pass."""
        return self.quantity * self.item.period_days


def item_line(item: pc.CountItem, packs: int) -> PurchaseLine:
    """``packs`` packs of ``item`` bought alone."""
    quantity = packs if is_time_item(item) else packs * item.uses_per_pack
    return PurchaseLine(item, quantity, packs * item.pack_price_fen, item.validity_days)


def _value(item: pc.CountItem, quantity: int) -> Fraction:
    """The item's own price of ``quantity`` uses (a time item: periods), by its pack price."""
    if is_time_item(item):
        return Fraction(item.pack_price_fen * quantity)
    return Fraction(item.pack_price_fen * quantity, max(item.uses_per_pack, 1))


def package_lines(package: pc.CountPackage, items: Mapping[str, pc.CountItem], packages: int) -> list[PurchaseLine]:
    """The lines of ``packages`` packages: each item's uses × packages, and its share of the price,
    pro rata by value (by quantity when every item is free alone), the remainder on the last line."""
    chosen = [(items[line.item_code], line.uses * packages) for line in package.items]
    weights = [_value(item, quantity) for item, quantity in chosen]
    if not any(weights):
        weights = [Fraction(quantity) for _, quantity in chosen]
    total_weight = sum(weights, Fraction(0))
    price = package.price_fen * packages
    shares = [int(price * weight / total_weight) for weight in weights[:-1]]  # floor: all weights and prices are >= 0
    shares.append(price - sum(shares))
    return [PurchaseLine(item, quantity, share, package.validity_days or item.validity_days)
            for (item, quantity), share in zip(chosen, shares, strict=True)]


def extended_end(current_end: datetime | None, now: datetime, days: int) -> tuple[datetime, datetime]:
    """A time pass bought now for ``days``: (start, end), starting at the later of now and the current end."""
    start = max(current_end, now) if current_end is not None else now
    return start, start + timedelta(days=days)


def require_holdable(card_type: pc.CardType | None, item: pc.CountItem, card_type_code: str = "") -> None:
    """The card's type may hold ``item``: ``time_limited`` for a time item, ``count_uses`` for a count
    item, and the item among its ``count_item_codes`` when it lists any (FAILED_PRECONDITION)."""
    allowed = rules(card_type, card_type_code)
    if is_time_item(item) and not allowed.time_limited:
        raise CardTypeRefused(allowed.code, "time_limited", f"is not a time card: time item {item.code} cannot be bought")
    if not is_time_item(item) and not allowed.count_uses:
        raise CardTypeRefused(allowed.code, "count_uses", "carries no count uses")
    if card_type is not None and card_type.count_item_codes and item.code not in card_type.count_item_codes:
        raise FailedPrecondition(f"card type {card_type.code} does not carry count item {item.code}")


def require_within_cap(item: pc.CountItem, card_number: str, used_today: int, wanted: int) -> None:
    """A time item's daily cap admits ``wanted`` more uses after ``used_today`` (FAILED_PRECONDITION)."""
    if item.daily_cap_uses and used_today + wanted > item.daily_cap_uses:
        raise FailedPrecondition(f"time item {item.code} allows {item.daily_cap_uses} uses per day; card {card_number} "
                                 f"used {used_today} today, so {wanted} more is too many")


def released_uses(taken: int, already_released: int, *, whole: bool, refunded_fen: int, count_fen: int) -> int:
    """Uses a refund releases of ``taken``: all still out when ``whole``; otherwise in proportion to
    the count-uses fen refunded so far (this refund's included), rounded down, less earlier releases."""
    target = taken if whole or not count_fen else min(taken, taken * refunded_fen // count_fen)
    return max(target - already_released, 0)
