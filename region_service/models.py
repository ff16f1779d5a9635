"""Region schema: members, cards, the double-entry ledger, idempotency keys and the outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Sequence,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, new_metadata, utc_now
from chaincard.db.idempotency import IdempotencyKeyColumns
from chaincard.db.inbox import ProcessedEventColumns
from chaincard.db.outbox import OutboxColumns


class Base(DeclarativeBase):
    metadata = new_metadata()


# Serial part of virtual card numbers (88 RR NNNNNNNNNN C).
card_serial = Sequence("card_serial_seq", metadata=Base.metadata, start=1)


class Member(Base):
    __tablename__ = "members"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # HMAC-SHA256 of the normalised phone: the raw number is not needed to find a member.
    phone_hmac: Mapped[str] = mapped_column(String(64), unique=True)
    # The raw phone stays in the home region only (PII); events and HQ carry the masked form.
    phone: Mapped[str] = mapped_column(String(20))
    phone_masked: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(64))
    birthday: Mapped[date | None] = mapped_column(Date, nullable=True)
    gender: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(254))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    channel: Mapped[str] = mapped_column(String(32))
    registered_store_id: Mapped[str] = mapped_column(String(32))
    registered_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    # Set when the member's personal data was erased (M7, region_service.handlers.members.erase_member).
    erased_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # The member's own referral code (M5, docs/adr/0044); NULL for members registered before
    # referrals existed. Unique here; its region tag makes it unique chain-wide.
    referral_code: Mapped[str | None] = mapped_column(String(8), unique=True, nullable=True)
    # Who referred this member, fixed at registration (so referrals never form a loop), and where
    # that member is homed (the referrer's awards are posted there).
    referrer_member_id: Mapped[str | None] = mapped_column(String(36), index=True, nullable=True)
    referrer_home_region: Mapped[str | None] = mapped_column(String(8), nullable=True)


class Card(Base):
    __tablename__ = "cards"
    # The expiry job looks for cards whose validity has ended; the level review for cards by level.
    __table_args__ = (Index("ix_cards_expires_at", "expires_at"), Index("ix_cards_level_code", "level_code"))

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    # None for a bearer card (an ``anonymous`` card type, docs/adr/0034).
    member_id: Mapped[str | None] = mapped_column(ForeignKey("members.member_id"), index=True, nullable=True)
    card_type_code: Mapped[str] = mapped_column(String(32))
    form: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    level_code: Mapped[str] = mapped_column(String(32))
    # When level_code was last set (L2, docs/adr/0027); NULL: at opening.
    level_since: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # Business date until which a bought level is kept from the nightly review (paid levels,
    # docs/adr/0027); NULL: the level was not bought, or its paid validity is open-ended.
    level_paid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    issuing_franchisee_id: Mapped[str] = mapped_column(String(32))
    issuing_store_id: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    expires_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    pin_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    failed_pin_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # While in the future, PIN checks are refused (C4: lockout after repeated failures).
    pin_locked_until: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # Replacement links (换卡/补卡): the REPLACED card names its successor, the successor its predecessor.
    replaced_by_card_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    replaces_card_number: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Coupon(Base):
    """A coupon held on a card (Q2–Q5), homed with its card. Its rules are its template's, read from
    HQ's configuration snapshot by code; the row keeps only what is the coupon's own."""

    __tablename__ = "coupons"
    __table_args__ = (
        # The nightly expiry and reminder jobs look for AVAILABLE coupons by end of validity.
        Index("ix_coupons_state_valid_until", "state", "valid_until"),
        CheckConstraint("state IN ('AVAILABLE', 'REDEEMED', 'EXPIRED', 'VOIDED')", name="state_known"),
        CheckConstraint("valid_from < valid_until", name="validity_not_empty"),
    )

    # chaincard.coupons.codes: 17 digits, homed in this region.
    coupon_code: Mapped[str] = mapped_column(String(17), primary_key=True)
    template_code: Mapped[str] = mapped_column(String(64))
    card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"), index=True)
    # AVAILABLE, REDEEMED, EXPIRED or VOIDED (common.proto CouponState without the prefix).
    state: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[datetime] = mapped_column(UtcTimestamp)
    valid_until: Mapped[datetime] = mapped_column(UtcTimestamp)
    issued_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    issued_reason: Mapped[str] = mapped_column(String(128))
    # What issued it, unique, so an issue retried or resumed issues nothing twice: e.g.
    # "recharge:<transaction id>:<template>:<n>", "registration:<card>:<template>",
    # "birthday:<card>:<year>:<template>", "bulk:<job id>:<card>", "manual:<request id>:<n>".
    issue_key: Mapped[str] = mapped_column(String(160), unique=True)
    # While REDEEMED: the checkout that used it.
    redeemed_transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    redeemed_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # When the expiry reminder went out (Q5), so it goes out once.
    reminded_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class PointsLot(Base):
    """Points a card earned together (P3, docs/adr/0022): one lot per credit to the card's POINTS
    account, consumed by debits oldest expiry first. Invariant: a card's lots' ``points_remaining``
    sum to its POINTS account's balance. Written only beside the postings (region_service.points_lots),
    under the card's account locks."""

    __tablename__ = "points_lots"
    __table_args__ = (
        # A debit reads a card's lots with points left; the expiry job reads lots due by expiry.
        Index("ix_points_lots_card_open", "card_number", "expires_at", postgresql_where=text("points_remaining > 0")),
        Index("ix_points_lots_open_expiry", "expires_at", postgresql_where=text("points_remaining > 0")),
        CheckConstraint("points_earned > 0", name="earned_positive"),
        CheckConstraint("points_remaining >= 0 AND points_remaining <= points_earned", name="remaining_within_earned"),
    )

    lot_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"))
    # When its points reached the card (for a balance transfer: when they first did, on the old card).
    earned_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    # No longer spendable from this moment (the nightly job then expires it); None: never.
    expires_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    points_earned: Mapped[int] = mapped_column(BigInteger)
    points_remaining: Mapped[int] = mapped_column(BigInteger)
    # The ledger transaction that credited it (None: the opening lot of points held before lots existed).
    source_transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)


class CountUsePack(Base):
    """Uses of one count item bought together (K1, docs/adr/0029): one pack row per PurchaseCountUses,
    consumed by checkouts earliest expiry first. Invariant: a card's packs' ``uses_left`` of an item
    sum to its COUNT_USES:<item> account's balance. Written only beside the postings, under the
    card's row lock."""

    __tablename__ = "count_use_packs"
    __table_args__ = (
        Index("ix_count_use_packs_card_open", "card_number", "item_code", "expires_at", postgresql_where=text("uses_left > 0")),
        CheckConstraint("uses_bought > 0", name="bought_positive"),
        CheckConstraint("uses_left >= 0 AND uses_left <= uses_bought", name="left_within_bought"),
        CheckConstraint("value_left_fen >= 0 AND value_left_fen <= price_fen", name="value_within_price"),
    )

    pack_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"))
    item_code: Mapped[str] = mapped_column(String(64))
    # The selling franchisee: its count-use liability is the other side of the card's uses.
    franchisee_id: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[str] = mapped_column(String(36), index=True)
    uses_bought: Mapped[int] = mapped_column(BigInteger)
    uses_left: Mapped[int] = mapped_column(BigInteger)
    bought_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    # No longer usable from this moment; None: never.
    expires_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # What the pack was sold for, in fen, and what its uses left are worth: uses taken are valued
    # from these (chaincard.ledger.count_use_value), so that a pack's uses sum to its price and
    # settlement clears them between franchisees (docs/adr/0031).
    price_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    value_left_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The package it was bought in (CountPackage.code); "" when the item was bought alone.
    package_code: Mapped[str] = mapped_column(String(32), server_default=text("''"))


class CountTimePeriod(Base):
    """One purchase of a time item (K4, docs/adr/0030): unlimited use of the item from ``starts_at``
    to ``ends_at``. A card's periods of an item follow each other (a purchase starts at the later of
    now and the last end), so its pass ends at their latest ``ends_at``. Written under the card's lock."""

    __tablename__ = "count_time_periods"
    __table_args__ = (
        Index("ix_count_time_periods_card_item", "card_number", "item_code", "ends_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    period_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"))
    item_code: Mapped[str] = mapped_column(String(64))
    # The selling franchisee, and the purchase (its share of a package's price in price_fen).
    franchisee_id: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[str] = mapped_column(String(36), index=True)
    package_code: Mapped[str] = mapped_column(String(32), server_default=text("''"))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    ends_at: Mapped[datetime] = mapped_column(UtcTimestamp)


class CountTimeUse(Base):
    """Uses of a time pass (K4) by one transaction, for reports and the daily cap: a sale's row has
    its uses, a refund's or void's row the uses it released (negative), dated on the sale's business
    day so the day's count nets them."""

    __tablename__ = "count_time_uses"
    __table_args__ = (Index("ix_count_time_uses_card_day", "card_number", "item_code", "business_date"),)

    use_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"))
    item_code: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[str] = mapped_column(String(36), index=True)
    # The period that covered the use (its seller), the store that served it.
    period_id: Mapped[str] = mapped_column(String(36))
    store_id: Mapped[str] = mapped_column(String(64))
    business_date: Mapped[date] = mapped_column(Date)
    uses: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp)


class PointsExpiryReminder(Base):
    """A points-expiring reminder sent (P3): one per card and expiry moment, so a rerun sends none twice."""

    __tablename__ = "points_expiry_reminders"

    card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcTimestamp, primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class PointsExpiryOutlookSent(Base):
    """The expiry outlook of a card last sent to HQ (PointsExpiryOutlook), so the points job sends
    one only when the figures change."""

    __tablename__ = "points_expiry_outlooks"

    card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"), primary_key=True)
    expiring_30_days: Mapped[int] = mapped_column(BigInteger)
    expiring_90_days: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[datetime] = mapped_column(UtcTimestamp)


class GiftStock(Base):
    """Gifts a store of this region holds for points redemption (P2, docs/adr/0022): set by its
    manager (``chaincard region gift-stock``), taken by RedeemPoints of a GIFT offer at the store."""

    __tablename__ = "gift_stock"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    store_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class GiftStockTaking(Base):
    """Gifts one RedeemPoints request took from a store's stock, by its request id, so a retried or
    forwarded request takes them once and a refused one puts them back."""

    __tablename__ = "gift_stock_takings"
    __table_args__ = (CheckConstraint("state IN ('TAKEN', 'RETURNED')", name="state_known"),)

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(32))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(BigInteger)
    # TAKEN: handed over (or in doubt: a retry settles it); RETURNED: the redemption was refused.
    state: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class UsedMemberCode(Base):
    """A QR member code taken by a checkout (docs/adr/0026): recorded in the sale's own transaction at
    the card's home region, so a code pays once. A code is stale after a minute; old rows only keep
    the audit trail."""

    __tablename__ = "used_member_codes"

    card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"), primary_key=True)
    # When the code was issued (Unix milliseconds): with the card, it names the code.
    issued_at: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # The checkout's request id (its SPEND transaction, or its offline advice).
    request_id: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class CardLink(Base):
    """A linked card (C5, docs/adr/0032): it spends its main card's stored value, within a monthly
    limit. One row per linked card, so a card has one main at most; deleted on unlink (the audit
    log keeps the history). Written under both cards' row locks."""

    __tablename__ = "card_links"
    __table_args__ = (
        CheckConstraint("monthly_limit_fen > 0", name="limit_positive"),
        CheckConstraint("linked_card_number <> main_card_number", name="not_self"),
    )

    linked_card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"), primary_key=True)
    main_card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"), index=True)
    monthly_limit_fen: Mapped[int] = mapped_column(BigInteger)
    linked_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class CardLinkUsage(Base):
    """What a linked card spent of its main card's stored value in one calendar month (the chain's
    time zone), net of refunds, in fen: checked against the limit and moved under the main card's
    row lock (docs/adr/0032). Kept per linked card, not per link, so unlinking and linking again
    within a month does not reset it."""

    __tablename__ = "card_link_usage"
    __table_args__ = (CheckConstraint("spent_fen >= 0", name="spent_not_negative"),)

    linked_card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"), primary_key=True)
    # "YYYY-MM".
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    spent_fen: Mapped[int] = mapped_column(BigInteger)


class LedgerAccount(Base):
    """One account per (holder, asset). Card accounts never go below zero; system accounts may."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("card_number", "franchisee_id", "purpose", "asset", name="holder_purpose_asset"),
        CheckConstraint("purpose <> 'CARD' OR balance >= 0", name="card_balance_not_negative"),
        # What a card owes (an offline overdraft, points a refund could not claw back): the holder
        # owes the chain, so the credit-normal balance is at or below zero, and collecting never
        # overpays it (issue 21).
        CheckConstraint("purpose <> 'RECEIVABLE' OR balance <= 0", name="receivable_not_positive"),
        CheckConstraint("debits_posted >= 0 AND credits_posted >= 0", name="totals_not_negative"),
        CheckConstraint("balance = credits_posted - debits_posted", name="balance_matches_totals"),
    )

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # "CARD" for a card's own account, "RECEIVABLE" for what a card owes (same card_number, one per
    # asset, opened on first use), else a chaincard.ledger.SystemAccount name.
    purpose: Mapped[str] = mapped_column(String(32))
    card_number: Mapped[str] = mapped_column(String(32), default="")
    franchisee_id: Mapped[str] = mapped_column(String(32), default="")
    asset: Mapped[str] = mapped_column(String(64))
    # Credit-normal running balance in the asset's minor unit (fen or points), and its two totals.
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerTransaction(Base):
    """One business transaction; its postings balance per asset. Never updated: corrections cite it."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (Index("ix_ledger_transactions_card_created", "card_number", "created_at"),)

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    card_number: Mapped[str] = mapped_column(String(32))
    store_id: Mapped[str] = mapped_column(String(32))
    acquiring_franchisee_id: Mapped[str] = mapped_column(String(32))
    business_date: Mapped[date] = mapped_column(Date)
    # The amount the customer sees (recharge paid, or total due of a sale), in fen.
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    principal_delta_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_delta_fen: Mapped[int] = mapped_column(BigInteger)
    points_delta: Mapped[int] = mapped_column(BigInteger)
    principal_after_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_after_fen: Mapped[int] = mapped_column(BigInteger)
    points_after: Mapped[int] = mapped_column(BigInteger)
    original_transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # Priced breakdown and tenders, as shown on the receipt.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class PostingRecord(Base):
    __tablename__ = "postings"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    posting_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.transaction_id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.account_id"), index=True)
    asset: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(6))
    amount: Mapped[int] = mapped_column(BigInteger)


class IdempotencyKey(IdempotencyKeyColumns, Base):
    # The few stored answers that carry a member's profile, found again when the member is erased (M7).
    __table_args__ = (
        Index("ix_idempotency_keys_profile_answers", "operation",
              postgresql_where=text("operation IN ('RegisterMember', 'UpdateMember')")),
        # The hourly purge of answers past their retention (chaincard.db.idempotency.purge_answers).
        Index("ix_idempotency_keys_created_at", "created_at"),
    )


class ProcessedEvent(ProcessedEventColumns, Base):
    """The region's inbox (chaincard.events.consumer): events its consumers applied, each once
    (referral awards, docs/adr/0044)."""


class OutboxMessage(OutboxColumns, Base):
    # The id of the database transaction that wrote the row, set by PostgreSQL. Outbox positions are
    # not commit order; the balance feed copies rows only once every transaction with a lower id has
    # ended (region_service.balance_feed, docs/adr/0017).
    transaction_xid: Mapped[int] = mapped_column(
        BigInteger, server_default=text("(pg_current_xact_id()::text)::bigint"), index=True,
    )


class BalanceFeedEntry(Base):
    """A card's balances after one ledger transaction, in commit order: what StoreSyncService's
    SubscribeCardBalances streams to the stores caching the card (docs/adr/0017). Written only by
    region_service.balance_feed (one writer at a time), from the outbox's TransactionPosted rows (and
    its CardLevelChanged and CardTypeChanged rows)."""

    __tablename__ = "balance_feed"
    __table_args__ = (Index("ix_balance_feed_card_position", "card_number", "position"),)

    # Dense and increasing in the order the feed's single writer committed the rows.
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The TransactionPosted event copied (its outbox row may be deleted later by retention).
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    card_number: Mapped[str] = mapped_column(String(32))
    transaction_id: Mapped[str] = mapped_column(String(36))
    transaction_type: Mapped[str] = mapped_column(String(32))
    store_id: Mapped[str] = mapped_column(String(32))
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger)
    # What the card owes after it (docs/adr/0018): its receivables, in fen and points.
    owed_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    points_owed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The card's level and type when the entry's database transaction moved them (docs/adr/0017
    # addendum); empty: unchanged. An entry copied from a CardLevelChanged or CardTypeChanged made
    # without a ledger transaction has empty transaction_id and transaction_type.
    level_code: Mapped[str] = mapped_column(String(32), default="", server_default="")
    card_type_code: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # When the transaction was posted (its outbox row's insert time, taken under the card's lock).
    as_of: Mapped[datetime] = mapped_column(UtcTimestamp)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now, index=True)


class BalanceFeedMark(Base):
    """The balance feed's progress (one row): outbox rows written by transactions with an id below
    ``copied_below_xid`` are in the feed; positions up to ``pruned_through`` were deleted."""

    __tablename__ = "balance_feed_mark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    copied_below_xid: Mapped[int] = mapped_column(BigInteger)
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0)


class ReceiptRecord(Base):
    """Receipt text of each transaction, for reprints (X2)."""

    __tablename__ = "receipts"

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    lines: Mapped[bytes] = mapped_column(LargeBinary)


class AuditLogEntry(Base):
    """One audited administrative or financial action (H4). Append-only: rows are inserted through
    region_service.audit.record and never updated or deleted (a database trigger refuses both)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now, index=True)
    # The operator id, "store:<store id>" for a store call naming no operator, "cardholder" for
    # self-service, or "system" for scheduled jobs such as expiry.
    actor: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(String(32), default="")
    # The franchisee concerned (the card's issuer), so franchisee-scoped queries find their cards.
    franchisee_id: Mapped[str] = mapped_column(String(32), default="")
    # What was done, e.g. "card.freeze", "pin.set".
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(256), default="")
    # State before and after as JSON; never PII in clear, never PIN material.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # For financial actions the headline amount in fen; else 0.
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # "OK", or the status name of a refused attempt that is audited too (e.g. "PERMISSION_DENIED").
    outcome: Mapped[str] = mapped_column(String(32), default="OK")
    request_id: Mapped[str] = mapped_column(String(64), default="")


class OfflineAdviceRecord(Base):
    """An offline advice (X4) as this region posted it: one row per advice_id beside its ledger
    transaction, so a repeat is answered DUPLICATE. ``shortfall_fen`` > 0 means the card's stored
    value did not cover the spend: the rest was posted against the issuer's OFFLINE_OVERDRAFT
    receivable and the card is on the overdrawn report until followed up."""

    __tablename__ = "offline_advices"
    __table_args__ = (
        Index("ix_offline_advices_card_day", "card_number", "business_date"),
        Index("ix_offline_advices_overdrawn", "card_number", postgresql_where=text("shortfall_fen > 0")),
        CheckConstraint("shortfall_fen >= 0 AND shortfall_fen <= amount_fen", name="shortfall_within_amount"),
    )

    # The original Checkout's request_id, kept by the store as the advice's idempotency key.
    advice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Posting order in this region (what the exactly-once-in-order tests read).
    posted_order: Mapped[int] = mapped_column(BigInteger, Identity(always=False), unique=True)
    transaction_id: Mapped[str] = mapped_column(String(36), index=True)
    store_id: Mapped[str] = mapped_column(String(32))
    # Position in the store's offline queue.
    store_sequence: Mapped[int] = mapped_column(BigInteger)
    # The card posted to; ``advised_card_number`` differs when the advised card was replaced since.
    card_number: Mapped[str] = mapped_column(String(32))
    advised_card_number: Mapped[str] = mapped_column(String(32))
    issuing_franchisee_id: Mapped[str] = mapped_column(String(32))
    # Business day of the approval at the store (not of the posting).
    business_date: Mapped[date] = mapped_column(Date)
    # Stored value the store took offline, in fen; the part the card did not hold is the shortfall.
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    shortfall_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    approved_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    posted_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    # The region that forwarded it here, when the store's own region is not the card's home.
    forwarded_by: Mapped[str] = mapped_column(String(8), default="")


class NoticeOptOut(Base):
    """A member's choice per notice channel (N5, docs/adr/0053); no row means "send"."""

    __tablename__ = "notice_opt_outs"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id"), primary_key=True)
    # NotificationChannel short name: "SMS", "WECHAT", "EMAIL".
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class MemberDateRow(Base):
    """A member's other date (N2, M6, docs/adr/0056): wedding anniversary, a child's birthday. Kept
    only here, at the home region; set with MemberService.SetMemberDates, cleared by erasure."""

    __tablename__ = "member_dates"
    __table_args__ = (
        CheckConstraint("month BETWEEN 1 AND 12 AND day BETWEEN 1 AND 31", name="real_month_day"),
        Index("ix_member_dates_month_day", "month", "day"),
    )

    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id"), primary_key=True)
    # program_config.proto MemberDateKind short name: "WEDDING_ANNIVERSARY", "CHILD_BIRTHDAY".
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Tells dates of one kind apart (a child's name); "" when none.
    label: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[int] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer)
    # None: given without the year ("--MM-DD").
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class MemberDateGreetingSent(Base):
    """A greeting sent (N2, docs/adr/0056): one per greeting, member, date and year, so a rerun (or
    another replica) sends none twice. Key: "<greeting>:<member>:<kind>:<label>:<year>"."""

    __tablename__ = "member_date_greetings"

    greeting_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    card_number: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class CountUsePackReminder(Base):
    """A count-uses-expiring reminder sent for a pack (docs/adr/0056): one per pack, ever."""

    __tablename__ = "count_use_pack_reminders"

    pack_id: Mapped[str] = mapped_column(ForeignKey("count_use_packs.pack_id"), primary_key=True)
    uses_left: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class StoreConnectionRow(Base):
    """A store agent's last PullConfigSnapshot here (issue 19): when, and the offline queue it
    reported then; one row per store, overwritten on each call (StoreConnectionService)."""

    __tablename__ = "store_connections"

    store_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_contact_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    # False: the agent predates PullConfigSnapshotRequest.status_reported (its queue is unknown).
    status_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    offline_queue_depth: Mapped[int] = mapped_column(BigInteger, default=0)
    oldest_queued_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    agent_version: Mapped[str] = mapped_column(String(64), default="")
    agent_started_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
