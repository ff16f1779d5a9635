"""Coupons issued by the program's rules, in the transaction of what caused them (Q2): a recharge
tier's templates, the registration coupons of a new card, and (region_service.coupons.birthdays)
the birthday coupons. A template HQ has since removed, switched off, or whose validity has ended
issues nothing: the recharge or the opening goes through without it (logged), as a promotion
switched off would (docs/adr/0020)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from chaincard.coupons.templates import CouponTemplateTerms, coupon_templates, validity
from chaincard.errors import FailedPrecondition
from chaincard.receipts import ReceiptItem
from region_service.context import RegionContext
from region_service.coupons.issuing import HoldingCard, issue_coupons
from region_service.models import Coupon

log = logging.getLogger(__name__)
_LABEL = 22


def issuable_templates(ctx: RegionContext, codes: Iterable[str], now: datetime) -> dict[str, tuple[CouponTemplateTerms, int]]:
    """Each code listed (a code listed twice gives two coupons) with its active template and how many
    to issue; codes whose template cannot issue now are left out."""
    wanted = Counter(codes)
    if not wanted:
        return {}
    known = coupon_templates(ctx.program.snapshot())
    if any(code not in known for code in wanted):
        known = coupon_templates(ctx.program.snapshot(force=True))
    found: dict[str, tuple[CouponTemplateTerms, int]] = {}
    for code, count in wanted.items():
        terms = known.get(code)
        if terms is None or not terms.active:
            log.warning("coupon template %s is unknown or inactive: no coupon issued", code)
            continue
        try:
            validity(terms, now)
        except FailedPrecondition as over:
            log.warning("coupon template %s issues nothing: %s", code, over)
            continue
        found[code] = (terms, count)
    return found


def issue_listed(ctx: RegionContext, session: Session, card: HoldingCard, codes: Iterable[str], *, key_prefix: str,
                 reason: str, now: datetime) -> list[Coupon]:
    """Issue the coupons of ``codes`` to ``card`` with keys ``<key_prefix>:<template>:<n>``."""
    issued: list[Coupon] = []
    for code, (terms, count) in issuable_templates(ctx, codes, now).items():
        issued += issue_coupons(ctx, session, card, terms, count=count, reason=reason, issue_key=f"{key_prefix}:{code}", now=now)
    return issued


def receipt_items(ctx: RegionContext, coupons: list[Coupon]) -> list[ReceiptItem]:
    """A line per template issued: "Coupon <name>  x<count>"."""
    names = coupon_templates(ctx.program.snapshot())
    counts = Counter(coupon.template_code for coupon in coupons)
    return [ReceiptItem(f"Coupon {names[code].name if code in names else code}"[:_LABEL], f"x{count}")
            for code, count in counts.items()]
