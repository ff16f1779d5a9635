"""The coupon report (issue 13): coupons issued, redeemed and expired per template and group, with
the redemption rate, from HQ's coupon read model (hq_service.coupon_views).

Two sides, as the settlement sees them: issued, expired and the rate belong to the coupon's holder
(its card's issuing store, franchisee, region); redeemed belongs to where it was used (the
acquiring store). The scope filters each side by its own columns, so a franchisee sees its members'
coupons and what was redeemed at its stores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from chaincard.v1 import common_pb2, reports_pb2
from hq_service.coupon_views import CouponView
from hq_service.handlers.reports import (
    _group_column,
    _group_names,
    _labelled_group,
    _scope_filters,
    parse_range,
)
from hq_service.models import CardView, Store

_FIELDS = ("issued_count", "issued_redeemed_count", "expired_count", "redeemed_count", "redeemed_discount_fen")


def redemption_rate_bp(redeemed: int, issued: int) -> int:
    """``redeemed / issued`` in basis points, half up; 0 when nothing was issued."""
    return (redeemed * 20_000 + issued) // (2 * issued) if issued > 0 else 0


def _holder_side(query: reports_pb2.CouponReportQuery, grouping: int) -> tuple[Select[*tuple[Any, ...]], list[ColumnElement[bool]]]:
    """Coupons joined to their holder's card, grouped by template and the card's issuing side."""
    group = _group_column(grouping, CardView.issuing_store_id, CardView.home_region, CardView.issuing_franchisee_id)
    scope = query.scope
    filters: list[ColumnElement[bool]] = []
    if scope.store_id:
        filters.append(CardView.issuing_store_id == scope.store_id)
    if scope.franchisee_id:
        filters.append(CardView.issuing_franchisee_id == scope.franchisee_id)
    if scope.region_code:
        filters.append(CardView.home_region == scope.region_code)
    if query.template_code:
        filters.append(CouponView.template_code == query.template_code)
    keys = [CouponView.template_code, _labelled_group(group)]
    statement = (select(*keys).select_from(CouponView).outerjoin(CardView, CardView.card_number == CouponView.card_number)
                 .group_by(CouponView.template_code, *([group] if group is not None else [])))
    return statement, filters


def coupon_report(session: Session, query: reports_pb2.CouponReportQuery) -> Iterator[reports_pb2.CouponReportRow]:
    first, last = parse_range(query.start_business_date, query.end_business_date)
    grouping = query.grouping or reports_pb2.REPORT_GROUPING_CHAIN
    rows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(_FIELDS, 0))

    holder, filters = _holder_side(query, grouping)
    issued = holder.add_columns(func.count(), func.count(CouponView.redeemed_transaction_id)).where(
        CouponView.issued_business_date >= first, CouponView.issued_business_date <= last, *filters)
    for template, group_key, count, redeemed in session.execute(issued):
        rows[(template, group_key)].update(issued_count=int(count), issued_redeemed_count=int(redeemed))
    expired = holder.add_columns(func.count()).where(
        CouponView.state == common_pb2.COUPON_STATE_EXPIRED,
        CouponView.expired_business_date >= first, CouponView.expired_business_date <= last, *filters)
    for template, group_key, count in session.execute(expired):
        rows[(template, group_key)]["expired_count"] = int(count)

    group = _group_column(grouping, CouponView.redeemed_store_id, Store.region_code, Store.franchisee_id)
    where = [CouponView.redeemed_transaction_id.is_not(None), CouponView.redeemed_business_date >= first,
             CouponView.redeemed_business_date <= last, *_scope_filters(query.scope, CouponView.redeemed_store_id)]
    if query.template_code:
        where.append(CouponView.template_code == query.template_code)
    redeemed = (
        select(CouponView.template_code, _labelled_group(group), func.count(), func.sum(CouponView.redeemed_discount_fen))
        .select_from(CouponView).outerjoin(Store, Store.store_id == CouponView.redeemed_store_id)
        .where(*where).group_by(CouponView.template_code, *([group] if group is not None else []))
    )
    for template, group_key, count, discount in session.execute(redeemed):
        rows[(template, group_key)].update(redeemed_count=int(count), redeemed_discount_fen=int(discount or 0))

    names = _group_names(session, grouping)
    for (template, group_key), figures in sorted(rows.items()):
        yield reports_pb2.CouponReportRow(
            template_code=template, group_key=group_key, group_name=names.get(group_key, group_key), **figures,
            redemption_rate_bp=redemption_rate_bp(figures["issued_redeemed_count"], figures["issued_count"]),
        )
