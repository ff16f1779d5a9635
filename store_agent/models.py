"""Store agent schema (SQLite): every mutating request is written here before its first send; the
configuration snapshot, the offline stand-in's card cache (its cards' coupons, count-card uses and
time passes, and QR member-code keys), where the region's push of its cards' balances got to (per
region for the feeds it relays), and its queue of offline advices (X4)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, new_metadata, utc_now


class Base(DeclarativeBase):
    metadata = new_metadata()


class OutgoingRequest(Base):
    """A mutating request on its way to the region. Survives a crash; retried with the same id."""

    __tablename__ = "outgoing_requests"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Full RPC name, e.g. "/chaincard.v1.TransactionService/Checkout".
    method: Mapped[str] = mapped_column(String(128))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    request: Mapped[bytes] = mapped_column(LargeBinary)
    # PENDING (not yet answered), DONE (answered; response kept), REJECTED (final error kept).
    # A checkout approved offline is DONE with its offline answer (and its advice queued).
    state: Mapped[str] = mapped_column(String(16), index=True)
    response: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now, onupdate=utc_now)


class Receipt(Base):
    """Receipt of every sale and recharge this store made, for reprints (X2)."""

    __tablename__ = "receipts"

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The receipt as first printed (58 mm layout).
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    # The card, so an online receipt can be laid out again by its home region.
    card_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Title and label/value rows as JSON (store_agent.receipts), for a reprint at any width; set for
    # the receipts this agent composed itself (offline sales).
    document: Mapped[str | None] = mapped_column(Text, nullable=True)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)


class ConfigSnapshotRecord(Base):
    """The configuration snapshot last pulled from the region (one row), kept so an agent that
    restarts during an outage can still sell offline."""

    __tablename__ = "config_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)
    pulled_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class CachedCard(Base):
    """A card this store has seen recently, as its home region last described it. Never a PIN hash:
    only whether a PIN is set."""

    __tablename__ = "cached_cards"

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    # False while only balances are known (e.g. learnt from a checkout answer): not usable offline
    # until a RefreshCardCache fills in state and PIN.
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    # CardState short name ("ACTIVE", "LOST", …).
    state: Mapped[str] = mapped_column(String(16), default="")
    card_type_code: Mapped[str] = mapped_column(String(32), default="")
    level_code: Mapped[str] = mapped_column(String(32), default="")
    issuing_franchisee_id: Mapped[str] = mapped_column(String(32), default="")
    home_region: Mapped[str] = mapped_column(String(8), default="")
    pin_set: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    principal_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the card owes (its receivable, docs/adr/0018), in fen, with the balances: the stand-in
    # holds it back from the stored value the card may spend.
    owed_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # When the balances were confirmed: the send time of the call that returned them, or, for a
    # balance the region pushed, when the region posted it. Advices forwarded before then are in them.
    balances_as_of: Mapped[datetime] = mapped_column(UtcTimestamp)
    # The region's offline allowance for this card today at this store (RefreshCardCache), and when asked.
    offline_allowance_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    allowance_as_of: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # When level_code and card_type_code were learnt: a refresh's send time, or the time of a
    # pushed level or type change (docs/adr/0017 addendum); None: never. Neither is replaced by an
    # older description.
    level_as_of: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # Last full description (state, PIN, level) from the region.
    refreshed_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # When the region read the card's AVAILABLE coupons held in cached_coupons (docs/adr/0025);
    # None: never listed. A list read earlier never replaces a later one.
    coupons_as_of: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    last_seen_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now, index=True)
    # The card's own QR member-code key (RefreshCardCache, docs/adr/0026), to verify its codes
    # offline. None until a refresh answered (the card is then due for one); empty when the refresh
    # gave none (a physical card, or a region older than the field): its codes are refused offline.
    member_code_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The holder (empty: anonymous, or not known yet), for FindMember by code offline.
    member_id: Mapped[str] = mapped_column(String(36), default="", server_default="")
    # When the region read the card's count-card uses and passes held in cached_count_items
    # (docs/adr/0036); None: never listed. A list read earlier never replaces a later one.
    count_items_as_of: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # The business day (this store's) of the uses counted in the cached items' used_* columns.
    count_items_day: Mapped[date | None] = mapped_column(Date, nullable=True)


class CachedCoupon(Base):
    """An AVAILABLE coupon of a cached card, as its home region last listed it (RefreshCardCache, or
    the balance push): the stand-in redeems it offline (docs/adr/0025). A card's rows are replaced
    whole by each newer list; what this store used offline is kept apart (OfflineCouponUse), so a
    list read before an advice was posted cannot make its coupon usable again here."""

    __tablename__ = "cached_coupons"

    coupon_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32), index=True)
    template_code: Mapped[str] = mapped_column(String(64))
    # As listed: AVAILABLE (a list holds only those).
    state: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[datetime] = mapped_column(UtcTimestamp)
    valid_until: Mapped[datetime] = mapped_column(UtcTimestamp)


class CachedCountItem(Base):
    """What a cached card holds of one count item as its home region last listed it (RefreshCardCache
    or the balance push, docs/adr/0036): uses left per expiry (CachedCountPack), or a time pass's
    validity and daily cap; with the uses already counted on the listed business day. A card's rows
    are replaced whole by each newer list; this store's offline uses are kept apart (OfflineCountUse)."""

    __tablename__ = "cached_count_items"

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The card's uses of the item at this store on the listed day (the per-store quota, K3).
    used_here_today: Mapped[int] = mapped_column(Integer, default=0)
    time_pass: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # A time pass's cap per day (0: none) and the card's uses of it on the listed day, any store.
    daily_cap_uses: Mapped[int] = mapped_column(Integer, default=0)
    used_today: Mapped[int] = mapped_column(Integer, default=0)


class CachedCountPack(Base):
    """Uses left of a cached card's count item that expire together (NULL: never), as listed."""

    __tablename__ = "cached_count_packs"

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Position in the list: earliest expiry first, never-expiring last (the order a use takes them).
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    uses: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)


class OfflineCountUse(Base):
    """Count-card uses (or time-pass uses) an offline sale of this store took (docs/adr/0036), written
    with the sale. They count against the card's cached uses while the advice is queued, and until a
    list read after it was forwarded includes them."""

    __tablename__ = "offline_count_uses"

    advice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32), index=True)
    uses: Mapped[int] = mapped_column(Integer)
    time_pass: Mapped[bool] = mapped_column(Boolean, default=False)
    business_date: Mapped[date] = mapped_column(Date)


class OfflineCouponUse(Base):
    """A coupon an offline sale of this store used (docs/adr/0025). It stays used here while its
    advice is queued, and until a coupon list read after the advice was forwarded says otherwise
    (the region restored it, e.g. by a refund): two offline sales never use one coupon."""

    __tablename__ = "offline_coupon_uses"

    coupon_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    advice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32))
    discount_fen: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[datetime] = mapped_column(UtcTimestamp)


class OfflineMemberCodeUse(Base):
    """A QR member code an offline sale of this store took (docs/adr/0026), written with the sale:
    the same code is refused at this store from then on (its home region records the use when it
    posts the advice). A code is stale after a minute; rows are kept as the store's trail."""

    __tablename__ = "offline_member_code_uses"

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    # When the code was issued (Unix milliseconds): with the card, it names the code.
    issued_at: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    advice_id: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime] = mapped_column(UtcTimestamp)


class BalancePushPosition(Base):
    """Where the region's stream of this store's card balances got to (one row): the position of the
    last change applied, to resume after on reconnect (docs/adr/0017). 0: start at the region's head."""

    __tablename__ = "balance_push_position"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now, onupdate=utc_now)


class RelayedPushPosition(Base):
    """Where the push of this store's cards homed in another region got to, per region: the store's
    region relays that region's feed, with positions in it (docs/adr/0017, addendum). No row: start
    at that region's head."""

    __tablename__ = "balance_push_region_positions"

    region_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now, onupdate=utc_now)


class OfflineAdvice(Base):
    """A spend this store approved alone (X4), queued until its home region has posted it. Rows are
    never deleted, so ``sequence`` (SQLite's rowid) is gap-free and gives the forwarding order."""

    __tablename__ = "offline_advices"
    __table_args__ = (
        Index("ix_offline_advices_state_sequence", "state", "sequence"),
        Index("ix_offline_advices_card_day", "card_number", "business_date"),
    )

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The original Checkout's request_id.
    advice_id: Mapped[str] = mapped_column(String(64), unique=True)
    card_number: Mapped[str] = mapped_column(String(32))
    business_date: Mapped[date] = mapped_column(Date)
    # Stored value taken offline, in fen, and its split; points the sale earned.
    stored_value_fen: Mapped[int] = mapped_column(BigInteger)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger)
    points_earned: Mapped[int] = mapped_column(BigInteger)
    transaction_id: Mapped[str] = mapped_column(String(36))
    approved_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    # The chaincard.v1.OfflineAdvice as it is forwarded (PIN never included).
    advice: Mapped[bytes] = mapped_column(LargeBinary)
    # QUEUED until the home region answered POSTED, POSTED_OVERDRAWN or DUPLICATE; then POSTED. REJECTED when
    # it refused the sale for good (its id names another transaction): the store settles it by hand.
    state: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    posted_transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    outcome_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    forwarded_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # Coupons the sale used that its home region found used elsewhere, expired or voided when it
    # posted the advice (Transaction.coupon_conflicts, docs/adr/0025), and the discount given on them.
    coupon_conflicts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    coupon_conflict_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Count-card uses the region found the card no longer held when it posted the advice
    # (OfflineAdviceResult.count_use_shortfalls, docs/adr/0036): owed by the card, flagged.
    count_use_shortfall: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
