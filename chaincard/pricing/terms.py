"""What the program configuration gives the pricing engine, as plain frozen dataclasses.

Each class mirrors a message of ``protos/chaincard/v1/program_config.proto`` (Level,
PointsDeductionPolicy, EarnRule, StoredValueSplitRule) or a card's state. They are built by the
caller from its configuration snapshot and database rows; a value that breaks the configuration's
own rules (a rate above 100%, a naive datetime) raises ``ValueError`` when constructed, because it
is a defect of the configuration, not of the checkout request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chaincard.money import BASIS_POINTS

MINUTES_PER_DAY = 24 * 60


class TenderKind(StrEnum):
    """How part of a bill is paid (TenderType in common.proto, without the prefix)."""

    STORED_VALUE = "STORED_VALUE"
    OTHER_MEMBER_CARD = "OTHER_MEMBER_CARD"
    CASH = "CASH"
    BANK_CARD = "BANK_CARD"
    MOBILE_PAY = "MOBILE_PAY"
    # Produced by the count-uses stage; a request may carry it only as a placeholder (amount 0).
    COUNT_USES = "COUNT_USES"


STORED_VALUE_KINDS = frozenset({TenderKind.STORED_VALUE, TenderKind.OTHER_MEMBER_CARD})


class SplitRule(StrEnum):
    """How a stored-value payment is split between principal and bonus (ChainSettings.stored_value_split)."""

    PROPORTIONAL = "PROPORTIONAL"
    PRINCIPAL_FIRST = "PRINCIPAL_FIRST"
    BONUS_FIRST = "BONUS_FIRST"


def require_aware(moment: datetime | None, name: str) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _require_rate(rate_bp: int, name: str) -> None:
    if not 0 <= rate_bp <= BASIS_POINTS:
        raise ValueError(f"{name} must be 0..{BASIS_POINTS} basis points, not {rate_bp}")


@dataclass(frozen=True)
class StoredValue:
    """What a card holds, in fen: principal (本金, paid for) and bonus (赠送金额, given)."""

    principal_fen: int
    bonus_fen: int

    def __post_init__(self) -> None:
        if self.principal_fen < 0 or self.bonus_fen < 0:
            raise ValueError("stored value balances are never negative")

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.bonus_fen


@dataclass(frozen=True)
class LevelTerms:
    """What the card's level gives (Level, L1).

    ``discount_bp`` is taken off every line whose category is not in ``category_discount_bp``; a
    category listed there uses its own rate instead, and 0 there excludes it from any member
    discount. ``points_multiplier_bp`` multiplies the points earned (10000 = 1x).
    """

    code: str = ""
    discount_bp: int = 0
    category_discount_bp: Mapping[str, int] = field(default_factory=dict)
    points_multiplier_bp: int = BASIS_POINTS

    def __post_init__(self) -> None:
        _require_rate(self.discount_bp, "discount_bp")
        for category, rate_bp in self.category_discount_bp.items():
            _require_rate(rate_bp, f"category_discount_bp[{category!r}]")
        if self.points_multiplier_bp < 0:
            raise ValueError("points_multiplier_bp must not be negative")

    def discount_bp_for(self, category: str) -> int:
        return self.category_discount_bp.get(category, self.discount_bp)


@dataclass(frozen=True)
class PointsDeductionPolicy:
    """Points used as cash at checkout (积分抵现, P2): whole multiples of ``points_per_unit``, each
    worth ``unit_value_fen``, at least ``min_points``, paying at most ``max_bill_share_bp`` of the
    bill after discounts and coupons."""

    enabled: bool = False
    points_per_unit: int = 100
    unit_value_fen: int = 100
    max_bill_share_bp: int = 0
    min_points: int = 0

    def __post_init__(self) -> None:
        if not self.enabled:
            return
        if self.points_per_unit <= 0 or self.unit_value_fen <= 0:
            raise ValueError("points_per_unit and unit_value_fen must be positive")
        _require_rate(self.max_bill_share_bp, "max_bill_share_bp")
        if self.min_points < 0:
            raise ValueError("min_points must not be negative")


@dataclass(frozen=True)
class SaleContext:
    """Where and when a sale happens, for earn rules: ``local_time`` is the store's wall clock as an
    aware datetime (its weekday and minute of day are read as they stand)."""

    store_id: str
    level_code: str
    local_time: datetime
    is_birthday: bool = False

    def __post_init__(self) -> None:
        if self.local_time is None:
            raise ValueError("local_time is required")
        require_aware(self.local_time, "local_time")


@dataclass(frozen=True)
class EarnRule:
    """A points earn rule (EarnRule, P1); how rules combine is described in ``earning.py``.

    Empty ``level_codes`` / ``store_ids`` / ``categories`` / ``weekdays`` mean "any". The daily
    window is [start_minute_of_day, end_minute_of_day) in local minutes; end 0 means all day and a
    start after the end wraps past midnight. ``valid_from`` is inclusive, ``valid_until`` exclusive.
    A ``birthday_only`` rule contributes only its ``multiplier_bp``.
    """

    code: str
    points_per_unit: int = 1
    spend_unit_fen: int = 100
    multiplier_bp: int = BASIS_POINTS
    level_codes: tuple[str, ...] = ()
    store_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    weekdays: tuple[int, ...] = ()
    start_minute_of_day: int = 0
    end_minute_of_day: int = 0
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    birthday_only: bool = False
    priority: int = 0
    active: bool = True

    def __post_init__(self) -> None:
        if not self.birthday_only and self.spend_unit_fen <= 0:
            raise ValueError(f"earn rule {self.code}: spend_unit_fen must be positive")
        if self.points_per_unit < 0 or self.multiplier_bp < 0:
            raise ValueError(f"earn rule {self.code}: points_per_unit and multiplier_bp must not be negative")
        if any(day not in range(1, 8) for day in self.weekdays):
            raise ValueError(f"earn rule {self.code}: weekdays are 1 (Monday) to 7 (Sunday)")
        if not 0 <= self.start_minute_of_day < MINUTES_PER_DAY or not 0 <= self.end_minute_of_day <= MINUTES_PER_DAY:
            raise ValueError(f"earn rule {self.code}: minutes of day out of range")
        if self.end_minute_of_day and self.start_minute_of_day == self.end_minute_of_day:
            raise ValueError(f"earn rule {self.code}: an empty daily window")
        require_aware(self.valid_from, "valid_from")
        require_aware(self.valid_until, "valid_until")

    def applies_to(self, category: str, context: SaleContext) -> bool:
        """Whether the rule covers a line of ``category`` sold in ``context`` (birthday included)."""
        moment = context.local_time
        if not self.active or (self.birthday_only and not context.is_birthday):
            return False
        if self.level_codes and context.level_code not in self.level_codes:
            return False
        if self.store_ids and context.store_id not in self.store_ids:
            return False
        if self.categories and category not in self.categories:
            return False
        if self.weekdays and moment.isoweekday() not in self.weekdays:
            return False
        if self.valid_from is not None and moment < self.valid_from:
            return False
        if self.valid_until is not None and moment >= self.valid_until:
            return False
        return self._in_daily_window(moment.hour * 60 + moment.minute)

    def _in_daily_window(self, minute: int) -> bool:
        start, end = self.start_minute_of_day, self.end_minute_of_day
        if end == 0:
            return True
        if start < end:
            return start <= minute < end
        return minute >= start or minute < end
