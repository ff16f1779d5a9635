"""What HQ checks before it stores a coupon template (Q1), or a recharge tier or chain setting that
names templates: INVALID_ARGUMENT naming the field (``coupon_template.<field>``). Pure: the caller
gives the configuration snapshot the template must fit (stores, levels, franchisees, templates)."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.timestamp_pb2 import Timestamp

from chaincard.errors import InvalidArgument
from chaincard.v1 import program_config_pb2 as pc

PREFIX = "coupon_template"
MAX_CODE = 32
MAX_NAME = 128
MAX_BP = 10_000
LAST_MINUTE = 1439
DAY_MINUTES = 1440


def _field(name: str) -> str:
    return f"{PREFIX}.{name}"


def _is_set(stamp: Timestamp) -> bool:
    return bool(stamp.seconds or stamp.nanos)


def _code(field: str, value: str) -> None:
    if not value or len(value) > MAX_CODE or not value.replace("-", "").replace("_", "").isalnum() or not value.isascii():
        raise InvalidArgument(field, f"is required: 1 to {MAX_CODE} letters, digits, '-' or '_'")


def _not_negative(template: pc.CouponTemplate, *names: str) -> None:
    for name in names:
        if getattr(template, name) < 0:
            raise InvalidArgument(_field(name), "must not be negative")


def _known(field: str, values: Iterable[str], known: set[str], what: str) -> None:
    for index, value in enumerate(values):
        if value not in known:
            raise InvalidArgument(f"{field}[{index}]", f"no {what} {value!r} in the configuration")


def _check_amounts(template: pc.CouponTemplate) -> None:
    kind = template.kind
    if kind == pc.COUPON_KIND_CASH_VOUCHER and template.face_value_fen <= 0:
        raise InvalidArgument(_field("face_value_fen"), "a cash voucher needs a face value above 0 fen")
    if kind == pc.COUPON_KIND_DISCOUNT and not 1 <= template.discount_bp <= MAX_BP - 1:
        raise InvalidArgument(_field("discount_bp"), "a discount coupon takes 1 to 9999 basis points off")
    if kind == pc.COUPON_KIND_PRODUCT:
        if not template.product_skus and not template.categories:
            raise InvalidArgument(_field("product_skus"), "a product coupon names its SKUs, or categories")
        if not 0 <= template.discount_bp <= MAX_BP - 1:
            raise InvalidArgument(_field("discount_bp"), "a product coupon takes 0 (free) to 9999 basis points off its unit")
    for index, sku in enumerate(template.product_skus):
        if not sku.strip():
            raise InvalidArgument(_field(f"product_skus[{index}]"), "must not be empty")
    for index, category in enumerate(template.categories):
        if not category.strip():
            raise InvalidArgument(_field(f"categories[{index}]"), "must not be empty")


def _check_when(template: pc.CouponTemplate) -> None:
    for index, day in enumerate(template.weekdays):
        if day not in range(1, 8):
            raise InvalidArgument(_field(f"weekdays[{index}]"), "days are 1 (Monday) to 7 (Sunday)")
    if not 0 <= template.start_minute_of_day <= LAST_MINUTE:
        raise InvalidArgument(_field("start_minute_of_day"), f"must be between 0 and {LAST_MINUTE}")
    if not 0 <= template.end_minute_of_day <= DAY_MINUTES:
        raise InvalidArgument(_field("end_minute_of_day"), f"must be between 0 (all day) and {DAY_MINUTES}")
    if template.end_minute_of_day and template.end_minute_of_day == template.start_minute_of_day:
        raise InvalidArgument(_field("end_minute_of_day"), "must differ from start_minute_of_day (an empty window)")
    if template.validity_days == 0 and not _is_set(template.valid_until):
        raise InvalidArgument(_field("validity_days"), "set validity_days (days from issue) or valid_until")
    start, end = template.valid_from, template.valid_until
    # Compared as (seconds, nanos): no conversion that a hostile timestamp could overflow.
    if _is_set(start) and _is_set(end) and (end.seconds, end.nanos) <= (start.seconds, start.nanos):
        raise InvalidArgument(_field("valid_until"), "must be after valid_from")


def check_template(template: pc.CouponTemplate, snapshot: pc.ConfigSnapshot) -> None:
    """A template HQ can store, in the configuration ``snapshot`` it joins; else INVALID_ARGUMENT
    naming ``coupon_template.<field>``."""
    _code(_field("code"), template.code)
    if not template.name.strip() or len(template.name) > MAX_NAME:
        raise InvalidArgument(_field("name"), f"is required, at most {MAX_NAME} characters")
    if template.kind not in (pc.COUPON_KIND_CASH_VOUCHER, pc.COUPON_KIND_DISCOUNT, pc.COUPON_KIND_PRODUCT):
        raise InvalidArgument(_field("kind"), "must be CASH_VOUCHER, DISCOUNT or PRODUCT")
    _not_negative(template, "face_value_fen", "max_discount_fen", "min_spend_fen", "validity_days",
                  "transfer_reward_points", "reminder_days_before_expiry")
    _check_amounts(template)
    _check_when(template)
    if template.transfer_reward_points and not template.transferable:
        raise InvalidArgument(_field("transfer_reward_points"), "only a transferable template rewards the giver")
    _known(_field("store_ids"), template.store_ids, {store.store_id for store in snapshot.stores}, "store")
    _known(_field("level_codes"), template.level_codes, {level.code for level in snapshot.levels}, "level")
    if template.issuer_franchisee_id and template.issuer_franchisee_id not in {
            franchisee.franchisee_id for franchisee in snapshot.franchisees}:
        raise InvalidArgument(_field("issuer_franchisee_id"), f"no franchisee {template.issuer_franchisee_id!r} in the configuration")


def check_template_codes(field: str, codes: Iterable[str], snapshot: pc.ConfigSnapshot) -> None:
    """Each of ``codes`` names a coupon template of ``snapshot``; else INVALID_ARGUMENT ``field[i]``."""
    _known(field, codes, {template.code for template in snapshot.coupon_templates}, "coupon template")
