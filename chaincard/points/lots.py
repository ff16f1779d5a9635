"""Points lots (P3), pure rules: when a lot earned now expires, and which lots a debit consumes.

A card's points are held as lots, one per credit (docs/adr/0022): each keeps when it was earned and
when it expires, by the chain's PointsExpiryPolicy at the moment it was earned (a later policy
change leaves earned lots as they are). A debit consumes lots oldest expiry first (a lot that never
expires last); a refund's claw-back takes first from the lots its own sale created. No database
and no gRPC here: the region stores the lots (region_service.points_lots).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# PointsExpiryRule's numbers (program_config.proto), so this module needs no generated code.
RULE_UNSPECIFIED = 0
RULE_NEVER = 1
RULE_END_OF_FOLLOWING_YEAR = 2
RULE_DAYS_AFTER_EARNING = 3


@dataclass(frozen=True)
class ExpiryPolicy:
    """The chain's points expiry policy as this module reads it (PointsExpiryPolicy)."""

    rule: int = RULE_NEVER
    days: int = 0
    reminder_days_before_expiry: int = 0


def _local_midnight(day: date, time_zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def lot_expiry(policy: ExpiryPolicy, earned_at: datetime, time_zone: str) -> datetime | None:
    """When a lot earned at ``earned_at`` stops being spendable (exclusive, aware UTC); None: never.

    END_OF_FOLLOWING_YEAR: the chain's midnight that starts the second year after the one earned in
    (earned any day of 2026 → expires 2028-01-01 00:00 local). DAYS_AFTER_EARNING: usable through
    the N-th local day after the day earned, i.e. expires at the midnight that starts day N + 1
    (so a lot never lasts less than N full days, whatever the hour it was earned)."""
    if earned_at.tzinfo is None:
        raise ValueError("lot_expiry needs an aware datetime")
    local_day = earned_at.astimezone(ZoneInfo(time_zone)).date()
    if policy.rule == RULE_END_OF_FOLLOWING_YEAR:
        return _local_midnight(date(local_day.year + 2, 1, 1), time_zone)
    if policy.rule == RULE_DAYS_AFTER_EARNING and policy.days > 0:
        return _local_midnight(local_day + timedelta(days=policy.days + 1), time_zone)
    return None  # NEVER, unset, or a DAYS rule without days (HQ refuses those)


@dataclass(frozen=True)
class Lot:
    """A lot as a debit sees it: what is left of it and how it sorts."""

    lot_id: str
    remaining: int
    expires_at: datetime | None
    earned_at: datetime
    source_transaction_id: str | None = None


@dataclass(frozen=True)
class Taken:
    """Points a debit takes from one lot (with the lot's dates, which a transfer carries over)."""

    lot_id: str
    points: int
    expires_at: datetime | None
    earned_at: datetime


_NEVER = datetime.max.replace(tzinfo=UTC)


def consumption_order(lot: Lot, first_from: str | None = None) -> tuple[int, datetime, datetime, str]:
    """Sort key of the lots a debit consumes: ``first_from``'s lots first (a refund's own sale), then
    oldest expiry (never-expiring last), then oldest earned."""
    return (0 if first_from and lot.source_transaction_id == first_from else 1,
            lot.expires_at or _NEVER, lot.earned_at, lot.lot_id)


def consume(lots: Sequence[Lot], points: int, *, first_from: str | None = None) -> list[Taken]:
    """Which lots ``points`` comes out of. Raises ValueError if the lots hold fewer points: the lots
    of a card always hold exactly its points balance, so that is a broken invariant, not a refusal."""
    if points < 0:
        raise ValueError("points to consume must not be negative")
    taken: list[Taken] = []
    left = points
    for lot in sorted((lot for lot in lots if lot.remaining > 0), key=lambda lot: consumption_order(lot, first_from)):
        if not left:
            break
        part = min(left, lot.remaining)
        taken.append(Taken(lot.lot_id, part, lot.expires_at, lot.earned_at))
        left -= part
    if left:
        raise ValueError(f"the lots hold {points - left} points, fewer than the {points} debited")
    return taken


def reminder_due(expires_at: datetime, now: datetime, reminder_days: int) -> bool:
    """Whether a lot expiring at ``expires_at`` is within its reminder window at ``now`` (and not yet expired)."""
    return reminder_days > 0 and now < expires_at <= now + timedelta(days=reminder_days)
