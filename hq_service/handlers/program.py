"""Program configuration at HQ (H3): every kind of item stored the same way, versioned, and served
to regions and stores as one snapshot.

Each RPC of ProgramConfigService that changes configuration is one row of ``CONFIG_KINDS``: which
request field holds the item, how it is keyed, how it is checked, and where it goes in the snapshot;
``change_config`` is the one handler of them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Protocol, TypeVar, cast

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard.commands import UnitOfWork, operation_of, response_type_of
from chaincard.coupons.checks import check_template, check_template_codes
from chaincard.db.base import utc_now
from chaincard.errors import InvalidArgument
from chaincard.ids import is_ascii_digits
from chaincard.security.identity import Place
from chaincard.v1 import directory_pb2
from chaincard.v1 import program_config_pb2 as pc
from hq_service import audit_log
from hq_service.handlers.directory import (
    all_staff,
    bump_version,
    current_version,
    list_franchisees,
    list_regions,
    list_stores,
    time_zone,
)
from hq_service.models import ConfigItem

MAX_BP = 10_000

ItemT = TypeVar("ItemT", bound=Message)


class _Coded(Protocol):
    """A configuration item keyed by its ``code``."""

    @property
    def code(self) -> str: ...


def _code(field: str, value: str, max_length: int = 32) -> str:
    if not value or len(value) > max_length or not value.replace("-", "").replace("_", "").isalnum():
        raise InvalidArgument(field, f"must be 1 to {max_length} letters, digits, '-' or '_'")
    return value


def _name(field: str, value: str) -> None:
    if not value.strip() or len(value) > 128:
        raise InvalidArgument(field, "is required, at most 128 characters")


def _bp(field: str, value: int, maximum: int = MAX_BP) -> None:
    if not 0 <= value <= maximum:
        raise InvalidArgument(field, f"must be between 0 and {maximum} basis points")


def _not_negative(field: str, value: int) -> None:
    if value < 0:
        raise InvalidArgument(field, "must not be negative")


def _window(field: str, valid_from: Timestamp, valid_until: Timestamp) -> None:
    if valid_from.seconds and valid_until.seconds and valid_until.ToNanoseconds() <= valid_from.ToNanoseconds():
        raise InvalidArgument(field + ".valid_until", "must be after valid_from")


def _check_card_type(item: pc.CardType) -> None:
    _code("card_type.code", item.code)
    _name("card_type.name", item.name)
    _not_negative("card_type.validity_days", item.validity_days)
    if item.trial and item.validity_days <= 0:  # a trial card (体验卡) always ends (chaincard.card_types)
        raise InvalidArgument("card_type.validity_days", "a trial card type needs validity_days > 0")
    # Trial conversion and bearer cards (docs/adr/0034).
    _not_negative("card_type.conversion_min_recharge_fen", item.conversion_min_recharge_fen)
    if item.converts_to_card_type_code and not item.trial:
        raise InvalidArgument("card_type.converts_to_card_type_code", "only a trial card type converts")
    if item.conversion_min_recharge_fen and not item.converts_to_card_type_code:
        raise InvalidArgument("card_type.conversion_min_recharge_fen", "needs converts_to_card_type_code")
    if item.converts_to_card_type_code == item.code:
        raise InvalidArgument("card_type.converts_to_card_type_code", "must name another card type")
    if item.anonymous and item.trial:
        raise InvalidArgument("card_type.anonymous", "a trial card type is a member's taste: it cannot be a bearer card")
    # Prepaid compliance and recharge rules (docs/adr/0038, 0039): 0 takes the national default.
    for field in ("balance_cap_fen", "real_name_threshold_fen", "non_cash_threshold_fen", "recharge_approval_threshold_fen",
                  "dormant_after_days"):
        _not_negative(f"card_type.{field}", getattr(item, field))
    for index, role in enumerate(item.recharge_roles):
        if role not in (directory_pb2.STAFF_ROLE_CASHIER, directory_pb2.STAFF_ROLE_STORE_MANAGER):
            raise InvalidArgument(f"card_type.recharge_roles[{index}]", "must be cashier or store_manager")


def _check_card_type_target(item: pc.CardType, snapshot: pc.ConfigSnapshot) -> None:
    """A trial type converts to a type that exists, carries stored value and is no trial type; the
    stores allowed to recharge it (V5) are stores HQ knows."""
    stores = {store.store_id for store in snapshot.stores}
    for index, store_id in enumerate(item.recharge_store_ids):
        if store_id not in stores:
            raise InvalidArgument(f"card_type.recharge_store_ids[{index}]", f"names no store: {store_id!r}")
    code = item.converts_to_card_type_code
    if not code:
        return
    target = next((card_type for card_type in snapshot.card_types if card_type.code == code), None)
    if target is None:
        raise InvalidArgument("card_type.converts_to_card_type_code", f"names no card type: {code}")
    if target.trial or not target.stored_value:
        raise InvalidArgument("card_type.converts_to_card_type_code",
                              f"card type {code} must carry stored value and not be a trial type")


def _check_level(item: pc.Level) -> None:
    _code("level.code", item.code)
    _name("level.name", item.name)
    _bp("level.discount_bp", item.discount_bp)
    _bp("level.points_multiplier_bp", item.points_multiplier_bp, 100_000)
    for category, rate in item.category_discount_bp.items():
        _bp(f"level.category_discount_bp[{category}]", rate)
    if item.price_fen < 0:
        raise InvalidArgument("level.price_fen", "must not be negative")
    if item.paid_validity_days < 0:
        raise InvalidArgument("level.paid_validity_days", "must not be negative")


_UPGRADE_THRESHOLDS = ("upgrade_window_spend_fen", "upgrade_window_recharge_fen", "upgrade_single_recharge_fen",
                       "upgrade_single_spend_fen", "upgrade_points_balance")
_KEEP_THRESHOLDS = ("keep_window_spend_fen", "keep_window_recharge_fen", "keep_points_balance")
_WINDOW_THRESHOLDS = ("upgrade_window_spend_fen", "upgrade_window_recharge_fen", "keep_window_spend_fen", "keep_window_recharge_fen")


def _check_level_rule(item: pc.LevelRule) -> None:
    _code("level_rule.level_code", item.level_code)
    _name("level_rule.name", item.name)
    for name in (*_UPGRADE_THRESHOLDS, *_KEEP_THRESHOLDS):
        _not_negative(f"level_rule.{name}", getattr(item, name))
    if not 0 <= item.window_days <= 3660:
        raise InvalidArgument("level_rule.window_days", "must be between 0 and 3660")
    if item.window_days == 0 and any(getattr(item, name) for name in _WINDOW_THRESHOLDS):
        raise InvalidArgument("level_rule.window_days", "is required with a spend or recharge threshold")
    if not 0 <= item.grace_days <= 3660:
        raise InvalidArgument("level_rule.grace_days", "must be between 0 and 3660")
    if not any(getattr(item, name) for name in (*_UPGRADE_THRESHOLDS, *_KEEP_THRESHOLDS)):
        raise InvalidArgument("level_rule", "needs at least one upgrade or keep threshold")


def _check_level_rule_levels(item: pc.LevelRule, snapshot: pc.ConfigSnapshot) -> None:
    ranks = {level.code: level.rank for level in snapshot.levels}
    if item.level_code not in ranks:
        raise InvalidArgument("level_rule.level_code", f"names no level: {item.level_code}")
    target = item.downgrade_to_level_code
    if target and target not in ranks:
        raise InvalidArgument("level_rule.downgrade_to_level_code", f"names no level: {target}")
    if target and ranks[target] >= ranks[item.level_code]:
        raise InvalidArgument("level_rule.downgrade_to_level_code", "must rank below level_code")


def _check_promotion(item: pc.RechargePromotion) -> None:
    _code("promotion.code", item.code)
    _name("promotion.name", item.name)
    if not item.tiers:
        raise InvalidArgument("promotion.tiers", "needs at least one tier")
    for index, tier in enumerate(item.tiers):
        if tier.min_amount_fen <= 0:
            raise InvalidArgument(f"promotion.tiers[{index}].min_amount_fen", "must be positive")
        _not_negative(f"promotion.tiers[{index}].bonus_fen", tier.bonus_fen)
        _not_negative(f"promotion.tiers[{index}].bonus_points", tier.bonus_points)
    _window("promotion", item.valid_from, item.valid_until)


def _check_earn_rule(item: pc.EarnRule) -> None:
    _code("earn_rule.code", item.code)
    _name("earn_rule.name", item.name)
    _not_negative("earn_rule.points_per_unit", item.points_per_unit)
    if item.spend_unit_fen <= 0:
        raise InvalidArgument("earn_rule.spend_unit_fen", "must be positive")
    _bp("earn_rule.multiplier_bp", item.multiplier_bp, 100_000)
    if any(day not in range(1, 8) for day in item.weekdays):
        raise InvalidArgument("earn_rule.weekdays", "days are 1 (Monday) to 7 (Sunday)")
    for field in ("start_minute_of_day", "end_minute_of_day"):
        if not 0 <= getattr(item, field) <= 1440:
            raise InvalidArgument(f"earn_rule.{field}", "must be between 0 and 1440")
    _window("earn_rule", item.valid_from, item.valid_until)


def _check_points_deduction(item: pc.PointsDeductionPolicy) -> None:
    if item.enabled and (item.points_per_unit <= 0 or item.unit_value_fen <= 0):
        raise InvalidArgument("policy.points_per_unit", "points_per_unit and unit_value_fen must be positive when enabled")
    _bp("policy.max_bill_share_bp", item.max_bill_share_bp)
    _not_negative("policy.min_points", item.min_points)


def _check_points_expiry(item: pc.PointsExpiryPolicy) -> None:
    if item.rule not in pc.PointsExpiryRule.values():
        raise InvalidArgument("policy.rule", "is not a known points expiry rule")
    if item.rule == pc.POINTS_EXPIRY_RULE_DAYS_AFTER_EARNING and item.days <= 0:
        raise InvalidArgument("policy.days", "must be 1 or more for DAYS_AFTER_EARNING")
    if item.rule != pc.POINTS_EXPIRY_RULE_DAYS_AFTER_EARNING and item.days:
        raise InvalidArgument("policy.days", "is only for DAYS_AFTER_EARNING")
    _not_negative("policy.reminder_days_before_expiry", item.reminder_days_before_expiry)


# A referral period at most (M5): ten years.
MAX_REFERRAL_PERIOD_DAYS = 3660


def _check_referral_program(item: pc.ReferralProgram) -> None:
    _not_negative("program.points_on_card_opening", item.points_on_card_opening)
    _bp("program.spend_points_bp", item.spend_points_bp)
    if not 0 <= item.period_days <= MAX_REFERRAL_PERIOD_DAYS:
        raise InvalidArgument("program.period_days", f"must be 0 to {MAX_REFERRAL_PERIOD_DAYS}")


# A points offer's stored value per unit at most (P2): ¥5,000, the ceiling of a recharge without a manager.
MAX_REDEMPTION_STORED_VALUE_FEN = 500_000
# A points offer's uses per unit at most (P2 × K1): as many as one item of a package may carry.
MAX_REDEMPTION_COUNT_USES = 1_000


def _check_redemption_rule(item: pc.PointsRedemptionRule) -> None:
    """A points offer (P2) that RedeemPoints can honour: a kind, a cost, and what its kind gives."""
    _code("rule.code", item.code)
    _name("rule.name", item.name)
    if item.kind not in pc.PointsRedemptionKind.values() or item.kind == pc.POINTS_REDEMPTION_KIND_UNSPECIFIED:
        raise InvalidArgument("rule.kind", "must be GIFT, STORED_VALUE, COUNT_USES or COUPON")
    if item.points_cost <= 0:
        raise InvalidArgument("rule.points_cost", "must be a positive number of points")
    if item.kind == pc.POINTS_REDEMPTION_KIND_GIFT and not item.gift_sku:
        raise InvalidArgument("rule.gift_sku", "is required for a GIFT offer")
    if item.kind == pc.POINTS_REDEMPTION_KIND_STORED_VALUE and not 0 < item.stored_value_fen <= MAX_REDEMPTION_STORED_VALUE_FEN:
        raise InvalidArgument("rule.stored_value_fen", f"must be 1 to {MAX_REDEMPTION_STORED_VALUE_FEN} fen for a STORED_VALUE offer")
    if item.kind == pc.POINTS_REDEMPTION_KIND_COUNT_USES and (not item.count_item_code or item.count_uses <= 0):
        raise InvalidArgument("rule.count_item_code", "a COUNT_USES offer needs count_item_code and count_uses above 0")
    if item.kind == pc.POINTS_REDEMPTION_KIND_COUNT_USES and item.count_uses > MAX_REDEMPTION_COUNT_USES:
        raise InvalidArgument("rule.count_uses", f"must be 1 to {MAX_REDEMPTION_COUNT_USES} uses per unit")
    if item.kind == pc.POINTS_REDEMPTION_KIND_COUPON and not item.coupon_template_code:
        raise InvalidArgument("rule.coupon_template_code", "is required for a COUPON offer")


def _check_redemption_rule_item(item: pc.PointsRedemptionRule, snapshot: pc.ConfigSnapshot) -> None:
    """A COUNT_USES offer names a count item HQ knows, and not a time item: a pack of uses is what
    RedeemPoints adds (docs/adr/0037); passes are not offered for points."""
    if item.kind != pc.POINTS_REDEMPTION_KIND_COUNT_USES:
        return
    count_item = next((known for known in snapshot.count_items if known.code == item.count_item_code), None)
    if count_item is None:
        raise InvalidArgument("rule.count_item_code", f"no count item {item.count_item_code!r}")
    if count_item.period_days > 0:
        raise InvalidArgument("rule.count_item_code", f"{count_item.code} is a time item: only count items' uses are offered for points")


def _check_coded(prefix: str) -> Callable[[_Coded], None]:
    def check(item: _Coded) -> None:
        _code(f"{prefix}.code", item.code)

    return check


def _check_count_item(item: pc.CountItem) -> None:
    """A count item (K1, K3) that can be sold and used: packs of at least one use (a time item, K4:
    a period of days instead), no negative price, validity, period, daily quota or cap."""
    _code("count_item.code", item.code)
    if item.period_days <= 0 and item.uses_per_pack < 1:  # a time item (K4) sells periods, not uses
        raise InvalidArgument("count_item.uses_per_pack", "must be at least 1")
    for field in ("pack_price_fen", "validity_days", "daily_uses_per_store", "period_days", "daily_cap_uses"):
        if getattr(item, field) < 0:
            raise InvalidArgument(f"count_item.{field}", "must not be negative")
    if item.daily_cap_uses and not item.period_days:
        raise InvalidArgument("count_item.daily_cap_uses", "is only for a time item (period_days above 0)")


# Uses (or periods) of one item in one package at most: a package is a bundle, not a bulk sale.
MAX_PACKAGE_ITEM_USES = 1_000


def _check_count_package(item: pc.CountPackage) -> None:
    """A package (K2) that can be sold: a code, a name, a price, items each once with uses."""
    _code("count_package.code", item.code)
    _name("count_package.name", item.name)
    for field in ("price_fen", "validity_days"):
        if getattr(item, field) < 0:
            raise InvalidArgument(f"count_package.{field}", "must not be negative")
    if not item.items:
        raise InvalidArgument("count_package.items", "must list at least one count item")
    seen: set[str] = set()
    for index, line in enumerate(item.items):
        _code(f"count_package.items[{index}].item_code", line.item_code)
        if line.item_code in seen:
            raise InvalidArgument(f"count_package.items[{index}].item_code", f"item {line.item_code} is listed twice")
        seen.add(line.item_code)
        if not 1 <= line.uses <= MAX_PACKAGE_ITEM_USES:
            raise InvalidArgument(f"count_package.items[{index}].uses", f"must be 1 to {MAX_PACKAGE_ITEM_USES}")
    for index, store_id in enumerate(item.store_ids):
        if not store_id:
            raise InvalidArgument(f"count_package.store_ids[{index}]", "must not be empty")


def _check_count_package_items(item: pc.CountPackage, snapshot: pc.ConfigSnapshot) -> None:
    """Every item of the package is a count item HQ knows."""
    known = {count_item.code for count_item in snapshot.count_items}
    for index, line in enumerate(item.items):
        if line.item_code not in known:
            raise InvalidArgument(f"count_package.items[{index}].item_code", f"no count item {line.item_code!r}")


def _check_commission_plan(item: pc.CommissionPlan) -> None:
    """A staff commission plan (C7, S2; docs/adr/0043): an event, exactly one of a fixed amount and
    a rate (none on a card opening, which has no amount), known roles, valid dates in order."""
    _code("commission_plan.code", item.code)
    _name("commission_plan.name", item.name)
    if item.event not in pc.CommissionEvent.values() or item.event == pc.COMMISSION_EVENT_UNSPECIFIED:
        raise InvalidArgument("commission_plan.event", "must be CARD_OPENING, RECHARGE or SPEND")
    _not_negative("commission_plan.fixed_fen", item.fixed_fen)
    _bp("commission_plan.rate_bp", item.rate_bp)
    if (item.fixed_fen > 0) == (item.rate_bp > 0):
        raise InvalidArgument("commission_plan.fixed_fen", "exactly one of fixed_fen and rate_bp must be above 0")
    if item.rate_bp and item.event == pc.COMMISSION_EVENT_CARD_OPENING:
        raise InvalidArgument("commission_plan.rate_bp", "a card opening has no amount: use fixed_fen")
    for index, role in enumerate(item.staff_roles):
        if role not in (directory_pb2.STAFF_ROLE_CASHIER, directory_pb2.STAFF_ROLE_STORE_MANAGER):
            raise InvalidArgument(f"commission_plan.staff_roles[{index}]", "must be cashier or store_manager")
    days: list[date] = []
    for field in ("valid_from_business_date", "valid_until_business_date"):
        text = getattr(item, field)
        if not text:
            continue
        try:
            if len(text) != len("YYYY-MM-DD"):
                raise ValueError(text)
            days.append(date.fromisoformat(text))
        except ValueError as error:
            raise InvalidArgument(f"commission_plan.{field}", "must be a date YYYY-MM-DD") from error
    if len(days) == 2 and days[1] <= days[0]:
        raise InvalidArgument("commission_plan.valid_until_business_date", "must be after valid_from_business_date")


def _check_commission_plan_levels(item: pc.CommissionPlan, snapshot: pc.ConfigSnapshot) -> None:
    known = {level.code for level in snapshot.levels}
    for index, code in enumerate(item.level_codes):
        if code not in known:
            raise InvalidArgument(f"commission_plan.level_codes[{index}]", f"names no level: {code!r}")


def _check_fee_schedule(item: pc.FeeSchedule) -> None:
    try:
        date.fromisoformat(item.effective_from_business_date)
    except ValueError as error:
        raise InvalidArgument("fee_schedule.effective_from_business_date", "must be a date YYYY-MM-DD") from error
    for field in ("interchange_bp", "collection_fee_bp", "coupon_fee_bp", "count_use_fee_bp"):
        _bp(f"fee_schedule.{field}", getattr(item, field))


def _check_offline_limits(item: pc.OfflineLimits) -> None:
    for descriptor in item.DESCRIPTOR.fields:
        value = getattr(item, descriptor.name)
        if isinstance(value, int):
            _not_negative(f"limits.{descriptor.name}", value)


def _check_store_limits(item: pc.StoreOfflineLimits) -> None:
    if not item.store_id:
        raise InvalidArgument("store_limits.store_id", "is required")
    _check_offline_limits(item.limits)


def _two_digits(text: str) -> bool:
    return 1 <= len(text) <= 2 and is_ascii_digits(text)


def _check_settings(item: pc.ChainSettings) -> None:
    if item.business_day_cutoff:
        hours, _, minutes = item.business_day_cutoff.partition(":")
        if not (_two_digits(hours) and _two_digits(minutes) and int(hours) < 24 and int(minutes) < 60):
            raise InvalidArgument("settings.business_day_cutoff", "must be HH:MM")
    if item.business_time_zone:
        time_zone("settings.business_time_zone", item.business_time_zone)
    if item.pin_max_failed_attempts < 0:
        raise InvalidArgument("settings.pin_max_failed_attempts", "must not be negative")
    if not 0 <= item.pin_lock_minutes <= 1440:
        raise InvalidArgument("settings.pin_lock_minutes", "must be between 0 (the default, 30) and 1440")
    for index, holiday in enumerate(item.holidays):
        try:
            date.fromisoformat(holiday)
        except ValueError as error:  # coupons compare holidays with the store's date as text: YYYY-MM-DD only
            raise InvalidArgument(f"settings.holidays[{index}]", "must be a date YYYY-MM-DD") from error
        if len(holiday) != len("YYYY-MM-DD"):
            raise InvalidArgument(f"settings.holidays[{index}]", "must be a date YYYY-MM-DD")


def _check_promotion_coupons(item: pc.RechargePromotion, snapshot: pc.ConfigSnapshot) -> None:
    for index, tier in enumerate(item.tiers):
        check_template_codes(f"promotion.tiers[{index}].coupon_template_codes", tier.coupon_template_codes, snapshot)


def _check_settings_coupons(item: pc.ChainSettings, snapshot: pc.ConfigSnapshot) -> None:
    check_template_codes("settings.registration_coupon_template_codes", item.registration_coupon_template_codes, snapshot)
    check_template_codes("settings.birthday_coupon_template_codes", item.birthday_coupon_template_codes, snapshot)
    _check_greetings(item, snapshot)


MAX_GREETING_DAYS = 60
MAX_COUNT_REMINDER_DAYS = 90


def _check_greetings(item: pc.ChainSettings, snapshot: pc.ConfigSnapshot) -> None:
    """Member-date greetings and count-use reminders (docs/adr/0056): each field named when wrong."""
    if not 0 <= item.count_uses_reminder_days_before <= MAX_COUNT_REMINDER_DAYS:
        raise InvalidArgument("settings.count_uses_reminder_days_before", f"must be between 0 and {MAX_COUNT_REMINDER_DAYS}")
    templates = {template.code: template for template in snapshot.notification_templates}
    card_types = {card_type.code for card_type in snapshot.card_types}
    codes: set[str] = set()
    for index, greeting in enumerate(item.member_date_greetings):
        field = f"settings.member_date_greetings[{index}]"
        if not greeting.code or len(greeting.code) > 32 or ":" in greeting.code:
            raise InvalidArgument(f"{field}.code", "is required: at most 32 characters, no ':'")
        if greeting.code in codes:
            raise InvalidArgument(f"{field}.code", f"another greeting has the code {greeting.code!r}")
        codes.add(greeting.code)
        if greeting.kind == pc.MEMBER_DATE_KIND_UNSPECIFIED or greeting.kind not in pc.MemberDateKind.values():
            raise InvalidArgument(f"{field}.kind", "must be BIRTHDAY, WEDDING_ANNIVERSARY or CHILD_BIRTHDAY")
        if not 0 <= greeting.days_before <= MAX_GREETING_DAYS:
            raise InvalidArgument(f"{field}.days_before", f"must be between 0 and {MAX_GREETING_DAYS}")
        if greeting.notification_template_code:
            template = templates.get(greeting.notification_template_code)
            if template is None or template.event != pc.NOTIFICATION_EVENT_MEMBER_DATE:
                raise InvalidArgument(f"{field}.notification_template_code",
                                      f"no MEMBER_DATE notice template {greeting.notification_template_code!r}")
        if greeting.coupon_template_code and greeting.coupon_template_code not in {
                template.code for template in snapshot.coupon_templates}:
            raise InvalidArgument(f"{field}.coupon_template_code", f"unknown coupon template {greeting.coupon_template_code!r}")
        if greeting.card_type_code and greeting.card_type_code not in card_types:
            raise InvalidArgument(f"{field}.card_type_code", f"unknown card type {greeting.card_type_code!r}")


@dataclass(frozen=True)
class ConfigKind(Generic[ItemT]):
    """One kind of item; ``ItemT`` is its message (``key`` and ``check`` take one). ``check_in``:
    the checks against the rest of the configuration (the current snapshot), after ``check``."""

    kind: str
    request_field: str
    snapshot_field: str
    key: Callable[[ItemT], str]
    check: Callable[[ItemT], None]
    check_in: Callable[[ItemT, pc.ConfigSnapshot], None] | None = None

    @property
    def singleton(self) -> bool:
        return self.snapshot_field in ("points_deduction", "points_expiry", "offline_limits", "settings", "referral_program")


def _by_code(item: _Coded) -> str:
    return item.code


def _single(_item: Message) -> str:
    return ""


# ``Any``: each kind has its own item message; ``change_config`` reads the item by field name.
CONFIG_KINDS: dict[str, ConfigKind[Any]] = {
    "UpsertCardType": ConfigKind("card_type", "card_type", "card_types", _by_code, _check_card_type,
                                  _check_card_type_target),
    "UpsertLevel": ConfigKind("level", "level", "levels", _by_code, _check_level),
    "UpsertLevelRule": ConfigKind[pc.LevelRule]("level_rule", "level_rule", "level_rules", lambda item: item.level_code,
                                                _check_level_rule, _check_level_rule_levels),
    "UpsertRechargePromotion": ConfigKind("recharge_promotion", "promotion", "recharge_promotions", _by_code,
                                          _check_promotion, _check_promotion_coupons),
    "UpsertEarnRule": ConfigKind("earn_rule", "earn_rule", "earn_rules", _by_code, _check_earn_rule),
    "UpsertPointsRedemptionRule": ConfigKind[pc.PointsRedemptionRule]("points_redemption_rule", "rule", "points_redemption_rules", _by_code,
                                             _check_redemption_rule, _check_redemption_rule_item),
    "SetPointsDeductionPolicy": ConfigKind("points_deduction", "policy", "points_deduction", _single,
                                           _check_points_deduction),
    "SetPointsExpiryPolicy": ConfigKind("points_expiry", "policy", "points_expiry", _single, _check_points_expiry),
    "SetReferralProgram": ConfigKind("referral_program", "program", "referral_program", _single, _check_referral_program),
    "UpsertCouponTemplate": ConfigKind[pc.CouponTemplate]("coupon_template", "coupon_template", "coupon_templates", _by_code,
                                       _check_coded("coupon_template"), check_template),
    "UpsertCountItem": ConfigKind[pc.CountItem]("count_item", "count_item", "count_items", _by_code, _check_count_item),
    "UpsertCountPackage": ConfigKind[pc.CountPackage]("count_package", "count_package", "count_packages", _by_code,
                                                      _check_count_package, _check_count_package_items),
    "UpsertCommissionPlan": ConfigKind[pc.CommissionPlan]("commission_plan", "commission_plan", "commission_plans", _by_code,
                                                          _check_commission_plan, _check_commission_plan_levels),
    "SetFeeSchedule": ConfigKind("fee_schedule", "fee_schedule", "fee_schedules",
                                 lambda item: item.effective_from_business_date, _check_fee_schedule),
    "SetOfflineLimits": ConfigKind("offline_limits", "limits", "offline_limits", _single, _check_offline_limits),
    "SetStoreOfflineLimits": ConfigKind("store_offline_limits", "store_limits", "store_offline_limits",
                                        lambda item: item.store_id, _check_store_limits),
    "UpsertNotificationTemplate": ConfigKind[pc.NotificationTemplate]("notification_template", "template", "notification_templates", _by_code,
                                             _check_coded("template")),
    "SetChainSettings": ConfigKind("settings", "settings", "settings", _single, _check_settings, _check_settings_coupons),
}


def change_config(uow: UnitOfWork, request: Message) -> Message:
    """Validate and store one configuration item; bumps the config version all caches watch.

    The handler of every configuration-changing RPC (run by HQ's command runner); which one it is
    follows from the request's type (``UpsertLevelRequest`` → ``UpsertLevel``)."""
    rpc_name = operation_of(type(request))
    kind = CONFIG_KINDS[rpc_name]
    session = uow.session
    item = getattr(request, kind.request_field)
    kind.check(item)
    if kind.check_in is not None:
        kind.check_in(item, config_snapshot(session))
    key = kind.key(item)
    existing = session.get(ConfigItem, (kind.kind, key))
    before = type(item).FromString(existing.definition) if existing is not None else None
    session.merge(ConfigItem(kind=kind.kind, item_key=key, definition=item.SerializeToString(), updated_at=utc_now()))
    version = bump_version(session)
    # Store limits concern one store (its franchisee sees them); every other item is chain-wide.
    place = audit_log.store_place(session, item.store_id) if kind.kind == "store_offline_limits" else Place()
    audit_log.record(session, action=audit_log.rpc("ProgramConfigService", rpc_name), target_type="config",
                     target_id=f"{kind.kind}:{key}" if key else kind.kind, place=place, before=before, after=item,
                     request_id=getattr(request, "request_id"))  # noqa: B009 - every command request has one
    response = cast(Any, response_type_of(type(request)))(config_version=version)  # the kind's own Set/Upsert…Response
    getattr(response, kind.request_field).CopyFrom(item)
    return response


def get_config_snapshot(session: Session, request: pc.GetConfigSnapshotRequest) -> pc.GetConfigSnapshotResponse:
    """The snapshot, or ``unchanged`` when the caller already holds the current version."""
    if request.known_version and request.known_version == current_version(session):
        return pc.GetConfigSnapshotResponse(unchanged=True)
    return pc.GetConfigSnapshotResponse(snapshot=config_snapshot(session))


def config_snapshot(session: Session) -> pc.ConfigSnapshot:
    snapshot = pc.ConfigSnapshot(
        version=current_version(session), regions=list_regions(session), franchisees=list_franchisees(session),
        stores=list_stores(session), staff=all_staff(session),
    )
    snapshot.generated_at.GetCurrentTime()
    items = session.execute(select(ConfigItem).order_by(ConfigItem.kind, ConfigItem.item_key)).scalars()
    by_kind = {kind.kind: kind for kind in CONFIG_KINDS.values()}
    for item in items:
        kind = by_kind.get(item.kind)
        if kind is None:
            continue
        target = getattr(snapshot, kind.snapshot_field)
        if kind.singleton:
            target.ParseFromString(item.definition)
        else:
            target.add().ParseFromString(item.definition)
    return snapshot
