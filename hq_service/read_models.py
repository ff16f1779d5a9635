"""HQ's chain-wide read models, fed only by events (DESIGN §5).

- member 360 (masked): ``member_views``, ``card_views`` and the latest ``transaction_views``;
- chain-wide transaction history: ``transaction_views``, one row per transaction of any region,
  with the acquiring store, so a region's managers see other regions' cards used at their stores;
- report figures (R1, R2, V7): ``store_daily_figures``, ``store_daily_tenders`` and
  ``member_daily_figures``, summed as events arrive.

The consumer loop (chaincard.events.consumer) calls ``ReadModelProjector.apply_batch`` with the new
events of a poll, in the transaction that records their ids, so every sum here is exact under
redelivery. Postings of
one card arrive in order (keyed by card number); members and cards come on other topics and may
arrive before or after a card's postings, which every handler allows for.

Postings, the bulk of the traffic, are not written one by one: what each adds (its history row,
its card's count and balances, its figures) is gathered in a ``_Batch``, which ``apply_batch``
writes after the last event (``write_batch``), a multi-row statement per table, so a consumer
catching up after an outage applies hundreds of events per commit at the cost of a few statements.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import Table, case, delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from chaincard.business_day import business_date
from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.db.dialects import INSERT_OF_DIALECT, ConflictInsert, dialect_of
from chaincard.erasure import MEMBER_ERASED
from chaincard.v1 import common_pb2, events_pb2
from hq_service import coupon_views, link_views
from hq_service.company_models import CompanyCard
from hq_service.models import (
    CardView,
    MemberDailyFigures,
    MemberView,
    Notice,
    PhoneClaim,
    Store,
    StoreDailyFigures,
    StoreDailyTender,
    TransactionView,
)
from hq_service.segment_models import MemberViewTag, birth_month_of, member_tags

log = logging.getLogger(__name__)

T = common_pb2.TransactionType
SALE_TYPES = frozenset({T.TRANSACTION_TYPE_SPEND, T.TRANSACTION_TYPE_OFFLINE_ADVICE})
# Sales at the till that are not checkouts (count uses, a paid level): no sale figures, and their
# refunds and voids (docs/adr/0035) count as refunds and voids only.
TILL_PURCHASE_TYPES = frozenset({"COUNT_USES_PURCHASE", "LEVEL_PURCHASE"})


def type_name(transaction_type: int) -> str:
    return common_pb2.TransactionType.Name(transaction_type).removeprefix("TRANSACTION_TYPE_")


def is_linked_payment(event: events_pb2.TransactionPosted) -> bool:
    """A second member card's own SPEND (or its REFUND/VOID) that pays part of another card's sale
    (组合支付, V4), or gets its part back.

    The sale (or the refund) on the first card carries the whole checkout — count, amounts and
    every tender; the linked transaction only moves the second card's stored value, so it counts as
    member spend and nothing else.
    """
    transaction = event.transaction
    return (
        transaction.type in (T.TRANSACTION_TYPE_SPEND, T.TRANSACTION_TYPE_REFUND, T.TRANSACTION_TYPE_VOID)
        and len(event.tenders) > 0
        and all(
            tender.type == common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD and tender.card_number == transaction.card_number
            for tender in event.tenders
        )
    )


def optional_figure(message: Message, field_name: str) -> int | None:
    """A figure the event schema may not carry yet (see docs/adr/0012): its value, or None."""
    if field_name not in message.DESCRIPTOR.fields_by_name:
        return None
    return int(getattr(message, field_name))


@dataclass
class _Posted:
    """What one TransactionPosted will write, held until its batch's transaction commits."""

    row: dict[str, Any]
    card_number: str
    occurred_at: datetime
    # When the home region posted it (Transaction.posted_at), or occurred_at for an event without
    # one: what orders a card's balances (see _card_upsert).
    posted_at: datetime
    # Card view columns to use if the card has no row yet (its CardOpened comes on another topic).
    card_defaults: dict[str, Any]
    sums: list[tuple[type, dict[str, Any], dict[str, int]]] = field(default_factory=list)


@dataclass
class _Batch:
    """Everything the events of one database transaction add, written after the last of them in a
    handful of multi-row statements — one per table, however many events the batch holds."""

    sums: dict[tuple[type, tuple[tuple[str, Any], ...]], dict[str, int]] = field(default_factory=dict)
    posted: dict[str, _Posted] = field(default_factory=dict)

    def add_sums(self, model: type, keys: dict[str, Any], increments: dict[str, int]) -> None:
        bucket = self.sums.setdefault((model, tuple(keys.items())), defaultdict(int))
        for name, value in increments.items():
            bucket[name] += value


def write_batch(session: Session, batch: _Batch) -> None:
    """Write what a transaction's events gathered, in the same transaction (the caller commits)."""
    session.flush()  # members and cards changed through the ORM go first; the sums build on them
    if batch.posted:
        rows = [posted.row for posted in batch.posted.values()]
        inserted = set(session.connection().execute(_new_transactions(dialect_of(session)), rows).scalars())
        cards: dict[str, dict[str, Any]] = {}
        for transaction_id, posted in batch.posted.items():
            if transaction_id not in inserted:
                # Another event id for a transaction already applied: never count a transaction twice.
                log.warning("transaction already in the read model", extra={"fields": {"transaction_id": transaction_id}})
                continue
            for model, keys, increments in posted.sums:
                batch.add_sums(model, keys, increments)
            card = cards.setdefault(posted.card_number, {**posted.card_defaults, "transaction_count": 0})
            card["transaction_count"] += 1
            if card.get("posted_at") is None or posted.posted_at >= card["posted_at"]:
                card.update(principal_fen=posted.row["principal_after_fen"], bonus_fen=posted.row["bonus_after_fen"],
                            points=posted.row["points_after"], owed_fen=posted.row["owed_after_fen"],
                            points_owed=posted.row["points_owed_after"], posted_at=posted.posted_at)
            if card.get("last_transaction_at") is None or posted.occurred_at > card["last_transaction_at"]:
                card["last_transaction_at"] = posted.occurred_at
        if cards:
            _upsert_cards(session, list(cards.values()))
    by_model: dict[type, list[dict[str, Any]]] = defaultdict(list)
    for (model, key_items), increments in batch.sums.items():
        by_model[model].append({**dict(key_items), **increments})
    for model, rows in by_model.items():
        _upsert_sums(session, model, rows)


def _upsert_cards(session: Session, rows: list[dict[str, Any]]) -> None:
    """New cards get a row; known ones add to their count and take the later-posted balances only:
    a posting applied late must never roll balances back."""
    now = utc_now()
    values = [{"card_type_code": "", "state": 0, "level_code": "", "form": 0, "updated_at": now, "owed_fen": 0, "points_owed": 0,
               **row} for row in rows]
    session.connection().execute(_card_upsert(dialect_of(session)), values)


# The batch statements are built once per dialect and run with one parameter set per row: a
# ``.values(rows)`` statement is compiled anew for every batch size, and compiling cost the consumer
# more CPU than PostgreSQL spent running it.
@cache
def _new_transactions(dialect: str) -> ReturningInsert[Any]:
    table = TransactionView.__table__
    return INSERT_OF_DIALECT[dialect](table).on_conflict_do_nothing().returning(table.c.transaction_id)


@cache
def _card_upsert(dialect: str) -> ConflictInsert:
    table = CardView.__table__
    statement = INSERT_OF_DIALECT[dialect](table)
    new = statement.excluded
    # Balances follow the order the home region posted the card's transactions in (posted_at), not
    # when they happened: an offline advice happened when its store approved it, and may be posted
    # after a later-dated sale elsewhere, with the card's newest balances (docs/adr/0012). A row
    # from before posted_at was kept orders by its last_transaction_at.
    shown = func.coalesce(table.c.posted_at, table.c.last_transaction_at)
    newer = shown.is_(None) | (new.posted_at >= shown)
    latest = table.c.last_transaction_at.is_(None) | (new.last_transaction_at > table.c.last_transaction_at)
    return statement.on_conflict_do_update(
        index_elements=["card_number"],
        set_={
            "transaction_count": table.c.transaction_count + new.transaction_count,
            **{name: case((newer, new[name]), else_=table.c[name])
               for name in ("principal_fen", "bonus_fen", "points", "owed_fen", "points_owed", "posted_at")},
            "last_transaction_at": case((latest, new.last_transaction_at), else_=table.c.last_transaction_at),
            "updated_at": new.updated_at,
        },
    )


def _upsert_sums(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """``INSERT … ON CONFLICT (keys) DO UPDATE SET column = column + excluded.column``, many rows at once."""
    table = model.__table__
    keys = [column.name for column in table.primary_key.columns]
    counters = [column.name for column in table.columns if column.name not in keys and column.name != "updated_at"]
    now = utc_now()
    values = [{**{name: 0 for name in counters}, **row} for row in rows]
    if "updated_at" in table.c:
        for row in values:
            row["updated_at"] = now
    session.connection().execute(_sums_upsert(dialect_of(session), table), values)


@cache
def _sums_upsert(dialect: str, table: Table) -> ConflictInsert:
    keys = [column.name for column in table.primary_key.columns]
    counters = [column.name for column in table.columns if column.name not in keys and column.name != "updated_at"]
    statement = INSERT_OF_DIALECT[dialect](table)
    update = {name: table.c[name] + statement.excluded[name] for name in counters}
    if "updated_at" in table.c:
        update["updated_at"] = statement.excluded.updated_at
    return statement.on_conflict_do_update(index_elements=keys, set_=update)


def _set_segment_columns(session: Session, view: MemberView, member: common_pb2.Member) -> None:
    """The profile's fields segments filter on (A2, docs/adr/0058): its birth month and its tags."""
    view.birth_month = birth_month_of(member.birthday)
    session.flush()  # a new view's row first: the tags name it
    session.execute(delete(MemberViewTag).where(MemberViewTag.member_id == member.member_id))
    rows = member_tags(member.member_id, list(member.tags))
    if rows:
        session.execute(insert(MemberViewTag), rows)


class ReadModelProjector:
    """Applies one event to HQ's read models. ``apply`` is the consumer's handler."""

    def __init__(self, settings: Settings) -> None:
        self.time_zone = settings.business_time_zone
        self.cutoff = settings.business_day_cutoff
        self._store_zones: dict[str, str] = {}

    def apply(self, session: Session, envelope: events_pb2.EventEnvelope, payload: Message) -> None:
        """Apply one event (a batch of one)."""
        self.apply_batch(session, [(envelope, payload)])

    def apply_batch(self, session: Session, events: Sequence[tuple[events_pb2.EventEnvelope, Message]]) -> None:
        """Apply a transaction's events in their order, then write what they gathered; the consumer
        commits it with the events' ids."""
        batch = _Batch()
        for envelope, payload in events:
            self._apply_one(session, batch, envelope, payload)
        write_batch(session, batch)

    def _apply_one(self, session: Session, batch: _Batch, envelope: events_pb2.EventEnvelope, payload: Message) -> None:
        if isinstance(payload, events_pb2.TransactionPosted):
            self.transaction_posted(session, batch, envelope, payload)
        elif isinstance(payload, events_pb2.MemberRegistered):
            self.member_registered(session, batch, payload)
        elif isinstance(payload, events_pb2.MemberUpdated):
            self.member_updated(session, payload)
        elif isinstance(payload, events_pb2.MemberErased):
            self.member_erased(session, payload)
        elif isinstance(payload, events_pb2.CardOpened):
            self.card_opened(session, batch, payload)
        elif isinstance(payload, events_pb2.CardStateChanged):
            self.card_state_changed(session, payload)
        elif isinstance(payload, events_pb2.CardTypeChanged):
            self.card_type_changed(session, payload)
        elif isinstance(payload, events_pb2.CardLevelChanged):
            self.card_level_changed(session, payload)
        elif isinstance(payload, events_pb2.PointsExpiryOutlook):
            self.points_expiry_outlook(session, payload)
        elif isinstance(payload, events_pb2.CardLinkChanged):
            link_views.card_link_changed(session, payload)
        elif isinstance(payload, events_pb2.CouponIssued):
            coupon_views.coupon_issued(self, session, envelope, payload)
        elif isinstance(payload, events_pb2.CouponStateChanged):
            coupon_views.coupon_state_changed(self, session, envelope, payload)
        # Other event types are not part of these read models.

    # ---- business days --------------------------------------------------------------------------
    def _store_zone(self, session: Session, store_id: str) -> str:
        if store_id not in self._store_zones:
            zone = session.execute(select(Store.time_zone).where(Store.store_id == store_id)).scalar_one_or_none()
            if zone is None:
                return self.time_zone  # not cached: the store may be added to the directory later
            self._store_zones[store_id] = zone or self.time_zone
        return self._store_zones[store_id]

    def business_date_at(self, session: Session, store_id: str, moment: datetime) -> date:
        """The business day of ``moment`` at ``store_id`` — as the region computes it (store's zone, chain cut-off)."""
        zone = self._store_zone(session, store_id) if store_id else self.time_zone
        return business_date(moment, zone, self.cutoff)

    def _business_date_of(self, session: Session, transaction: common_pb2.Transaction, occurred_at: datetime) -> date:
        """The transaction's business day as its region stamped it; recomputed if an event lacks it,
        because a projection that raises on one event would hold back every later one."""
        try:
            return date.fromisoformat(transaction.business_date)
        except ValueError:
            log.warning("posting without a valid business date", extra={"fields": {"transaction_id": transaction.transaction_id}})
            return self.business_date_at(session, transaction.store_id, occurred_at)

    # ---- members and cards ----------------------------------------------------------------------
    def member_registered(self, session: Session, batch: _Batch, event: events_pb2.MemberRegistered) -> None:
        member = event.member
        registered_at = member.registered_at.ToDatetime(tzinfo=UTC) if member.HasField("registered_at") else utc_now()
        view = session.get(MemberView, member.member_id)
        first_time = view is None
        if view is None:
            view = MemberView(member_id=member.member_id)
            session.add(view)
        view.phone_hmac = event.phone_hmac
        view.member = member.SerializeToString()
        view.home_region = member.home_region
        view.registered_store_id = member.registered_store_id
        view.registered_business_date = self.business_date_at(session, member.registered_store_id, registered_at)
        _set_segment_columns(session, view, member)
        view.updated_at = utc_now()
        if first_time:
            batch.add_sums(StoreDailyFigures, {"business_date": view.registered_business_date,
                                               "store_id": member.registered_store_id}, {"new_members": 1})

    def member_updated(self, session: Session, event: events_pb2.MemberUpdated) -> None:
        if event.previous_phone_hmac:
            # Normally the home region released the old phone already; this covers a release that did not get through.
            session.execute(delete(PhoneClaim).where(PhoneClaim.phone_hmac == event.previous_phone_hmac,
                                                     PhoneClaim.member_id == event.member.member_id))
        view = session.get(MemberView, event.member.member_id)
        if view is None:
            return  # its MemberRegistered is on the same topic and key, so it came first; nothing to update
        view.member = event.member.SerializeToString()
        if event.phone_hmac:
            view.phone_hmac = event.phone_hmac
        _set_segment_columns(session, view, event.member)
        view.updated_at = utc_now()

    def member_erased(self, session: Session, event: events_pb2.MemberErased) -> None:
        """Forget the member's personal data (M7): the profile becomes the erased one the home
        region sent, the phone can register again, and nothing more is sent to the member. The
        member id stays on cards, transactions and figures (they name no person), so reports and
        settlement still add up."""
        member_id = event.member.member_id
        view = session.get(MemberView, member_id)
        if view is not None:  # else its MemberRegistered (same topic and key, so earlier) was never applied
            view.member = event.member.SerializeToString()
            view.phone_hmac = ""
            _set_segment_columns(session, view, event.member)
            view.updated_at = utc_now()
        # Normally the home region released the claim already; this covers a release that did not get through.
        session.execute(delete(PhoneClaim).where(PhoneClaim.member_id == member_id))
        # The texts sent carry the name; notices still waiting are not sent to an erased member.
        # One statement over all of them: one being sent now waits here for its sender's commit, and
        # is then scrubbed too; one still SENDING is marked, so its sender keeps no text of it.
        session.execute(update(Notice).where(Notice.member_id == member_id).values(
            rendered="",
            status=case((Notice.status == "PENDING", "OPTED_OUT"), else_=Notice.status),
            last_error=case((Notice.status.in_(("PENDING", "SENDING")), MEMBER_ERASED), else_=Notice.last_error)))

    def _card(self, session: Session, card_number: str) -> tuple[CardView, bool]:
        view = session.get(CardView, card_number)
        if view is not None:
            return view, False
        view = CardView(
            card_number=card_number, member_id="", card_type_code="", state=0, home_region="", issuing_franchisee_id="",
            principal_fen=0, bonus_fen=0, points=0, issuing_store_id="", level_code="", form=0, transaction_count=0,
        )
        session.add(view)
        return view, True

    def card_opened(self, session: Session, batch: _Batch, event: events_pb2.CardOpened) -> None:
        card = event.card
        view, _ = self._card(session, card.card_number)
        view.member_id = card.member_id
        view.card_type_code = card.card_type_code
        view.state = card.state
        view.home_region = card.home_region
        view.issuing_franchisee_id = card.issuing_franchisee_id
        view.issuing_store_id = card.issuing_store_id
        view.level_code = card.level_code
        view.form = card.form
        opened_at = card.opened_at.ToDatetime(tzinfo=UTC) if card.HasField("opened_at") else utc_now()
        view.opened_at = opened_at
        # The opening staff commission pays on (docs/adr/0043): who, and the issuing store's day.
        view.opened_operator_id = event.operator_id
        view.opened_business_date = self.business_date_at(session, card.issuing_store_id, opened_at)
        if view.last_transaction_at is None:
            # No posting seen yet: the card's own balances are the newest we know.
            view.principal_fen, view.bonus_fen, view.points = card.balances.principal_fen, card.balances.bonus_fen, card.balances.points
        view.updated_at = utc_now()
        batch.add_sums(StoreDailyFigures, {"business_date": view.opened_business_date,
                                           "store_id": card.issuing_store_id}, {"new_cards": 1})

    def card_state_changed(self, session: Session, event: events_pb2.CardStateChanged) -> None:
        view, _ = self._card(session, event.card_number)
        view.state = event.state
        view.updated_at = utc_now()

    def card_level_changed(self, session: Session, event: events_pb2.CardLevelChanged) -> None:
        """A card's level moved (L2); the card's events come in order (one key), so the last one wins."""
        view, _ = self._card(session, event.card_number)
        view.level_code = event.level_code
        view.updated_at = utc_now()

    def card_type_changed(self, session: Session, event: events_pb2.CardTypeChanged) -> None:
        """A trial card converted (docs/adr/0034): its type, and its level, which may have moved with it."""
        view, _ = self._card(session, event.card_number)
        view.card_type_code = event.card_type_code
        if event.level_code:
            view.level_code = event.level_code
        view.updated_at = utc_now()

    def points_expiry_outlook(self, session: Session, event: events_pb2.PointsExpiryOutlook) -> None:
        """The card's points expiring soon (P3), for the liability report; the newest report wins."""
        as_of = event.as_of.ToDatetime(tzinfo=UTC)
        view, created = self._card(session, event.card_number)
        if created:
            view.issuing_franchisee_id = event.issuing_franchisee_id
        if view.points_outlook_at is not None and view.points_outlook_at >= as_of:
            return
        view.points_expiring_30_days = event.points_expiring_30_days
        view.points_expiring_90_days = event.points_expiring_90_days
        view.points_outlook_at = as_of
        view.updated_at = utc_now()

    # ---- transactions ---------------------------------------------------------------------------
    def transaction_posted(self, session: Session, batch: _Batch, envelope: events_pb2.EventEnvelope,
                           event: events_pb2.TransactionPosted) -> None:
        transaction = event.transaction
        if transaction.transaction_id in batch.posted:
            log.warning("transaction twice in one batch", extra={"fields": {"transaction_id": transaction.transaction_id}})
            return
        occurred_at = transaction.occurred_at.ToDatetime(tzinfo=UTC) if transaction.HasField("occurred_at") else utc_now()
        # Events from before Transaction.posted_at existed order by when they happened.
        posted_at = transaction.posted_at.ToDatetime(tzinfo=UTC) if transaction.HasField("posted_at") else occurred_at
        day = self._business_date_of(session, transaction, occurred_at)
        balances = transaction.balances_after
        original = None
        if transaction.original_transaction_id and not is_linked_payment(event):
            # Same card, same partition: the corrected transaction was applied before this one
            # (earlier in this batch, or committed before it).
            earlier = batch.posted.get(transaction.original_transaction_id)
            if earlier is not None:
                original = (earlier.row["transaction_type"], earlier.row["tenders"])
            else:
                original = session.execute(
                    select(TransactionView.transaction_type, TransactionView.tenders)
                    .where(TransactionView.transaction_id == transaction.original_transaction_id)
                ).first()
        posted = _Posted(
            row=dict(
                transaction_id=transaction.transaction_id,
                card_number=transaction.card_number,
                member_id=event.member_id,
                store_id=transaction.store_id,
                business_date=day,
                occurred_at=occurred_at,
                transaction=transaction.SerializeToString(),
                transaction_type=type_name(transaction.type),
                home_region=transaction.home_region,
                issuing_franchisee_id=event.issuing_franchisee_id,
                acquiring_franchisee_id=event.acquiring_franchisee_id,
                amount_fen=transaction.amount_fen,
                principal_after_fen=balances.principal_fen,
                bonus_after_fen=balances.bonus_fen,
                points_after=balances.points,
                owed_after_fen=balances.owed_fen,
                points_owed_after=balances.points_owed,
                tenders=[[tender.type, tender.amount_fen] for tender in event.tenders],
                event_id=envelope.event_id,
                applied_at=utc_now(),
            ),
            card_number=transaction.card_number,
            occurred_at=occurred_at,
            posted_at=posted_at,
            # Used only if the card has no row yet: its CardOpened (another topic) has not arrived.
            card_defaults=dict(
                card_number=transaction.card_number, member_id=event.member_id, home_region=transaction.home_region,
                issuing_franchisee_id=event.issuing_franchisee_id, issuing_store_id=event.issuing_store_id,
            ),
        )
        posted.sums = self._figures(event, day, original)
        if event.company_id:  # a company's card (C6): ListCompanyCards finds it (the worker may have first)
            session.execute(INSERT_OF_DIALECT[dialect_of(session)](CompanyCard.__table__).values(company_id=event.company_id, card_number=transaction.card_number)
                            .on_conflict_do_nothing())
        batch.posted[transaction.transaction_id] = posted
        if event.coupons:
            coupon_views.coupons_posted(session, event, day)

    def _figures(self, event: events_pb2.TransactionPosted, day: date, original: Any) -> list[tuple[type, dict[str, Any], dict[str, int]]]:
        """What one transaction adds to its store's day (docs/adr/0012 defines each figure)."""
        transaction = event.transaction
        kind = transaction.type
        figures: dict[str, int] = defaultdict(int)
        tenders: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        member: dict[str, int] = defaultdict(int)
        figures["overdrawn_count"] = int(transaction.overdrawn)
        # Exposure (issue 21): what the store approved offline, what it left owing, what was settled here.
        if kind == T.TRANSACTION_TYPE_OFFLINE_ADVICE:
            figures["offline_approval_count"] = 1
            figures["offline_approved_fen"] = -(transaction.principal_delta_fen + transaction.bonus_delta_fen)
            figures["overdraft_fen"] = transaction.owed_delta_fen
            if transaction.coupon_conflicts:  # docs/adr/0025
                figures["coupon_conflict_count"] = 1
                figures["coupon_conflict_fen"] = sum(conflict.discount_fen for conflict in transaction.coupon_conflicts)
        elif kind == T.TRANSACTION_TYPE_RECEIVABLE_WRITE_OFF:
            figures["receivable_written_off_fen"] = -transaction.owed_delta_fen
        elif transaction.owed_delta_fen:
            # Recharges collect; a void of such a recharge makes it owed again (a negative collection).
            figures["receivable_collected_fen"] = -transaction.owed_delta_fen
        figures["points_earned"] = event.points_earned
        figures["points_redeemed"] = event.points_redeemed

        if is_linked_payment(event):
            # Only the second card's stored value moved (spent, or given back): member spend.
            figures["stored_value_principal_spent_fen"] = -transaction.principal_delta_fen
            figures["stored_value_bonus_spent_fen"] = -transaction.bonus_delta_fen
        elif kind in SALE_TYPES:
            net = transaction.amount_fen
            subtotal = optional_figure(event, "subtotal_fen")
            discount = optional_figure(event, "discount_fen")
            coupons = sum(coupon.discount_fen for coupon in event.coupons)
            deduction = optional_figure(event, "points_deduction_fen") or 0
            figures["sales_count"] = 1
            figures["sales_net_fen"] = net
            figures["discount_fen"] = discount if discount is not None else coupons
            figures["points_deduction_fen"] = deduction
            figures["sales_gross_fen"] = subtotal if subtotal else net + figures["discount_fen"] + deduction
            figures["stored_value_principal_spent_fen"] = -transaction.principal_delta_fen
            figures["stored_value_bonus_spent_fen"] = -transaction.bonus_delta_fen
            figures["count_uses_consumed"] = sum(-d.uses_delta for d in transaction.count_use_deltas if d.uses_delta < 0)
            for tender in event.tenders:
                tenders[tender.type][0] += tender.amount_fen
                tenders[tender.type][1] += 1
            member.update(spend_fen=net, visit_count=1, points_earned=event.points_earned)
        elif kind in (T.TRANSACTION_TYPE_RECHARGE, T.TRANSACTION_TYPE_COMPANY_RECHARGE):
            # A company's invoiced recharge is a recharge of the store's day, paid by INVOICE (C6).
            figures["recharge_count"] = 1
            figures["recharge_fen"] = transaction.principal_delta_fen
            figures["recharge_bonus_fen"] = transaction.bonus_delta_fen
            for tender in event.tenders:
                tenders[tender.type][0] += tender.amount_fen
                tenders[tender.type][1] += 1
            member.update(recharge_fen=transaction.principal_delta_fen, points_earned=event.points_earned)
        elif kind in (T.TRANSACTION_TYPE_REFUND, T.TRANSACTION_TYPE_VOID) and original is not None \
                and original[0] in TILL_PURCHASE_TYPES:
            # The purchase added no sale, tender or spend figure: nor does its refund (docs/adr/0035).
            prefix = "refund" if kind == T.TRANSACTION_TYPE_REFUND else "void"
            figures[f"{prefix}_count"] = 1
            figures[f"{prefix}_fen"] = transaction.amount_fen
        elif kind in (T.TRANSACTION_TYPE_REFUND, T.TRANSACTION_TYPE_VOID):
            prefix = "refund" if kind == T.TRANSACTION_TYPE_REFUND else "void"
            figures[f"{prefix}_count"] = 1
            figures[f"{prefix}_fen"] = transaction.amount_fen
            # A void of a recharge names no tenders: it gives back what the recharge took.
            given_back: list[tuple[int, int]] = [(tender.type, tender.amount_fen) for tender in event.tenders] or [
                (tender_type, amount) for tender_type, amount in (original[1] if original is not None else [])
            ]
            for tender_type, amount in given_back:
                tenders[tender_type][0] -= amount
            original_type = original[0] if original is not None else None
            if original_type == "RECHARGE" or (original_type is None and transaction.principal_delta_fen < 0):
                figures["recharge_fen"] = transaction.principal_delta_fen
                figures["recharge_bonus_fen"] = transaction.bonus_delta_fen
                member.update(recharge_fen=transaction.principal_delta_fen)
            else:
                figures["sales_net_fen"] = -transaction.amount_fen
                figures["stored_value_principal_spent_fen"] = -transaction.principal_delta_fen
                figures["stored_value_bonus_spent_fen"] = -transaction.bonus_delta_fen
                figures["count_uses_consumed"] = -sum(d.uses_delta for d in transaction.count_use_deltas if d.uses_delta > 0)
                member.update(spend_fen=-transaction.amount_fen)
        store_id = transaction.store_id
        sums: list[tuple[type, dict[str, Any], dict[str, int]]] = [
            (StoreDailyFigures, {"business_date": day, "store_id": store_id}, dict(figures)),
        ]
        for tender_type, (amount, count) in tenders.items():
            sums.append((StoreDailyTender, {"business_date": day, "store_id": store_id, "tender_type": tender_type},
                         {"amount_fen": amount, "payment_count": count}))
        if event.member_id and any(member.values()):
            sums.append((MemberDailyFigures, {"business_date": day, "member_id": event.member_id, "store_id": store_id}, dict(member)))
        return sums
