"""The offline stand-in (X4, DESIGN §4): while the region is unreachable, the agent approves a
checkout alone, within its limits, and queues it as an advice for the card's home region.

A spend is approved only if, checked in this order (the first that fails is the reason given):
1. the card is in the cache, fully described, described recently enough (card_cache_max_age_seconds),
   ACTIVE, not past its expiry, and has no PIN (a PIN cannot be checked offline: docs/adr/0011);
2. the basket uses no points as cash and no second member card; each coupon it names is one of the
   card's AVAILABLE coupons as the region last listed them (RefreshCardCache or the balance push,
   within card_cache_max_age_seconds) and no offline sale of this store used it since; the core
   then checks the coupon's rules as online (docs/adr/0025); each COUNT_USES tender stays within
   the card's cached uses of the item less those this store's offline sales took since, the item's
   store list and per-store daily quota, and for a time pass its validity and daily cap
   (store_agent.offline_count_uses, docs/adr/0036);
3. the stored value it takes is covered by the card's last known balance less what this store
   approved offline since that balance was read, less what the card owes (held back from principal
   first, then bonus, as online: chaincard.ledger.receivables; priced by chaincard.pricing on it);
4. that stored value is at most the PIN-less limit of one offline spend (default ¥100);
5. with what this store already approved offline for the card today, it stays within the card's
   offline floor (default ¥200/day; the region's allowance for the card when it gave one);
6. with every advice still queued, the store's offline exposure stays within its limit (¥5,000).
Refusals are FAILED_PRECONDITION with the reason ("don't retry": a till or a channel retry policy
must not resend a refused sale in a loop; the cashier takes another payment). The journal keeps
the request PENDING, so the same request_id can still be sent once the link is back. The approval, the queued advice, the journal's answer and the
receipt are written in one SQLite transaction (WAL, synchronous=FULL): an approved sale is never lost.
The coupons it used are marked used here in that same transaction (offline_coupon_uses): a second
offline sale naming one of them is refused. The advice carries the codes (the checkout's
coupon_codes) and their discounts (the offline answer's coupons); the home region redeems them, or
flags the sale when one was used elsewhere meanwhile (region_service.handlers.advices).

The same stand-in, with the same limits, serves a card whose home region does not answer while the
store's own region does (``home_region``: the region answered UNAVAILABLE with the
``chaincard-unreachable-region`` trailer). Then the refusal names that cause ("home region E not
answering, sale not approved: …", not "store offline") and the receipt carries the mark
"home region E not answering" under the OFFLINE mark; every other card keeps selling online.

A sale by QR member code is stood in for when the store holds the card's key (docs/adr/0026,
store_agent.offline_codes): the code is verified first (forged: INVALID_ARGUMENT; expired or already
taken by an offline sale here: FAILED_PRECONDITION; a card this store has no key for: refused as
above), then the sale is checked as one by card number; the code is taken in the sale's transaction
and its advice carries it (OfflineAdvice.member_code), with checkout.card_number naming the card.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from chaincard import member_codes
from chaincard.business_day import store_business_date
from chaincard.checkout import receipt
from chaincard.checkout.quote import quote, quote_response
from chaincard.checkout.receipt import OFFLINE_MARK
from chaincard.checkout.request import (
    CheckoutFields,
    NotTakenOffline,
    PricingRefused,
    checkout_fields,
    price,
    pricing_input,
    require_card_movement,
)
from chaincard.checkout.response import checkout_response
from chaincard.config import Settings
from chaincard.coupons.rules import HeldCoupon
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition
from chaincard.ids import new_id
from chaincard.ledger.receivables import spendable_stored_value
from chaincard.money import format_fen
from chaincard.pricing import AppliedTender, CheckoutPlan, StoredValue, TenderKind
from chaincard.receipts import WIDTH_58MM, render, to_document
from chaincard.v1 import common_pb2, members_pb2, store_sync_pb2, transactions_pb2
from store_agent.config_sync import StoreConfig
from store_agent.models import (
    CachedCard,
    CachedCoupon,
    OfflineAdvice,
    OfflineCountUse,
    OfflineCouponUse,
    OutgoingRequest,
    Receipt,
)
from store_agent.offline_codes import NotCheckableHere, checked_offline, found_offline, take_offline
from store_agent.offline_count_uses import NotCountableHere, TakenUses, count_receipt_items
from store_agent.offline_count_uses import balances_after as balances_after_uses
from store_agent.offline_count_uses import take_offline as take_uses_offline
from store_agent.region_link import home_region_message


class OfflineRefused(FailedPrecondition):
    """Beyond the offline limits: FAILED_PRECONDITION, with the reason for the cashier."""


def _refuse(reason: str) -> OfflineRefused:
    return OfflineRefused(f"store offline, sale not approved: {reason}. Take another payment, or retry once the link is back")


def _cause_named(refusal: OfflineRefused, home_region: str) -> OfflineRefused:
    """A refusal of the stand-in for a card whose home region does not answer (this store's link is up)."""
    if not home_region:
        return refusal
    reason = refusal.message.removeprefix("store offline, sale not approved: ").removesuffix(
        ". Take another payment, or retry once the link is back")
    return OfflineRefused(f"{home_region_message(home_region)} (this store is online), sale not approved: {reason}. "
                          f"Take another payment, or retry once region {home_region} answers again")


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _by_card(request: transactions_pb2.CheckoutRequest) -> transactions_pb2.CheckoutRequest:
    """A copy of the checkout naming the card itself where the till scanned a QR member code."""
    checkout = transactions_pb2.CheckoutRequest()
    checkout.CopyFrom(request)
    checkout.card_number = member_codes.card_number_of(request.card_number)
    return checkout


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


def used_offline(session: Session, coupon_code: str, listed_at: datetime | None) -> OfflineAdvice | None:
    """The advice of this store's offline sale that used the coupon and that a coupon list read at
    ``listed_at`` cannot include yet (still queued, or forwarded after it); None when there is none."""
    query = (select(OfflineAdvice).join(OfflineCouponUse, OfflineCouponUse.advice_id == OfflineAdvice.advice_id)
             .where(OfflineCouponUse.coupon_code == coupon_code))
    if listed_at is not None:
        query = query.where(or_(OfflineAdvice.forwarded_at.is_(None), OfflineAdvice.forwarded_at > listed_at))
    return session.execute(query.order_by(OfflineAdvice.sequence.desc()).limit(1)).scalar_one_or_none()


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
        return store_business_date(moment, store.time_zone if store is not None else "",
                                   chain_time_zone=self.settings.business_time_zone, cutoff=self.settings.business_day_cutoff)

    def home_region_elsewhere(self, card_number: str) -> str:
        """The card's home region as last known, when it is not this store's region; "" otherwise."""
        store = self.config.store()
        with self.session_factory() as session:
            card = session.get(CachedCard, card_number)
        home = card.home_region if card is not None else ""
        return home if home and store is not None and home != store.region_code else ""

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

    @staticmethod
    def _cached_coupons(session: Session, fields: CheckoutFields, card: CachedCard, now: datetime,
                        max_age: int) -> list[HeldCoupon | str]:
        """Each coupon the sale names, in order, as this store last knew it, or why this store cannot
        take it (it does not know it, or one of its offline sales already used it); the core checks
        the rest, as online."""
        number = card.card_number
        listed_at = card.coupons_as_of
        if fields.coupon_codes and listed_at is None:
            return [f"the coupons of card ...{number[-4:]} are not known to this store yet"] * len(fields.coupon_codes)
        if fields.coupon_codes and listed_at is not None and now - listed_at > timedelta(seconds=max_age):
            stale = f"what this store knows of the coupons of card ...{number[-4:]} is older than {max_age // 3600} h"
            return [stale] * len(fields.coupon_codes)
        found: list[HeldCoupon | str] = []
        for code in fields.coupon_codes:
            used = used_offline(session, code, listed_at)
            cached = session.get(CachedCoupon, code)
            if used is not None:
                found.append(f"coupon {code} was already used offline at this store "
                             f"(sale {used.transaction_id}, {used.approved_at:%Y-%m-%d %H:%M} UTC)")
            elif cached is None:
                found.append(f"coupon {code} is not among the usable coupons this store knows of card ...{number[-4:]}")
            else:
                found.append(HeldCoupon(coupon_code=cached.coupon_code, template_code=cached.template_code,
                                        card_number=cached.card_number, state=cached.state,
                                        valid_from=cached.valid_from, valid_until=cached.valid_until))
        return found

    def _held_coupons(self, session: Session, fields: CheckoutFields, card: CachedCard, now: datetime,
                      max_age: int) -> list[HeldCoupon]:
        """The sale's coupons from the cache, or the refusal of the first this store cannot take."""
        held = []
        for index, found in enumerate(self._cached_coupons(session, fields, card, now, max_age)):
            if isinstance(found, str):
                raise _refuse(f"coupon_codes[{index}]: {found}")
            held.append(found)
        return held

    def _count_uses(self, session: Session, fields: CheckoutFields, card: CachedCard, now: datetime, today: date,
                    max_age: int) -> list[TakenUses]:
        """The sale's count-card uses checked against the cache, or the refusal naming the item and limit."""
        snapshot = self.config.snapshot()
        assert snapshot is not None
        try:
            return take_uses_offline(session, card, fields.count_uses, snapshot, store_id=self.store_id, now=now,
                                     today=today, max_age_seconds=max_age)
        except NotCountableHere as refused:
            raise _refuse(refused.reason) from refused

    def _price(self, fields: CheckoutFields, card: CachedCard, spendable: StoredValue, now: datetime,
               coupons: list[HeldCoupon]) -> CheckoutPlan:
        snapshot = self.config.snapshot()
        assert snapshot is not None
        store = self.config.store()
        zone = (store.time_zone if store is not None else "") or self.settings.business_time_zone
        try:
            # The member's birthday is not cached: offline sales earn no birthday points.
            return price(pricing_input(
                fields, snapshot, store_id=self.store_id, local_time=now.astimezone(ZoneInfo(zone)), level_code=card.level_code,
                stored_value=spendable, points_balance=max(card.points, 0),
                coupons=coupons, issuing_franchisee_id=card.issuing_franchisee_id, card_type_code=card.card_type_code,
            ))
        except PricingRefused as refused:
            if refused.field.startswith("coupon_codes"):  # a coupon's rule, as online
                raise _refuse(f"{refused.field}: {refused.problem}") from refused
            owes = f", less the {format_fen(card.owed_fen)} the card owes" if card.owed_fen > 0 else ""
            raise _refuse(f"{refused.problem} (last known balance, less today's offline sales{owes})") from refused

    @staticmethod
    def _held(session: Session, card: CachedCard) -> tuple[StoredValue, StoredValue, int]:
        """What the card holds as this store knows it (last known balance less this store's advices the
        region had not counted then), what of it may be spent, and the points those advices earned."""
        spent_principal, spent_bonus, earned = unreflected(session, card.card_number, card.balances_as_of)
        held = StoredValue(max(card.principal_fen - spent_principal, 0), max(card.bonus_fen - spent_bonus, 0))
        # What the card owes is held back, as online (docs/adr/0018): the stand-in adds to no debt it knows of.
        spendable = StoredValue(*spendable_stored_value(held.principal_fen, held.bonus_fen, max(card.owed_fen, 0)))
        return held, spendable, earned

    # ---- a look-up by code ---------------------------------------------------------------------------
    def find_by_code(self, text: str) -> members_pb2.FindMemberResponse:
        """FindMember by a QR member code while its home region cannot be reached: the code checked
        (not taken) as the sale will check it, the member's id and the card from the card cache."""
        with self.session_factory() as session:
            code = self._checked_code(session, text, utc_now(), "qr_token")
            card = session.get(CachedCard, code.card_number)
            assert card is not None  # checked_offline found it
            return found_offline(card)

    # ---- the quote -----------------------------------------------------------------------------------
    def quote(self, request: transactions_pb2.QuoteCheckoutRequest, *, home_region: str = "") -> transactions_pb2.QuoteCheckoutResponse:
        """What the stand-in would charge for this basket now, priced as :meth:`approve` prices it, on
        the card cache; nothing is written. The limits on what it may approve are checked only when
        the sale comes (a quote is no approval). Points as cash are refused as the sale would be; a
        coupon the sale could not use (the core's rules, or not usable here: unknown to this store,
        already used offline here) is left out and listed with the reason, as online."""
        if self.config.snapshot() is None:
            raise _cause_named(_refuse("this store has no program configuration yet"), home_region)
        checkout = transactions_pb2.CheckoutRequest(
            store_id=request.store_id, card_number=member_codes.card_number_of(request.card_number), lines=request.lines,
            points_to_redeem=request.points_to_redeem, coupon_codes=request.coupon_codes, tenders=request.tenders,
        )
        try:
            fields = checkout_fields(checkout, offline=True)
        except NotTakenOffline as refused:
            raise _cause_named(_refuse(refused.reason), home_region) from refused
        limits = self.config.limits()
        now = utc_now()
        try:
            with self.session_factory() as session:
                if member_codes.is_member_code(request.card_number):  # checked, not taken: the sale takes it
                    self._checked_code(session, request.card_number, now)
                card = self._usable_card(session.get(CachedCard, fields.card_number), fields.card_number, now,
                                         limits.card_cache_max_age_seconds)
                held, spendable, earned = self._held(session, card)
                cached = self._cached_coupons(session, fields, card, now, limits.card_cache_max_age_seconds)
        except OfflineRefused as refused:
            raise _cause_named(refused, home_region) from refused
        usable = [coupon for coupon in cached if isinstance(coupon, HeldCoupon)]
        not_here = [(code, why) for code, why in zip(fields.coupon_codes, cached, strict=True) if isinstance(why, str)]
        fields = replace(fields, coupon_codes=tuple(coupon.coupon_code for coupon in usable))
        snapshot = self.config.snapshot()
        assert snapshot is not None
        store = self.config.store()
        zone = (store.time_zone if store is not None else "") or self.settings.business_time_zone
        priced = quote(pricing_input(
            fields, snapshot, store_id=self.store_id, local_time=now.astimezone(ZoneInfo(zone)), level_code=card.level_code,
            stored_value=spendable, points_balance=max(card.points, 0),
            coupons=usable, issuing_franchisee_id=card.issuing_franchisee_id, card_type_code=card.card_type_code,
        ))
        response = quote_response(priced, balances=common_pb2.Balances(
            principal_fen=held.principal_fen, bonus_fen=held.bonus_fen, points=card.points + earned, owed_fen=max(card.owed_fen, 0),
        ))
        response.rejected_coupons.extend(transactions_pb2.RejectedCoupon(coupon_code=code, reason=why) for code, why in not_here)
        return response

    # ---- the approval --------------------------------------------------------------------------------
    def approve(self, request: transactions_pb2.CheckoutRequest, *, in_doubt: bool = False,
                home_region: str = "") -> transactions_pb2.CheckoutResponse:
        """Approve alone, or refuse saying why. ``in_doubt``: the request was sent and timed out, so
        the region may yet take it; a refusal then tells the till to retry with the same request_id
        once the link is back (which returns the region's answer if it did) before charging again.
        ``home_region``: this store's region is up, the card's home region (that code) is not."""
        try:
            return self._approve(request, home_region)
        except OfflineRefused as refused:
            refusal = _cause_named(refused, home_region)
            if not in_doubt:
                if refusal is refused:
                    raise
                raise refusal from refused
            if home_region:
                note = (f"home region {home_region} may have received this sale before it stopped answering; retry it "
                        f"with the same request_id once it answers again to learn whether it was taken")
            else:
                note = ("the region may have received this sale before the link dropped; retry it with the same "
                        "request_id once the link is back to learn whether it was taken")
            raise OfflineRefused(f"{refusal.message} — NOTE: {note}") from refused

    def _approve(self, request: transactions_pb2.CheckoutRequest, home_region: str = "") -> transactions_pb2.CheckoutResponse:
        if self.config.snapshot() is None:
            raise _refuse("this store has no program configuration yet")
        by_code = member_codes.is_member_code(request.card_number)
        try:
            # A code names its card (verified below, once the journal shows no twin answered already).
            fields = checkout_fields(_by_card(request) if by_code else request, offline=True)
        except NotTakenOffline as refused:
            raise _refuse(refused.reason) from refused
        limits = self.config.limits()
        with self._lock, self.session_factory.begin() as session:
            entry = session.get(OutgoingRequest, request.request_id)
            if entry is not None and entry.state == "DONE" and entry.response is not None:
                return transactions_pb2.CheckoutResponse.FromString(entry.response)  # a twin got here first
            now = utc_now()
            code = self._checked_code(session, request.card_number, now) if by_code else None
            today = self.business_day(now)
            card = self._usable_card(
                session.get(CachedCard, fields.card_number), fields.card_number, now, limits.card_cache_max_age_seconds
            )
            held, spendable, earned = self._held(session, card)
            coupons = self._held_coupons(session, fields, card, now, limits.card_cache_max_age_seconds)
            uses = self._count_uses(session, fields, card, now, today, limits.card_cache_max_age_seconds)
            plan = self._price(fields, card, spendable, now, coupons)
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
            require_card_movement(plan)
            marks = [OFFLINE_MARK, *([home_region_message(home_region)] if home_region else [])]
            return self._record(session, request, card, held, plan, own, now, today, earned, marks, code, uses)

    @staticmethod
    def _checked_code(session: Session, text: str, now: datetime, field: str = "card_number") -> member_codes.MemberCode:
        """The QR member code verified here, with the card's cached key (store_agent.offline_codes)."""
        try:
            return checked_offline(session, text, now, field)
        except NotCheckableHere as unknown:
            raise _refuse(unknown.reason) from unknown

    def _record(self, session: Session, request: transactions_pb2.CheckoutRequest, card: CachedCard, held: StoredValue,
                plan: CheckoutPlan, own: list[AppliedTender], now: datetime, today: date,
                earned_before: int, marks: list[str], code: member_codes.MemberCode | None,
                uses: list[TakenUses]) -> transactions_pb2.CheckoutResponse:
        principal, bonus = sum(t.principal_fen for t in own), sum(t.bonus_fen for t in own)
        balances_after = common_pb2.Balances(
            principal_fen=held.principal_fen - principal, bonus_fen=held.bonus_fen - bonus,
            points=card.points + earned_before + plan.points_earned, owed_fen=max(card.owed_fen, 0),
            count_uses=balances_after_uses(uses),
        )
        transaction_id = new_id()
        store = self.config.store()
        title = receipt.sale_title(store.name if store is not None else self.store_id)
        items = [
            *receipt.sale_lines(receipt.sale_figures(plan)),
            *count_receipt_items(uses),
            *receipt.card_footer(principal_fen=balances_after.principal_fen, bonus_fen=balances_after.bonus_fen,
                                 points=balances_after.points, card_number=card.card_number, business_date=today,
                                 transaction_id=transaction_id, estimated=True, owed_fen=balances_after.owed_fen),
        ]
        lines = render(title, items, WIDTH_58MM, marks=marks)
        response = checkout_response(
            plan,
            transaction=common_pb2.Transaction(
                transaction_id=transaction_id, type=common_pb2.TRANSACTION_TYPE_SPEND, card_number=card.card_number,
                store_id=self.store_id, amount_fen=plan.total_due_fen, principal_delta_fen=-principal, bonus_delta_fen=-bonus,
                points_delta=plan.points_earned, balances_after=balances_after, occurred_at=_timestamp(now),
                business_date=today.isoformat(), home_region=card.home_region, operator_id=request.operator_id,
                request_id=request.request_id,
            ),
            balances_after=balances_after, receipt=receipt.receipt_lines(lines), offline=True,
        )
        for tender in response.tenders:  # the count-uses tender names its item when the sale used one (as online)
            if tender.type == common_pb2.TENDER_TYPE_COUNT_USES and len(uses) == 1:
                tender.count_item_code, tender.uses = uses[0].item_code, uses[0].uses
        checkout = _by_card(request)
        checkout.pin = ""
        row = OfflineAdvice(
            advice_id=request.request_id, card_number=card.card_number, business_date=today, stored_value_fen=principal + bonus,
            principal_fen=principal, bonus_fen=bonus, points_earned=plan.points_earned, transaction_id=transaction_id,
            approved_at=now, advice=b"", state="QUEUED", attempts=0,
        )
        session.add(row)
        # Used here from now on: a second offline sale naming one of them is refused (used_offline).
        session.add_all(OfflineCouponUse(coupon_code=applied.coupon_code, advice_id=request.request_id,
                                         card_number=card.card_number, discount_fen=applied.discount_fen, used_at=now)
                        for applied in plan.applied_coupons)
        # Taken here from now on: later offline sales count them against the cached uses.
        session.add_all(OfflineCountUse(advice_id=request.request_id, item_code=taken.item_code, card_number=card.card_number,
                                        uses=taken.uses, time_pass=taken.time_pass, business_date=today) for taken in uses)
        if code is not None:  # taken here from now on; the advice carries it to the home region
            take_offline(session, code, request.request_id, now)
        session.flush()  # the sequence is SQLite's rowid
        advice = store_sync_pb2.OfflineAdvice(
            advice_id=request.request_id, sequence=row.sequence, store_id=self.store_id, checkout=checkout,
            offline_result=response, approved_at=_timestamp(now), pin_entered=bool(request.pin),
        )
        if code is not None:
            advice.member_code = code.text
            advice.member_code_verified_at.CopyFrom(_timestamp(now))
        row.advice = advice.SerializeToString()
        entry = session.get(OutgoingRequest, request.request_id)
        if entry is not None:
            entry.state, entry.response, entry.updated_at = "DONE", response.SerializeToString(), now
        session.add(Receipt(
            transaction_id=transaction_id, text="\n".join(lines), card_number=card.card_number,
            document=to_document(title, items, marks), offline=True,
        ))
        return response
