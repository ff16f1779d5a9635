"""The offline stand-in's cache of recently seen cards (DESIGN §4): state, PIN set or not (never a
PIN hash), level and last known balances (what the card owes included, docs/adr/0018), refreshed
by every online answer that carries them, by RefreshCardCache, and by the region's push of balance
changes (SubscribeCardBalances, store_agent.balance_push, docs/adr/0017). Each balance remembers when it was confirmed (the *send*
time of the call that returned it, or the time the region posted a pushed one), so the stand-in
knows which of its own forwarded advices that balance already includes; a newer balance always
replaces an older one, never the reverse.

With each card its AVAILABLE coupons (docs/adr/0025): the list RefreshCardCache or a pushed change
brings replaces the card's cached coupons whole, unless a later list is already here; so do its
count-card uses and time passes (docs/adr/0036). And its QR
member-code key (docs/adr/0026), which only RefreshCardCache gives: a card first described by an
online answer is refreshed at once for it."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from google.protobuf.message import Message
from sqlalchemy import CursorResult, delete, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.v1 import common_pb2, store_sync_pb2
from store_agent.models import (
    BalancePushPosition,
    CachedCard,
    CachedCountItem,
    CachedCountPack,
    CachedCoupon,
    RelayedPushPosition,
)

# Cards not seen for this long leave the cache.
FORGET_AFTER = timedelta(days=30)
# The region pushes the balances of at most this many cards (the most recently used) to a store.
MAX_PUSHED_CARDS = 1000


def _moment(stamp: Any) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if (stamp.seconds or stamp.nanos) else None


def _state_name(state: int) -> str:
    return common_pb2.CardState.Name(state).removeprefix("CARD_STATE_")


def _drop_count_items(session: Session, card_numbers: Any) -> None:
    """Forget the cached count items of ``card_numbers`` (a list, or a select of numbers)."""
    session.execute(delete(CachedCountPack).where(CachedCountPack.card_number.in_(card_numbers)))
    session.execute(delete(CachedCountItem).where(CachedCountItem.card_number.in_(card_numbers)))
    session.flush()


class CardCache:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        # Goes up when a card enters the cache (maybe in a transaction that then rolls back): the
        # balance subscription asks again with the new card (store_agent.balance_push).
        self.generation = 0
        # What the subscription needs to catch a new card up (in memory: a restart refreshes all):
        # when each push position was applied; for each new card, the position applied before its
        # answer was sent (the region's changes of it after that answer all lie beyond), or, when
        # none is known, the card, to refresh once the next subscription has started.
        self._push_lock = threading.Lock()
        self._applied: deque[tuple[datetime, int]] = deque(maxlen=4096)
        self._rewinds: list[tuple[int, int]] = []
        self._to_refresh: set[str] = set()

    # ---- writes ----------------------------------------------------------------------------------
    def _row(self, session: Session, card_number: str, sent_at: datetime) -> CachedCard:
        row = session.get(CachedCard, card_number)
        if row is None:
            row = CachedCard(card_number=card_number, complete=False, balances_as_of=sent_at, last_seen_at=sent_at,
                             state="", card_type_code="", level_code="", issuing_franchisee_id="", home_region="",
                             pin_set=False, principal_fen=0, bonus_fen=0, points=0, owed_fen=0)
            session.add(row)
            self._entered(card_number, sent_at)
        row.last_seen_at = max(row.last_seen_at, sent_at)
        return row

    def _entered(self, card_number: str, sent_at: datetime) -> None:
        with self._push_lock:
            self.generation += 1
            known = [position for applied_at, position in self._applied if applied_at <= sent_at]
            if known and known[-1] > 0:  # 0 would ask for the region's head, not its beginning
                self._rewinds.append((self.generation, known[-1]))
            else:
                self._to_refresh.add(card_number)

    def _home_region_learnt(self) -> None:
        """A card's home region became known: the subscription asks again, naming it under that
        region when it is another one (relayed, docs/adr/0017 addendum)."""
        with self._push_lock:
            self.generation += 1

    def put_card(self, session: Session, card: common_pb2.Card, sent_at: datetime, *, allowance_fen: int | None = None) -> None:
        generation = self.generation
        row = self._row(session, card.card_number, sent_at)
        entered = self.generation != generation  # the subscription asks again anyway
        if row.refreshed_at is not None and row.refreshed_at > sent_at:
            return  # a newer description is already here
        row.complete = True
        row.state = _state_name(card.state)
        if row.level_as_of is None or row.level_as_of <= sent_at:  # a pushed change may be newer
            row.card_type_code, row.level_code = card.card_type_code, card.level_code
            row.level_as_of = sent_at
        if card.home_region != row.home_region and not entered:
            self._home_region_learnt()
        row.issuing_franchisee_id, row.home_region = card.issuing_franchisee_id, card.home_region
        row.member_id = card.member_id
        row.pin_set = card.pin_set or card.pin_locked
        row.expires_at = _moment(card.expires_at)
        row.refreshed_at = sent_at
        self._set_balances(row, card.balances, sent_at)
        if allowance_fen is not None:
            row.offline_allowance_fen, row.allowance_as_of = allowance_fen, sent_at

    def put_balances(self, session: Session, card_number: str, balances: common_pb2.Balances, sent_at: datetime,
                     *, state: int = 0) -> None:
        row = self._row(session, card_number, sent_at)
        self._set_balances(row, balances, sent_at)
        if state and (row.refreshed_at is None or row.refreshed_at <= sent_at):
            row.state = _state_name(state)

    @staticmethod
    def _set_balances(row: CachedCard, balances: common_pb2.Balances, sent_at: datetime) -> None:
        if row.balances_as_of > sent_at:
            return  # never replace a newer balance with an older one
        row.principal_fen, row.bonus_fen, row.points = balances.principal_fen, balances.bonus_fen, balances.points
        row.owed_fen = balances.owed_fen
        row.balances_as_of = sent_at

    @staticmethod
    def _set_level(row: CachedCard, change: store_sync_pb2.CardBalanceChanged) -> None:
        """A pushed level or type change (empty: unchanged), unless the cache learnt them later."""
        if not change.level_code and not change.card_type_code:
            return
        as_of = change.as_of.ToDatetime(tzinfo=UTC)
        if row.level_as_of is not None and row.level_as_of > as_of:
            return  # never replace a newer level with an older one
        if change.level_code:
            row.level_code = change.level_code
        if change.card_type_code:
            row.card_type_code = change.card_type_code
        row.level_as_of = as_of

    @staticmethod
    def put_coupons(session: Session, row: CachedCard, coupons: Sequence[common_pb2.Coupon], read_at: datetime) -> None:
        """The card's AVAILABLE coupons as its region listed them at ``read_at``: they replace the
        cached ones, unless a list read later is already here. Coupons of another card are ignored."""
        if row.coupons_as_of is not None and row.coupons_as_of > read_at:
            return
        session.execute(delete(CachedCoupon).where(CachedCoupon.card_number == row.card_number))
        session.flush()
        for coupon in coupons:
            if coupon.card_number != row.card_number or coupon.state != common_pb2.COUPON_STATE_AVAILABLE:
                continue
            valid_from, valid_until = _moment(coupon.valid_from), _moment(coupon.valid_until)
            if valid_from is None or valid_until is None:
                continue
            # merge: a coupon given to this card by another (Q4) may still be cached under the giver.
            session.merge(CachedCoupon(coupon_code=coupon.coupon_code, card_number=row.card_number,
                                       template_code=coupon.template_code, state="AVAILABLE",
                                       valid_from=valid_from, valid_until=valid_until))
        row.coupons_as_of = read_at

    @staticmethod
    def put_count_items(session: Session, row: CachedCard, items: Sequence[store_sync_pb2.CachedCountItem], read_at: datetime,
                        business_date: str) -> None:
        """The card's count-card uses and time passes as its region listed them at ``read_at`` (their
        day's uses counted on ``business_date``): they replace the cached ones, unless a list read
        later is already here."""
        if row.count_items_as_of is not None and row.count_items_as_of > read_at:
            return
        _drop_count_items(session, [row.card_number])
        for item in items:
            session.add(CachedCountItem(
                card_number=row.card_number, item_code=item.item_code, used_here_today=item.used_here_today,
                time_pass=item.time_pass, valid_from=_moment(item.valid_from), valid_until=_moment(item.valid_until),
                daily_cap_uses=item.daily_cap_uses, used_today=item.used_today))
            session.add_all(CachedCountPack(card_number=row.card_number, item_code=item.item_code, position=position,
                                            uses=pack.uses, expires_at=_moment(pack.expires_at))
                            for position, pack in enumerate(item.packs))
        row.count_items_as_of = read_at
        row.count_items_day = date.fromisoformat(business_date) if business_date else None

    def observe(self, session: Session, request: Message, response: Message, sent_at: datetime) -> None:
        """Learn what an online answer says about cards (whole cards, or a card's balances after), in
        the caller's writing transaction."""
        cards: list[common_pb2.Card] = []
        balances: tuple[str, common_pb2.Balances, int] | None = None
        # Any response type: its set fields by name.
        fields: dict[str, Any] = {field.name: value for field, value in response.ListFields()}
        if isinstance(fields.get("card"), common_pb2.Card):
            cards.append(fields["card"])
        if "cards" in fields:
            cards.extend(card for card in fields["cards"] if isinstance(card, common_pb2.Card))
        number = getattr(request, "card_number", "")
        if number and "balances_after" in fields:
            balances = (number, fields["balances_after"], 0)
        elif number and isinstance(fields.get("balances"), common_pb2.Balances):
            balances = (number, fields["balances"], getattr(response, "state", 0))
        elif number and "transaction" in fields and fields["transaction"].card_number == number:
            balances = (number, fields["transaction"].balances_after, 0)
        for card in cards:
            self.put_card(session, card, sent_at)
        if balances is not None:
            self.put_balances(session, *balances[:2], sent_at, state=balances[2])

    def apply_refresh(self, answer: store_sync_pb2.RefreshCardCacheResponse, sent_at: datetime) -> None:
        with self.session_factory.begin() as session:
            for cached in answer.cards:
                self.put_card(session, cached.card, sent_at, allowance_fen=cached.offline_allowance_fen)
                row = session.get(CachedCard, cached.card.card_number)
                if row is not None:  # empty: the card has no codes (physical), or its region gives no keys
                    row.member_code_key = cached.member_code_key
                if cached.coupons_listed:
                    row = session.get(CachedCard, cached.card.card_number)
                    if row is not None:
                        self.put_coupons(session, row, cached.coupons, sent_at)
                if cached.count_items_listed and row is not None:
                    self.put_count_items(session, row, cached.count_items, sent_at, cached.count_items_business_date)
            if answer.unknown_card_numbers:
                unknown = list(answer.unknown_card_numbers)
                session.execute(delete(CachedCoupon).where(CachedCoupon.card_number.in_(unknown)))
                _drop_count_items(session, unknown)
                session.execute(delete(CachedCard).where(CachedCard.card_number.in_(unknown)))

    def apply_pushed(self, answer: store_sync_pb2.SubscribeCardBalancesResponse) -> None:
        """The region's pushed balances of cached cards, and the position reached (in the region's
        own feed, or in the relayed region's: ``answer.region_code``), in one transaction. A card no
        longer cached is not added back."""
        with self.session_factory.begin() as session:
            for change in answer.changes:
                row = session.get(CachedCard, change.card_number)
                if row is not None:
                    self._set_balances(row, change.balances, change.as_of.ToDatetime(tzinfo=UTC))
                    self._set_level(row, change)
                    if change.coupons_listed:
                        self.put_coupons(session, row, change.coupons,
                                         _moment(change.coupons_as_of) or change.as_of.ToDatetime(tzinfo=UTC))
                    if change.count_items_listed:
                        self.put_count_items(session, row, change.count_items,
                                             _moment(change.count_items_as_of) or change.as_of.ToDatetime(tzinfo=UTC),
                                             change.count_items_business_date)
            if answer.region_code:
                relayed = session.get(RelayedPushPosition, answer.region_code)
                if relayed is None:
                    session.add(RelayedPushPosition(region_code=answer.region_code, position=answer.position))
                elif answer.position != relayed.position:
                    relayed.position = answer.position
                return
            mark = session.get(BalancePushPosition, 1)
            if mark is None:
                session.add(BalancePushPosition(id=1, position=answer.position))
            elif answer.position != mark.position:
                mark.position = answer.position
        with self._push_lock:
            self._applied.append((utc_now(), answer.position))

    def resume_position(self) -> int:
        """Where the next subscription starts: after the last change applied, or earlier when a card
        entered the cache since (so that card's changes after its answer are sent too)."""
        stored = self.push_position()
        with self._push_lock:
            return min([stored, *(position for _, position in self._rewinds)])

    def subscription_started(self, generation: int) -> list[str]:
        """A subscription asked at ``generation`` has started: the cards it caught up by position are
        done; returns those to refresh instead (no position known from before their answer)."""
        with self._push_lock:
            self._rewinds = [(seen, position) for seen, position in self._rewinds if seen > generation]
            cards, self._to_refresh = sorted(self._to_refresh), set()
            return cards

    def forget_push_history(self) -> None:
        """The region no longer keeps our positions: none known is of use (every recently used card is
        refreshed once the next subscription starts)."""
        with self._push_lock:
            self._applied.clear()
            self._rewinds.clear()
            self._to_refresh.clear()

    def reset_push_position(self) -> None:
        """Start the push again at the regions' heads (a region no longer keeps our position)."""
        with self.session_factory.begin() as session:
            session.execute(delete(BalancePushPosition))
            session.execute(delete(RelayedPushPosition))

    def forget_unseen(self, now: datetime | None = None) -> int:
        with self.session_factory.begin() as session:
            forgotten = select(CachedCard.card_number).where(CachedCard.last_seen_at < (now or utc_now()) - FORGET_AFTER)
            session.execute(delete(CachedCoupon).where(CachedCoupon.card_number.in_(forgotten)))
            _drop_count_items(session, forgotten)
            result = session.execute(delete(CachedCard).where(CachedCard.last_seen_at < (now or utc_now()) - FORGET_AFTER))
            return cast("CursorResult[Any]", result).rowcount or 0

    # ---- reads -----------------------------------------------------------------------------------
    def due_for_refresh(self, *, older_than: timedelta, limit: int = 1000) -> list[str]:
        """Cards known only in part first, then those described longest ago; a card whose code key
        was never asked for (docs/adr/0026) is due at once."""
        cutoff = utc_now() - older_than
        with self.session_factory() as session:
            return list(session.execute(
                select(CachedCard.card_number)
                .where(or_(CachedCard.complete.is_(False), CachedCard.refreshed_at.is_(None), CachedCard.refreshed_at < cutoff,
                           # described by an online answer only: the code key comes with a refresh
                           CachedCard.member_code_key.is_(None)))
                .order_by(CachedCard.complete, CachedCard.refreshed_at)
                .limit(limit)
            ).scalars())

    def push_position(self) -> int:
        with self.session_factory() as session:
            mark = session.get(BalancePushPosition, 1)
            return mark.position if mark is not None else 0

    def relayed_positions(self) -> dict[str, int]:
        """The position applied in each other region's relayed feed."""
        with self.session_factory() as session:
            return {row.region_code: row.position for row in session.execute(select(RelayedPushPosition)).scalars()}

    def homed_elsewhere(self, card_numbers: list[str], own_region: str) -> dict[str, list[str]]:
        """Of ``card_numbers``, those known to be homed in a region other than ``own_region``, per
        region (in the order given)."""
        if not own_region or not card_numbers:
            return {}
        with self.session_factory() as session:
            homes = {number: home for number, home in session.execute(
                select(CachedCard.card_number, CachedCard.home_region)
                .where(CachedCard.card_number.in_(card_numbers), CachedCard.home_region != "",
                       CachedCard.home_region != own_region)
            )}
        grouped: dict[str, list[str]] = {}
        for number in card_numbers:
            if number in homes:
                grouped.setdefault(homes[number], []).append(number)
        return grouped

    def recently_used(self, *, within: timedelta | None = None, limit: int = MAX_PUSHED_CARDS) -> list[str]:
        """The cards seen most recently first (those seen within ``within`` when given)."""
        query = select(CachedCard.card_number).order_by(CachedCard.last_seen_at.desc()).limit(limit)
        if within is not None:
            query = query.where(CachedCard.last_seen_at >= utc_now() - within)
        with self.session_factory() as session:
            return list(session.execute(query).scalars())

    def get(self, card_number: str) -> CachedCard | None:
        with self.session_factory() as session:
            return session.get(CachedCard, card_number)

    def count(self) -> int:
        with self.session_factory() as session:
            return session.execute(select(func.count()).select_from(CachedCard)).scalar_one()
