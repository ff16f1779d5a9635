"""The offline stand-in (X4, DESIGN §4): while the region is unreachable, the agent approves a
checkout alone, within its limits, and queues it as an advice for the card's home region.

A spend is approved only if, checked in this order (the first that fails is the reason given):
1. the card is in the cache, fully described, described recently enough (card_cache_max_age_seconds),
   ACTIVE, not past its expiry, and has no PIN (a PIN cannot be checked offline: docs/adr/0011);
2. the basket uses no points as cash, no coupons and no second member card;
3. the stored value it takes is covered by the card's last known balance less what this store
   approved offline since that balance was read (priced by chaincard.pricing on those balances);
4. that stored value is at most the PIN-less limit of one offline spend (default ¥100);
5. with what this store already approved offline for the card today, it stays within the card's
   offline floor (default ¥200/day; the region's allowance for the card when it gave one);
6. with every advice still queued, the store's offline exposure stays within its limit (¥5,000).
Refusals are FAILED_PRECONDITION with the reason ("don't retry": a till or a channel retry policy
must not resend a refused sale in a loop; the cashier takes another payment). The journal keeps
the request PENDING, so the same request_id can still be sent once the link is back. The approval, the queued advice, the journal's answer and the
receipt are written in one SQLite transaction (WAL, synchronous=FULL): an approved sale is never lost.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.business_day import business_date
from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ids import new_id
from chaincard.money import format_fen
from chaincard.pricing import (
    BasketLine,
    CheckoutInput,
    CheckoutPlan,
    PricingError,
    SaleContext,
    StoredValue,
    TenderIntent,
    TenderKind,
    price_checkout,
)
from chaincard.receipts import WIDTH_58MM, ReceiptItem, amount_row, render, to_document
from chaincard.v1 import common_pb2, store_sync_pb2, transactions_pb2
from region_service import pricing_terms  # pure: proto snapshot → pricing terms, shared with the region
from store_agent.config_sync import StoreConfig
from store_agent.models import CachedCard, OfflineAdvice, OutgoingRequest, Receipt
from store_agent.receipts import OFFLINE_MARK

_TENDERS = {
    common_pb2.TENDER_TYPE_STORED_VALUE: TenderKind.STORED_VALUE,
    common_pb2.TENDER_TYPE_CASH: TenderKind.CASH,
    common_pb2.TENDER_TYPE_BANK_CARD: TenderKind.BANK_CARD,
    common_pb2.TENDER_TYPE_MOBILE_PAY: TenderKind.MOBILE_PAY,
}


class OfflineRefused(FailedPrecondition):
    """Beyond the offline limits: FAILED_PRECONDITION, with the reason for the cashier."""


def _refuse(reason: str) -> OfflineRefused:
    return OfflineRefused(f"store offline, sale not approved: {reason}. Take another payment, or retry once the link is back")


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _tender_value(kind: TenderKind) -> int:
    return common_pb2.TenderType.Value("TENDER_TYPE_" + str(kind))


def unreflected(session: Session, card_number: str, since: datetime | None, *, day: date | None = None) -> tuple[int, int, int]:
    """(principal, bonus, points) of this store's advices for the card that a region answer read at
    ``since`` cannot include yet: still queued, or forwarded after it."""
    query = select(
        func.coalesce(func.sum(OfflineAdvice.principal_fen), 0), func.coalesce(func.sum(OfflineAdvice.bonus_fen), 0),
        func.coalesce(func.sum(OfflineAdvice.points_earned), 0),
    ).where(OfflineAdvice.card_number == card_number)
    if since is not None:
        query = query.where(or_(OfflineAdvice.forwarded_at.is_(None), OfflineAdvice.forwarded_at > since))
    if day is not None:
        query = query.where(OfflineAdvice.business_date == day)
    principal, bonus, points = session.execute(query).one()
    return int(principal), int(bonus), int(points)


def queued_exposure(session: Session) -> int:
    return int(session.execute(
        select(func.coalesce(func.sum(OfflineAdvice.stored_value_fen), 0)).where(OfflineAdvice.state == "QUEUED")
    ).scalar_one())


class OfflineStandIn:
    def __init__(self, store_id: str, session_factory: sessionmaker[Session], config: StoreConfig, settings: Settings) -> None:
        self.store_id = store_id
        self.session_factory = session_factory
        self.config = config
        self.settings = settings
        # Approvals are decided one at a time: exposure and per-card totals are read, then written.
        self._lock = threading.Lock()

    def business_day(self, moment: datetime) -> date:
        store = self.config.store()
        zone = (store.time_zone if store is not None else "") or self.settings.business_time_zone
        return business_date(moment, zone, self.settings.business_day_cutoff)

    # ---- the checks ----------------------------------------------------------------------------------
    def _usable_card(self, card: CachedCard | None, number: str, now: datetime, max_age: int) -> CachedCard:
        if card is None:
            raise _refuse(f"card ...{number[-4:]} has not been seen at this store recently, so its balance is unknown")
        if not card.complete or card.refreshed_at is None:
            raise _refuse(f"card ...{number[-4:]} is not fully known to this store yet")
        if now - card.refreshed_at > timedelta(seconds=max_age):
            raise _refuse(f"what this store knows of card ...{number[-4:]} is older than {max_age // 3600} h")
        if card.state != "ACTIVE":
            raise FailedPrecondition(f"card {number} is {card.state.lower()} (as last known); it cannot be used")
        if card.expires_at is not None and card.expires_at <= now:
            raise FailedPrecondition(f"card {number} expired on {card.expires_at.date().isoformat()}")
        if card.pin_set:
            raise _refuse(f"card ...{number[-4:]} has a PIN, and a PIN cannot be checked while offline")
        return card

    def _price(self, request: transactions_pb2.CheckoutRequest, card: CachedCard, held: StoredValue, now: datetime) -> CheckoutPlan:
        snapshot = self.config.snapshot()
        assert snapshot is not None
        store = self.config.store()
        zone = (store.time_zone if store is not None else "") or self.settings.business_time_zone
        level = next((level for level in snapshot.levels if level.code == card.level_code), None)
        intents = []
        for index, tender in enumerate(request.tenders):
            kind = _TENDERS.get(tender.type)
            if tender.type in (common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD, common_pb2.TENDER_TYPE_COUNT_USES):
                raise _refuse("a second member card or count-card uses cannot be taken offline")
            if kind is None:
                raise InvalidArgument(f"tenders[{index}].type", "must be stored value, cash, bank card or mobile pay")
            intents.append(TenderIntent(kind=kind, amount_fen=tender.amount_fen))
        lines = [
            BasketLine(sku=line.sku, name=line.name or line.sku, category=line.category, quantity=line.quantity,
                       unit_price_fen=line.unit_price_fen)
            for line in request.lines
        ]
        for index, line in enumerate(lines):
            if not line.sku:
                raise InvalidArgument(f"lines[{index}].sku", "is required")
        try:
            return price_checkout(CheckoutInput(
                lines=lines,
                # The member's birthday is not cached: offline sales earn no birthday points.
                context=SaleContext(store_id=self.store_id, level_code=card.level_code,
                                    local_time=now.astimezone(ZoneInfo(zone)), is_birthday=False),
                card_number=card.card_number,
                level=pricing_terms.level_terms(level),
                stored_value=held,
                points_balance=max(card.points, 0),
                points_to_redeem=0,
                points_policy=pricing_terms.points_policy(snapshot),
                tenders=intents,
                split_rule=pricing_terms.split_rule(snapshot),
                earn_rules=pricing_terms.earn_rules(snapshot),
            ))
        except PricingError as error:
            if error.precondition:
                raise _refuse(f"{error.problem} (last known balance, less today's offline sales)") from error
            raise InvalidArgument(error.field, error.problem) from error

    # ---- the approval --------------------------------------------------------------------------------
    def approve(self, request: transactions_pb2.CheckoutRequest, *, in_doubt: bool = False) -> transactions_pb2.CheckoutResponse:
        """Approve alone, or refuse saying why. ``in_doubt``: the request was sent and timed out, so
        the region may yet take it; a refusal then tells the till to retry with the same request_id
        once the link is back (which returns the region's answer if it did) before charging again."""
        try:
            return self._approve(request)
        except OfflineRefused as refusal:
            if not in_doubt:
                raise
            raise OfflineRefused(
                f"{refusal.message} — NOTE: the region may have received this sale before the link dropped; "
                "retry it with the same request_id once the link is back to learn whether it was taken"
            ) from refusal

    def _approve(self, request: transactions_pb2.CheckoutRequest) -> transactions_pb2.CheckoutResponse:
        if self.config.snapshot() is None:
            raise _refuse("this store has no program configuration yet")
        if not request.card_number:
            raise InvalidArgument("card_number", "is required")
        if request.coupon_codes:
            raise InvalidArgument("coupon_codes", "coupons are not accepted yet")
        if request.points_to_redeem < 0:
            raise InvalidArgument("points_to_redeem", "must not be negative")
        if request.points_to_redeem:
            raise _refuse("points cannot be used as cash while offline")
        limits = self.config.limits()
        with self._lock, self.session_factory.begin() as session:
            entry = session.get(OutgoingRequest, request.request_id)
            if entry is not None and entry.state == "DONE" and entry.response is not None:
                return transactions_pb2.CheckoutResponse.FromString(entry.response)  # a twin got here first
            now = utc_now()
            today = self.business_day(now)
            card = self._usable_card(
                session.get(CachedCard, request.card_number), request.card_number, now, limits.card_cache_max_age_seconds
            )
            spent_principal, spent_bonus, earned = unreflected(session, card.card_number, card.balances_as_of)
            held = StoredValue(max(card.principal_fen - spent_principal, 0), max(card.bonus_fen - spent_bonus, 0))
            plan = self._price(request, card, held, now)
            own = [t for t in plan.tenders if t.kind is TenderKind.STORED_VALUE]
            stored_value = sum(t.amount_fen for t in own)
            if stored_value > limits.pinless_limit_fen:
                raise _refuse(f"{format_fen(stored_value)} from the card is above the {format_fen(limits.pinless_limit_fen)} "
                              "limit of one offline spend")
            daily = limits.card_daily_limit_fen
            since = None
            if card.offline_allowance_fen is not None and card.allowance_as_of is not None and self.business_day(card.allowance_as_of) == today:
                daily, since = min(daily, card.offline_allowance_fen), card.allowance_as_of
            used = sum(unreflected(session, card.card_number, since, day=today)[:2])
            if stored_value and used + stored_value > daily:
                raise _refuse(f"card ...{card.card_number[-4:]} may spend {format_fen(daily)} offline per day and "
                              f"{format_fen(used)} is already approved today")
            exposure = queued_exposure(session)
            if stored_value and exposure + stored_value > limits.store_exposure_limit_fen:
                raise _refuse(f"the store's offline exposure would exceed {format_fen(limits.store_exposure_limit_fen)} "
                              f"({format_fen(exposure)} awaits forwarding)")
            if not stored_value and not plan.points_earned:
                raise FailedPrecondition("nothing to record on the card: the sale is paid entirely by external tenders and earns no points")
            return self._record(session, request, card, held, plan, own, now, today, earned)

    def _record(self, session: Session, request: transactions_pb2.CheckoutRequest, card: CachedCard, held: StoredValue,  # type: ignore[no-untyped-def]
                plan: CheckoutPlan, own, now: datetime, today: date, earned_before: int) -> transactions_pb2.CheckoutResponse:
        principal, bonus = sum(t.principal_fen for t in own), sum(t.bonus_fen for t in own)
        balances_after = common_pb2.Balances(
            principal_fen=held.principal_fen - principal, bonus_fen=held.bonus_fen - bonus,
            points=card.points + earned_before + plan.points_earned,
        )
        transaction_id = new_id()
        tenders = [
            transactions_pb2.AppliedTender(
                type=_tender_value(t.kind), amount_fen=t.amount_fen, principal_fen=t.principal_fen, bonus_fen=t.bonus_fen,
                card_number=card.card_number if t.kind is TenderKind.STORED_VALUE else "",
            )
            for t in plan.tenders
        ]
        store = self.config.store()
        title = f"SALE  {store.name if store is not None else self.store_id}"
        items = self._receipt_items(plan, card, balances_after, today, transaction_id)
        lines = render(title, items, WIDTH_58MM, marks=[OFFLINE_MARK])
        response = transactions_pb2.CheckoutResponse(
            transaction=common_pb2.Transaction(
                transaction_id=transaction_id, type=common_pb2.TRANSACTION_TYPE_SPEND, card_number=card.card_number,
                store_id=self.store_id, amount_fen=plan.total_due_fen, principal_delta_fen=-principal, bonus_delta_fen=-bonus,
                points_delta=plan.points_earned, balances_after=balances_after, occurred_at=_timestamp(now),
                business_date=today.isoformat(), home_region=card.home_region, operator_id=request.operator_id,
                request_id=request.request_id,
            ),
            subtotal_fen=plan.subtotal_fen, discount_fen=plan.discount_fen, points_deduction_fen=0, total_due_fen=plan.total_due_fen,
            tenders=tenders, points_earned=plan.points_earned, points_redeemed=0, balances_after=balances_after,
            receipt=[common_pb2.ReceiptLine(text=line) for line in lines], offline=True,
            lines=[
                transactions_pb2.PricedLine(
                    sku=line.sku, quantity=line.quantity, gross_fen=line.gross_fen, level_discount_fen=line.level_discount_fen,
                    coupon_discount_fen=line.coupon_discount_fen, points_deduction_fen=line.points_deduction_fen,
                    net_fen=line.net_fen, points_earned=line.points_earned,
                )
                for line in plan.lines
            ],
        )
        checkout = transactions_pb2.CheckoutRequest()
        checkout.CopyFrom(request)
        checkout.pin = ""
        row = OfflineAdvice(
            advice_id=request.request_id, card_number=card.card_number, business_date=today, stored_value_fen=principal + bonus,
            principal_fen=principal, bonus_fen=bonus, points_earned=plan.points_earned, transaction_id=transaction_id,
            approved_at=now, advice=b"", state="QUEUED", attempts=0,
        )
        session.add(row)
        session.flush()  # the sequence is SQLite's rowid
        row.advice = store_sync_pb2.OfflineAdvice(
            advice_id=request.request_id, sequence=row.sequence, store_id=self.store_id, checkout=checkout,
            offline_result=response, approved_at=_timestamp(now), pin_entered=bool(request.pin),
        ).SerializeToString()
        entry = session.get(OutgoingRequest, request.request_id)
        if entry is not None:
            entry.state, entry.response, entry.updated_at = "DONE", response.SerializeToString(), now
        session.add(Receipt(
            transaction_id=transaction_id, text="\n".join(lines), card_number=card.card_number,
            document=to_document(title, items, [OFFLINE_MARK]), offline=True,
        ))
        return response

    @staticmethod
    def _receipt_items(plan: CheckoutPlan, card: CachedCard, after: common_pb2.Balances, today: date,
                       transaction_id: str) -> list[ReceiptItem]:
        items = [ReceiptItem(f"{line.quantity} x {line.name}"[:22], format_fen(line.gross_fen)) for line in plan.lines]
        items.append(amount_row("Subtotal", plan.subtotal_fen))
        if plan.level_discount_fen:
            items.append(amount_row("Member discount", -plan.level_discount_fen))
        items.append(amount_row("Total", plan.total_due_fen))
        for tender in plan.tenders:
            label = "card" if tender.kind is TenderKind.STORED_VALUE else str(tender.kind).lower().replace("_", " ")
            items.append(amount_row(f"Paid {label}"[:22], tender.amount_fen))
        items.append(ReceiptItem("Points earned", str(plan.points_earned)))
        items += [ReceiptItem(note[:32]) for note in plan.notes]
        items += [
            ReceiptItem("-"),
            amount_row("Principal left (est.)", after.principal_fen),
            amount_row("Bonus left (est.)", after.bonus_fen),
            ReceiptItem("Points (est.)", str(after.points)),
            ReceiptItem(f"Card ...{card.card_number[-4:]}", today.isoformat()),
            ReceiptItem("Txn", transaction_id[-12:]),
            ReceiptItem("Approved offline; posted to"),
            ReceiptItem("your card when the link returns"),
        ]
        return items
