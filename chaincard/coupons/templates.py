"""HQ's coupon templates (program_config.proto CouponTemplate) as plain terms, and the validity a
coupon gets when it is issued: one reading for the region, the store agent and HQ."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from google.protobuf.timestamp_pb2 import Timestamp

from chaincard.errors import FailedPrecondition
from chaincard.v1 import program_config_pb2 as pc


class CouponKind(StrEnum):
    CASH_VOUCHER = "CASH_VOUCHER"  # 代金券: face_value_fen off
    DISCOUNT = "DISCOUNT"  # 折扣券: discount_bp off, capped by max_discount_fen
    PRODUCT = "PRODUCT"  # 产品券: one unit free, or discount_bp off it


_KINDS = {
    pc.COUPON_KIND_CASH_VOUCHER: CouponKind.CASH_VOUCHER,
    pc.COUPON_KIND_DISCOUNT: CouponKind.DISCOUNT,
    pc.COUPON_KIND_PRODUCT: CouponKind.PRODUCT,
}


def _moment(stamp: Timestamp) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else None


@dataclass(frozen=True)
class CouponTemplateTerms:
    """One template's rules; the proto field comments say what each means. Empty tuples mean "any"."""

    code: str
    name: str
    kind: CouponKind
    face_value_fen: int = 0
    discount_bp: int = 0
    max_discount_fen: int = 0
    product_skus: tuple[str, ...] = ()
    min_spend_fen: int = 0
    categories: tuple[str, ...] = ()
    store_ids: tuple[str, ...] = ()
    weekdays: tuple[int, ...] = ()
    exclude_holidays: bool = False
    start_minute_of_day: int = 0
    end_minute_of_day: int = 0
    level_codes: tuple[str, ...] = ()
    issuer_franchisee_id: str = ""
    validity_days: int = 0
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    stackable: bool = False
    transferable: bool = False
    transfer_reward_points: int = 0
    reminder_days_before_expiry: int = 0
    active: bool = True


def template_terms(template: pc.CouponTemplate) -> CouponTemplateTerms:
    return CouponTemplateTerms(
        code=template.code, name=template.name or template.code, kind=_KINDS.get(template.kind, CouponKind.CASH_VOUCHER),
        face_value_fen=template.face_value_fen, discount_bp=template.discount_bp, max_discount_fen=template.max_discount_fen,
        product_skus=tuple(template.product_skus), min_spend_fen=template.min_spend_fen,
        categories=tuple(template.categories), store_ids=tuple(template.store_ids), weekdays=tuple(template.weekdays),
        exclude_holidays=template.exclude_holidays, start_minute_of_day=template.start_minute_of_day,
        end_minute_of_day=template.end_minute_of_day, level_codes=tuple(template.level_codes),
        issuer_franchisee_id=template.issuer_franchisee_id, validity_days=template.validity_days,
        valid_from=_moment(template.valid_from), valid_until=_moment(template.valid_until), stackable=template.stackable,
        transferable=template.transferable, transfer_reward_points=template.transfer_reward_points,
        reminder_days_before_expiry=template.reminder_days_before_expiry, active=template.active,
    )


def coupon_templates(snapshot: pc.ConfigSnapshot) -> Mapping[str, CouponTemplateTerms]:
    """Every template of the snapshot, by code."""
    return {template.code: template_terms(template) for template in snapshot.coupon_templates}


def issuable_template(snapshot: pc.ConfigSnapshot, code: str, field: str = "template_code") -> CouponTemplateTerms:
    """The template ``code``, which must exist and be active to issue new coupons from it."""
    terms = coupon_templates(snapshot).get(code)
    if terms is None:
        raise FailedPrecondition(f"{field}: no coupon template {code!r}")
    if not terms.active:
        raise FailedPrecondition(f"{field}: coupon template {code!r} is not active; no new coupons are issued")
    return terms


def validity(terms: CouponTemplateTerms, issued_at: datetime) -> tuple[datetime, datetime]:
    """The [valid_from, valid_until) a coupon of ``terms`` issued at ``issued_at`` gets: from the
    template's fixed start (else from issue) until the fixed end, or ``validity_days`` after issue,
    whichever comes first when both are set. FAILED_PRECONDITION when that window is already over."""
    start = max(terms.valid_from, issued_at) if terms.valid_from else issued_at
    ends = [end for end in (terms.valid_until,
                            issued_at + timedelta(days=terms.validity_days) if terms.validity_days else None) if end]
    if not ends:
        raise FailedPrecondition(f"coupon template {terms.code!r} sets neither validity_days nor valid_until")
    end = min(ends)
    if end <= start:
        raise FailedPrecondition(f"coupon template {terms.code!r}: its validity ended {end.isoformat()}")
    return start, end
