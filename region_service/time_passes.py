"""Time cards (K4, 月卡, docs/adr/0030): a card's passes of time items, their periods and uses.

A purchase of a time item adds a period (region_service.models.CountTimePeriod) from the later of
now and the card's current end; nothing moves on the ledger but the price. A COUNT_USES tender on
a time item consumes nothing either: the item's period must cover now and its daily cap admit the
uses, and each sale's uses are recorded (CountTimeUse, for reports and the cap); a refund or void
releases uses from the sale's day. Everything runs under the card's row lock (the caller's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaincard import card_types, count_products
from chaincard.errors import FailedPrecondition
from chaincard.ids import new_id
from chaincard.pricing import CountUseIntent
from chaincard.receipts import ReceiptItem
from chaincard.v1 import common_pb2, directory_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service.count_uses import refund_progress, require_at_store
from region_service.models import CountTimePeriod, CountTimeUse, LedgerTransaction
from region_service.translate import timestamp

# Key of a transaction's details: the time-pass uses it took (a sale, positive) or released (a
# refund or void, negative), {item: uses}.
DETAILS_TIME_USES = "time_pass_uses"


@dataclass
class TimeUses:
    """A sale's (or refund's) time-pass uses per item, and the period that covered each item."""

    uses: dict[str, int] = field(default_factory=dict)
    periods: dict[str, str] = field(default_factory=dict)

    def details(self) -> dict[str, object]:
        return {DETAILS_TIME_USES: dict(self.uses)} if self.uses else {}


def is_time_intent(snapshot: pc.ConfigSnapshot, intent: CountUseIntent) -> bool:
    return any(item.code == intent.item_code and count_products.is_time_item(item) for item in snapshot.count_items)


def pass_end(session: Session, card_number: str, item_code: str) -> datetime | None:
    """When the card's pass of ``item_code`` ends (its latest period); None when it never had one."""
    return session.execute(select(func.max(CountTimePeriod.ends_at))
                           .where(CountTimePeriod.card_number == card_number, CountTimePeriod.item_code == item_code)).scalar_one()


def add_period(session: Session, line: count_products.PurchaseLine, *, card_number: str, franchisee_id: str, transaction_id: str,
               package_code: str, now: datetime) -> datetime:
    """Extend the card's pass by the line's days; returns its new end."""
    start, end = count_products.extended_end(pass_end(session, card_number, line.item.code), now, line.days)
    session.add(CountTimePeriod(period_id=new_id(), card_number=card_number, item_code=line.item.code, franchisee_id=franchisee_id,
                                transaction_id=transaction_id, package_code=package_code, price_fen=line.price_fen,
                                starts_at=start, ends_at=end))
    session.flush()
    return end


def used_on(session: Session, card_number: str, item_code: str, business_date: date) -> int:
    """The card's uses of the time item on the business day, net of releases."""
    return int(session.execute(
        select(func.coalesce(func.sum(CountTimeUse.uses), 0))
        .where(CountTimeUse.card_number == card_number, CountTimeUse.item_code == item_code,
               CountTimeUse.business_date == business_date)
    ).scalar_one())


def take_for_sale(session: Session, snapshot: pc.ConfigSnapshot, intents: Sequence[CountUseIntent], *, card_number: str,
                  store: directory_pb2.Store, business_date: date, now: datetime) -> TimeUses:
    """Check each time intent: the item's store list, a period covering now, the daily cap
    (FAILED_PRECONDITION naming the item otherwise). Nothing is written: :func:`record` does it."""
    items = {item.code: item for item in snapshot.count_items}
    taken = TimeUses()
    for intent in intents:
        item = items[intent.item_code]
        require_at_store(item, store)
        period = session.execute(
            select(CountTimePeriod)
            .where(CountTimePeriod.card_number == card_number, CountTimePeriod.item_code == item.code,
                   CountTimePeriod.starts_at <= now, CountTimePeriod.ends_at > now)
            .order_by(CountTimePeriod.starts_at).limit(1)
        ).scalar_one_or_none()
        if period is None:
            raise FailedPrecondition(f"card {card_number} has no time pass of {item.code} valid now")
        count_products.require_within_cap(item, card_number, used_on(session, card_number, item.code, business_date), intent.uses)
        taken.uses[item.code] = intent.uses
        taken.periods[item.code] = period.period_id
    return taken


def record(session: Session, taken: TimeUses, *, card_number: str, transaction_id: str, store_id: str, business_date: date,
           now: datetime) -> None:
    """Keep the uses of a sale (or the releases of a refund) beside its transaction."""
    for item_code, uses in taken.uses.items():
        if uses:
            session.add(CountTimeUse(use_id=new_id(), card_number=card_number, item_code=item_code, transaction_id=transaction_id,
                                     period_id=taken.periods.get(item_code, ""), store_id=store_id, business_date=business_date,
                                     uses=uses, created_at=now))


def give_back(session: Session, original: LedgerTransaction, *, transaction_id: str, store_id: str, count_fen_now: int,
              whole: bool, now: datetime) -> TimeUses:
    """Release the time-pass uses a refund or void of ``original`` returns (all when ``whole``,
    otherwise in proportion to the count-uses fen refunded so far), from the sale's own day."""
    sale_uses = {item: int(uses) for item, uses in ((original.details or {}).get(DETAILS_TIME_USES) or {}).items()}
    released = TimeUses()
    if not sale_uses:
        return released
    earlier, count_fen, refunded_fen = refund_progress(session, original, count_fen_now)
    periods = dict(session.execute(select(CountTimeUse.item_code, CountTimeUse.period_id)
                                   .where(CountTimeUse.transaction_id == original.transaction_id)).all())
    for item, uses in sale_uses.items():
        already = -sum(int((details.get(DETAILS_TIME_USES) or {}).get(item, 0)) for details in earlier)
        n = count_products.released_uses(uses, already, whole=whole, refunded_fen=refunded_fen, count_fen=count_fen)
        if n:
            released.uses[item] = -n
            released.periods[item] = periods.get(item, "")
    record(session, released, card_number=original.card_number, transaction_id=transaction_id, store_id=store_id,
           business_date=original.business_date, now=now)
    return released


def balances(session: Session, snapshot: pc.ConfigSnapshot, card_type_code: str, card_number: str, *, business_date: date,
             now: datetime) -> list[common_pb2.CountUseBalance]:
    """The card's time passes not yet ended, with the day's uses; no query for a card whose type
    holds no time passes (most cards: the money path stays as short as it is)."""
    if not card_types.rules_of(snapshot, card_type_code).time_limited:
        return []
    items = {item.code: item for item in snapshot.count_items}
    ends = session.execute(
        select(CountTimePeriod.item_code, func.max(CountTimePeriod.ends_at))
        .where(CountTimePeriod.card_number == card_number).group_by(CountTimePeriod.item_code)
        .having(func.max(CountTimePeriod.ends_at) > now)
    ).all()
    found = []
    for item_code, end in sorted(ends):
        item = items.get(item_code)
        found.append(common_pb2.CountUseBalance(
            item_code=item_code, uses=0, expires_at=timestamp(end), time_pass=True, period_ends_at=timestamp(end),
            daily_cap_uses=item.daily_cap_uses if item is not None else 0,
            used_today=used_on(session, card_number, item_code, business_date)))
    return found


def receipt_items(taken: TimeUses, passes: Sequence[common_pb2.CountUseBalance]) -> list[ReceiptItem]:
    """Per time item the sale used: the uses and the pass's end (and the day's uses against a cap)."""
    by_item = {held.item_code: held for held in passes if held.time_pass}
    lines = []
    for item, uses in taken.uses.items():
        held = by_item.get(item)
        if held is None:
            lines.append(ReceiptItem(f"Pass {item} -{uses}"[:20], ""))
            continue
        today = f"{held.used_today}/{held.daily_cap_uses} today" if held.daily_cap_uses else "no cap"
        lines += [ReceiptItem(f"Pass {item} -{uses}"[:20], today),
                  ReceiptItem("Pass until", held.period_ends_at.ToDatetime().date().isoformat())]
    return lines
