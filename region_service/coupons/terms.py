"""HQ's coupon templates and chain settings as the region reads them: a template just set at HQ is
found even before the region's snapshot cache would refresh (one forced refresh on a miss)."""

from __future__ import annotations

from chaincard.coupons.templates import CouponTemplateTerms, coupon_templates, issuable_template
from chaincard.errors import FailedPrecondition
from region_service.context import RegionContext


def template_to_issue(ctx: RegionContext, code: str, field: str = "template_code") -> CouponTemplateTerms:
    """The active template ``code``; FAILED_PRECONDITION naming ``field`` when unknown or inactive."""
    try:
        return issuable_template(ctx.program.snapshot(), code, field)
    except FailedPrecondition:
        return issuable_template(ctx.program.snapshot(force=True), code, field)


def known_template(ctx: RegionContext, code: str) -> CouponTemplateTerms | None:
    """Template ``code`` as HQ has it now (active or not), or None."""
    return coupon_templates(ctx.program.snapshot()).get(code) or coupon_templates(ctx.program.snapshot(force=True)).get(code)
