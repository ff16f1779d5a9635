"""HQ schema: the chain directory, program configuration, the phone index and read models fed by events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, new_metadata, utc_now
from chaincard.db.inbox import ProcessedEventColumns


class Base(DeclarativeBase):
    metadata = new_metadata()


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    card_prefix: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(255))


class Franchisee(Base):
    __tablename__ = "franchisees"

    franchisee_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    company_owned: Mapped[bool] = mapped_column(Boolean, default=False)


class Store(Base):
    __tablename__ = "stores"

    store_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(8), index=True)
    franchisee_id: Mapped[str] = mapped_column(String(32), index=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(256), default="", server_default="")
    # False once the store has closed: kept for history (its transactions, statements).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class StaffMember(Base):
    """A person working in a store (S1); kept after they leave (``active`` false) for history."""

    __tablename__ = "staff"

    staff_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(64))
    # directory.proto StaffRole short name: "CASHIER" or "STORE_MANAGER".
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean)
    employee_number: Mapped[str] = mapped_column(String(32))
    # The operator account the person logs in with; "" when none.
    operator_id: Mapped[str] = mapped_column(String(32))
    # Work e-mail (the store manager's digest, N4, docs/adr/0056); "" when none. Personal data:
    # masked in audit entries, left out of the config snapshot.
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")


class ConfigItem(Base):
    """One item of program configuration (card type, level, promotion, rule, fee schedule, …).

    The item is kept as its serialized chaincard.v1 message, so fields added to the proto need no
    migration here; ``item_key`` is its code (empty for chain-wide singletons such as settings).
    """

    __tablename__ = "config_items"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    definition: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now, onupdate=utc_now)


class PhysicalCard(Base):
    """The HQ card directory of pre-printed numbers (C2): which region is each number's home."""

    __tablename__ = "physical_cards"

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    home_region: Mapped[str] = mapped_column(String(8))
    franchisee_id: Mapped[str] = mapped_column(String(32))
    card_type_code: Mapped[str] = mapped_column(String(32), default="")
    registered_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class ConfigVersion(Base):
    """One row: bumped by every change to directory or program configuration."""

    __tablename__ = "config_version"

    singleton: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class PhoneClaim(Base):
    """The chain-wide unique phone index, keyed by the phone's HMAC (never the raw number)."""

    __tablename__ = "phone_claims"

    phone_hmac: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Not unique: during a phone change (M3) the member holds the new claim before the old is released.
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    home_region: Mapped[str] = mapped_column(String(8))
    request_id: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class MemberView(Base):
    """Member 360, masked (read model)."""

    __tablename__ = "member_views"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    phone_hmac: Mapped[str] = mapped_column(String(64), index=True)
    # A serialized chaincard.v1.Member (phone and e-mail masked).
    member: Mapped[bytes] = mapped_column(LargeBinary)
    home_region: Mapped[str] = mapped_column(String(8), default="")
    registered_store_id: Mapped[str] = mapped_column(String(32), default="")
    # The business day of registration (new-member reports).
    registered_business_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    # The month of Member.birthday (1-12), for segment filters (A2); null when unknown.
    birth_month: Mapped[int | None] = mapped_column(SmallInteger, nullable=True, index=True)
    # When an event last changed this view.
    updated_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)


class CardView(Base):
    __tablename__ = "card_views"
    # Segment filters by level and by issuing franchisee (A2; revision 0024).
    __table_args__ = (
        Index("ix_card_views_level_member", "level_code", "member_id"),
        Index("ix_card_views_franchisee_member", "issuing_franchisee_id", "member_id"),
    )

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    card_type_code: Mapped[str] = mapped_column(String(32))
    state: Mapped[int] = mapped_column(Integer)
    home_region: Mapped[str] = mapped_column(String(8))
    issuing_franchisee_id: Mapped[str] = mapped_column(String(32))
    principal_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the card owes (issue 21: offline overdrafts in fen, points a refund could not claw back).
    owed_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    points_owed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Points of its lots expiring within 30 / 90 days, as its home region last reported them
    # (PointsExpiryOutlook, P3), and when; the liability report sums them (docs/adr/0022).
    points_expiring_30_days: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    points_expiring_90_days: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    points_outlook_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # When the newest transaction applied happened (Transaction.occurred_at).
    last_transaction_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # When the home region posted the transaction whose balances this row shows (Transaction.posted_at;
    # its occurred_at for an event without one): an event posted earlier, applied late, must not roll
    # the balances back. Null on rows from before HQ revision 0010: last_transaction_at stands in.
    posted_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    issuing_store_id: Mapped[str] = mapped_column(String(32), default="", index=True)
    level_code: Mapped[str] = mapped_column(String(32), default="")
    form: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # Who opened the card (CardOpened.operator_id) and the issuing store's business day it was
    # opened on: the card openings staff commission pays on (docs/adr/0043). Null before HQ 0019.
    opened_operator_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    opened_business_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    # TransactionPosted events applied to this card: equals the home region's count of the card's
    # transactions unless an event was lost or applied twice (the reliability tests compare them).
    transaction_count: Mapped[int] = mapped_column(BigInteger, default=0)
    # When an event last changed this view.
    updated_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)


class TransactionView(Base):
    """Chain-wide transaction history: every transaction of every region, one row each."""

    __tablename__ = "transaction_views"
    __table_args__ = (
        Index("ix_transaction_views_card_occurred", "card_number", "occurred_at"),
        Index("ix_transaction_views_card_business_date", "card_number", "business_date"),
    )

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    # The acquiring store (where it happened); "" for HQ or call-center actions.
    store_id: Mapped[str] = mapped_column(String(32), index=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    # A serialized chaincard.v1.Transaction.
    transaction: Mapped[bytes] = mapped_column(LargeBinary)
    # TransactionType short name, e.g. "SPEND".
    transaction_type: Mapped[str] = mapped_column(String(32), default="")
    home_region: Mapped[str] = mapped_column(String(8), default="")
    issuing_franchisee_id: Mapped[str] = mapped_column(String(32), default="")
    acquiring_franchisee_id: Mapped[str] = mapped_column(String(32), default="")
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    principal_after_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus_after_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    points_after: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the card owed after it (issue 21).
    owed_after_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    points_owed_after: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # How it was paid: [[TenderType number, amount_fen], …] (a void of a recharge gives these back).
    tenders: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    event_id: Mapped[str] = mapped_column(String(36), default="")
    # When HQ applied it, and in which order: latency figures and per-card order checks.
    applied_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    applied_sequence: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)


class CardLinkView(Base):
    """A linked card's link to its main card (C5), as CardLinkChanged events report it (read
    model, docs/adr/0037); deleted when the card is unlinked."""

    __tablename__ = "card_link_views"

    linked_card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    main_card_number: Mapped[str] = mapped_column(String(32), index=True)
    monthly_limit_fen: Mapped[int] = mapped_column(BigInteger)
    # When the event that linked it (or changed its limit) happened.
    linked_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)


class CardLinkUsageView(Base):
    """What a linked card spent of its main card's stored value in a month, net of refunds, as its
    home region last reported it (read model, docs/adr/0037). Kept per card, as the region's usage
    is, so a link made again within the month shows what was spent already."""

    __tablename__ = "card_link_usage_views"

    linked_card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    spent_fen: Mapped[int] = mapped_column(BigInteger)


class CommissionEntry(Base):
    """What one event earned (or a refund clawed back) one staff member under one plan (C7, S2;
    docs/adr/0043), written by the nightly run. ``source_id`` is the transaction's id, or
    ``card:<number>`` for a card opening; one row per source and plan, so no event pays twice."""

    __tablename__ = "commission_entries"
    __table_args__ = (Index("ix_commission_entries_day_store_staff", "business_date", "store_id", "staff_id"),)

    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date)
    store_id: Mapped[str] = mapped_column(String(32))
    # Staff.staff_id, or the operator id when HQ lists nobody for it at the store.
    staff_id: Mapped[str] = mapped_column(String(64))
    # program_config.proto CommissionEvent number.
    event: Mapped[int] = mapped_column(Integer)
    # 1 for an event that earned, 0 for a clawback.
    event_count: Mapped[int] = mapped_column(Integer)
    # The event's amount (negative: what a refund gave back), in fen.
    basis_fen: Mapped[int] = mapped_column(BigInteger)
    commission_fen: Mapped[int] = mapped_column(BigInteger)
    # For a clawback: the source whose commission it takes back; "" otherwise.
    original_source_id: Mapped[str] = mapped_column(String(64), default="")


class CommissionRun(Base):
    """A business day whose commission was computed (docs/adr/0043): its presence makes a rerun a
    no-op, so the nightly job, a catch-up and a manual run compute each day exactly once."""

    __tablename__ = "commission_runs"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    entries_written: Mapped[int] = mapped_column(BigInteger)


class StoreDailyFigures(Base):
    """One store's figures of one business day (R1), summed as events arrive (reports read these)."""

    __tablename__ = "store_daily_figures"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    # The acquiring store; "" for actions outside any store.
    store_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sales_count: Mapped[int] = mapped_column(BigInteger, default=0)
    sales_gross_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    points_deduction_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    sales_net_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    stored_value_principal_spent_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    stored_value_bonus_spent_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    recharge_count: Mapped[int] = mapped_column(BigInteger, default=0)
    recharge_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    recharge_bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_count: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    void_count: Mapped[int] = mapped_column(BigInteger, default=0)
    void_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    points_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    points_redeemed: Mapped[int] = mapped_column(BigInteger, default=0)
    count_uses_consumed: Mapped[int] = mapped_column(BigInteger, default=0)
    new_members: Mapped[int] = mapped_column(BigInteger, default=0)
    new_cards: Mapped[int] = mapped_column(BigInteger, default=0)
    overdrawn_count: Mapped[int] = mapped_column(BigInteger, default=0)
    # Exposure (issue 21): offline approvals, the receivables they opened, and receivables settled here.
    offline_approval_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    offline_approved_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    overdraft_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    receivable_collected_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    receivable_written_off_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Offline sales whose coupons were used elsewhere meanwhile, and their discount (docs/adr/0025).
    coupon_conflict_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    coupon_conflict_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class StoreDailyTender(Base):
    """Payments by tender type of one store and business day (sales and recharges; refunds subtracted)."""

    __tablename__ = "store_daily_tenders"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    store_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # TenderType number.
    tender_type: Mapped[int] = mapped_column(Integer, primary_key=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_count: Mapped[int] = mapped_column(BigInteger, default=0)


class MemberDailyFigures(Base):
    """One member's activity at one store on one business day (top members, R2)."""

    __tablename__ = "member_daily_figures"
    # A member's days, for segment filters and RFM (A1, A2; revision 0024).
    __table_args__ = (Index("ix_member_daily_figures_member_day", "member_id", "business_date"),)

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    spend_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    recharge_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    visit_count: Mapped[int] = mapped_column(BigInteger, default=0)
    points_earned: Mapped[int] = mapped_column(BigInteger, default=0)


class NotificationPreference(Base):
    """A member's choice about transaction notices (N5 opt-out); no row means "send"."""

    __tablename__ = "notification_preferences"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    # Who recorded it and why (call center, self-service, …).
    note: Mapped[str] = mapped_column(String(200), default="")


class Notice(Base):
    """A transaction notice (N1) to send, sent, or not sent and why: the notifications outbox.

    Written by the notifications consumer in the transaction that records the event as applied,
    delivered by the dispatcher afterwards, so a notice is neither lost nor planned twice.
    """

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_status_send_after", "status", "send_after"),)

    # Derived from (event id, template code): a redelivered event cannot plan a second notice.
    notice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    card_number: Mapped[str] = mapped_column(String(32))
    # NotificationEvent short name, e.g. "RECHARGE"; channel short name, e.g. "SMS".
    notification_event: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    template_code: Mapped[str] = mapped_column(String(64))
    # The template body and its placeholder values (the member's name is filled in when sent).
    template_body: Mapped[str] = mapped_column(Text)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # PENDING, SENDING (claimed, outcome not yet recorded), SENT, OPTED_OUT, FAILED (docs/adr/0053).
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    # Not before this moment (quiet hours, retry back-off).
    send_after: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    sent_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # The text as sent.
    rendered: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")


class ProcessedEvent(ProcessedEventColumns, Base):
    pass


class AuditLogEntry(Base):
    """One audited administrative or financial action (H4), collected from every service's
    AuditEntryRecorded events or recorded by HQ itself (hq_service.audit_log). Append-only: the ORM
    and a database trigger (revision 0005) refuse UPDATE and DELETE."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_newest", "occurred_at", "entry_id"),
        Index("ix_audit_entries_target", "target_type", "target_id", "occurred_at"),
        Index("ix_audit_entries_actor", "actor", "occurred_at"),
        Index("ix_audit_entries_store", "store_id", "occurred_at"),
        Index("ix_audit_entries_franchisee", "franchisee_id", "occurred_at"),
        Index("ix_audit_entries_region", "region_code", "occurred_at"),
    )

    # The producer's entry id (UUIDv7): a republished entry cannot be stored twice.
    entry_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    # When HQ stored it (later than occurred_at for entries that travelled through Kafka).
    recorded_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    # Who: the operator id; else the calling service ("region:E", "store:S-E-001"); else "system".
    actor: Mapped[str] = mapped_column(String(100))
    operator_id: Mapped[str] = mapped_column(String(64), default="")
    operator_role: Mapped[str] = mapped_column(String(40), default="")
    operator_scope: Mapped[str] = mapped_column(String(80), default="")
    # The process that performed the action ("hq_service", "region_service:E") and, for HQ's own
    # actions, the certificate identity the call came from ("operator-client:ops").
    producer: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(100), default="")
    # The full RPC or job name, e.g. "chaincard.v1.DirectoryService/UpsertStore" or "card.freeze".
    action: Mapped[str] = mapped_column(String(128))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(128))
    store_id: Mapped[str] = mapped_column(String(32), default="")
    franchisee_id: Mapped[str] = mapped_column(String(32), default="")
    region_code: Mapped[str] = mapped_column(String(8), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(256), default="")
    # The JSON text exactly as the producer wrote it (no secrets, PII masked); empty when none.
    before_json: Mapped[str] = mapped_column(Text, default="")
    after_json: Mapped[str] = mapped_column(Text, default="")
    # "OK", or the status name of a refused attempt (e.g. "PERMISSION_DENIED").
    outcome: Mapped[str] = mapped_column(String(32), default="OK")
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class ManagerDigest(Base):
    """One store manager's digest of one business day (N4, docs/adr/0056): the row is committed
    SENDING before the e-mail goes out, so a rerun (or a second HQ replica) never sends it twice;
    one left SENDING by a crash is never resent (SMTP cannot drop a repeat: at most once)."""

    __tablename__ = "manager_digests"

    staff_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    store_id: Mapped[str] = mapped_column(String(32))
    # SENDING, SENT or FAILED.
    status: Mapped[str] = mapped_column(String(16))
    # The figures sent (no address): what the manager read, for support.
    body: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    sent_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
