"""Member search over HQ's read model (A2, docs/adr/0058): a MemberCriteria becomes one SQL
statement (SQLAlchemy Core), so a search page, a segment's size and a segment's members are each a
single query however many filters combine.

Every filter is a condition on ``member_views``: the member's own columns, or an EXISTS / a
correlated sum over its cards (``card_views``), its days (``member_daily_figures``), its coupons
(``coupon_views``), its tags (``member_view_tags``) and its latest RFM scores (``rfm_scores``).
Each of those is indexed by member (revision 0024), so a condition costs an index probe per member.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from chaincard.business_day import business_date
from chaincard.db.base import utc_now
from chaincard.errors import InvalidArgument
from chaincard.v1 import common_pb2, member_view_pb2
from chaincard.v1 import program_config_pb2 as pc
from hq_service.coupon_views import CouponView
from hq_service.models import CardView, ConfigItem, MemberDailyFigures, MemberView
from hq_service.segment_models import MemberViewTag, RfmRun, RfmScoreRow

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

mv = MemberView.__table__
cv = CardView.__table__
mdf = MemberDailyFigures.__table__


@dataclass(frozen=True)
class Scope:
    """Where a search or a segment is kept: members homed in ``region``, members with a card issued
    by ``franchisee_id``, members registered at ``store_id`` (each "" for no such limit)."""

    region: str = ""
    franchisee_id: str = ""
    store_id: str = ""


def _day(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(field, "must be a date YYYY-MM-DD") from None


def _codes(field: str, values: Any) -> list[str]:
    out = [str(value) for value in values]
    for value in out:
        if not _CODE.match(value):
            raise InvalidArgument(field, f"{value!r} is not a code")
    return out


def _card_exists(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(cv.c.member_id == mv.c.member_id, *conditions)


def _card_sum(column: Any) -> Any:
    return (select(func.coalesce(func.sum(column), 0)).where(cv.c.member_id == mv.c.member_id)
            .scalar_subquery())


def _activity_sum(column: Any, activity: member_view_pb2.ActivityFilter) -> Any:
    conditions = [mdf.c.member_id == mv.c.member_id]
    if activity.from_date:
        conditions.append(mdf.c.business_date >= _day("criteria.activity.from_date", activity.from_date))
    if activity.to_date:
        conditions.append(mdf.c.business_date <= _day("criteria.activity.to_date", activity.to_date))
    return select(func.coalesce(func.sum(column), 0)).where(*conditions).scalar_subquery()


def _visited(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(mdf.c.member_id == mv.c.member_id, mdf.c.visit_count > 0, *conditions)


def latest_rfm_date(session: Session) -> date | None:
    return session.execute(select(func.max(RfmRun.as_of_date))).scalar_one_or_none()


def dormant_days(session: Session, criteria: member_view_pb2.MemberCriteria) -> dict[str, int]:
    """CardType.dormant_after_days of each card type criteria.dormant_card_type_codes names (A3);
    INVALID_ARGUMENT naming the field for a card type HQ does not know."""
    days: dict[str, int] = {}
    for code in _codes("criteria.dormant_card_type_codes", criteria.dormant_card_type_codes):
        item = session.get(ConfigItem, ("card_type", code))
        if item is None:
            raise InvalidArgument("criteria.dormant_card_type_codes", f"no card type {code!r}")
        days[code] = pc.CardType.FromString(item.definition).dormant_after_days
    return days


def _dormant(days_of_type: Mapping[str, int], today: date) -> ColumnElement[bool]:
    """Holds a card of one of the types and made no visit in that type's dormant_after_days up to
    ``today`` (a type whose days are 0 is never dormant)."""
    either = [and_(_card_exists(cv.c.card_type_code == code),
                   ~_visited(mdf.c.business_date > today - timedelta(days=days)))
              for code, days in sorted(days_of_type.items()) if days > 0]
    return or_(*either) if either else false()


def conditions_of(criteria: member_view_pb2.MemberCriteria, scope: Scope, *,
                  rfm_date: date | None = None, dormant: Mapping[str, int] | None = None,
                  today: date | None = None) -> list[ColumnElement[bool]]:
    """The WHERE conditions (AND) selecting the members ``criteria`` names inside ``scope``.
    ``rfm_date``: the latest RFM run's day (needed when criteria.rfm_segments is set); ``dormant``:
    :func:`dormant_days` of the criteria (needed when criteria.dormant_card_type_codes is set);
    ``today``: the business day dormancy counts back from (default: today in the chain's zone)."""
    where: list[ColumnElement[bool]] = []
    # The scope first: it is never widened by a criterion.
    if scope.region:
        where.append(mv.c.home_region == scope.region)
    if scope.franchisee_id:
        where.append(_card_exists(cv.c.issuing_franchisee_id == scope.franchisee_id))
    if scope.store_id:
        where.append(mv.c.registered_store_id == scope.store_id)

    c = criteria
    if c.level_codes:
        where.append(_card_exists(cv.c.level_code.in_(_codes("criteria.level_codes", c.level_codes))))
    if c.card_type_codes:
        where.append(_card_exists(cv.c.card_type_code.in_(_codes("criteria.card_type_codes", c.card_type_codes))))
    if c.issuing_store_ids:
        where.append(_card_exists(cv.c.issuing_store_id.in_(_codes("criteria.issuing_store_ids", c.issuing_store_ids))))
    if c.issuing_franchisee_ids:
        where.append(_card_exists(cv.c.issuing_franchisee_id.in_(
            _codes("criteria.issuing_franchisee_ids", c.issuing_franchisee_ids))))
    if c.home_regions:
        where.append(mv.c.home_region.in_(_codes("criteria.home_regions", c.home_regions)))
    if c.registered_store_ids:
        where.append(mv.c.registered_store_id.in_(_codes("criteria.registered_store_ids", c.registered_store_ids)))
    tags = MemberViewTag.__table__
    for tag in c.tags_all:
        if not tag or len(tag) > 64:
            raise InvalidArgument("criteria.tags_all", "a tag is 1 to 64 characters")
        where.append(exists().where(tags.c.member_id == mv.c.member_id, tags.c.tag == tag))
    if c.tags_any:
        if any(not tag or len(tag) > 64 for tag in c.tags_any):
            raise InvalidArgument("criteria.tags_any", "a tag is 1 to 64 characters")
        where.append(exists().where(tags.c.member_id == mv.c.member_id, tags.c.tag.in_(list(c.tags_any))))
    if c.birthday_months:
        months = list(c.birthday_months)
        if any(not 1 <= month <= 12 for month in months):
            raise InvalidArgument("criteria.birthday_months", "months are 1 to 12")
        where.append(mv.c.birth_month.in_(months))
    if c.last_visit_on_or_before:
        day = _day("criteria.last_visit_on_or_before", c.last_visit_on_or_before)
        where.append(~_visited(mdf.c.business_date > day))
    if c.last_visit_on_or_after:
        day = _day("criteria.last_visit_on_or_after", c.last_visit_on_or_after)
        where.append(_visited(mdf.c.business_date >= day))
    if c.HasField("activity"):
        activity = c.activity
        for name, column, bound in (
            ("min_spend_fen", mdf.c.spend_fen, "min"), ("max_spend_fen", mdf.c.spend_fen, "max"),
            ("min_visits", mdf.c.visit_count, "min"), ("max_visits", mdf.c.visit_count, "max"),
        ):
            if activity.HasField(name):
                value = getattr(activity, name)
                if value < 0 and name.endswith("visits"):
                    raise InvalidArgument(f"criteria.activity.{name}", "must not be negative")
                total = _activity_sum(column, activity)
                where.append(total >= value if bound == "min" else total <= value)
        if activity.from_date and activity.to_date and activity.from_date > activity.to_date:
            raise InvalidArgument("criteria.activity.to_date", "is before from_date")
    balance = cv.c.principal_fen + cv.c.bonus_fen
    money_bounds: tuple[tuple[str, Any, str], ...] = (
        ("min_points", cv.c.points, "min"), ("max_points", cv.c.points, "max"),
        ("min_balance_fen", balance, "min"), ("max_balance_fen", balance, "max"),
    )
    for name, column, bound in money_bounds:
        if c.HasField(name):
            total = _card_sum(column)
            value = getattr(c, name)
            where.append(total >= value if bound == "min" else total <= value)
    coupons = CouponView.__table__
    available = int(common_pb2.COUPON_STATE_AVAILABLE)
    if c.holds_coupon_templates:
        templates = _codes("criteria.holds_coupon_templates", c.holds_coupon_templates)
        where.append(exists().where(cv.c.member_id == mv.c.member_id, coupons.c.card_number == cv.c.card_number,
                                    coupons.c.state == available, coupons.c.template_code.in_(templates)))
    if c.HasField("holds_any_coupon"):
        holds = exists().where(cv.c.member_id == mv.c.member_id, coupons.c.card_number == cv.c.card_number,
                               coupons.c.state == available)
        where.append(holds if c.holds_any_coupon else ~holds)
    if c.rfm_segments:
        segments = [int(segment) for segment in c.rfm_segments]
        if any(segment not in member_view_pb2.RfmSegment.values() or segment == 0 for segment in segments):
            raise InvalidArgument("criteria.rfm_segments", "unknown segment")
        if rfm_date is None:
            where.append(false())  # RFM never ran: nobody is in any segment
        else:
            rfm = RfmScoreRow.__table__
            where.append(exists().where(rfm.c.member_id == mv.c.member_id, rfm.c.as_of_date == rfm_date,
                                        rfm.c.segment.in_(segments)))
    if c.dormant_card_type_codes:
        codes = _codes("criteria.dormant_card_type_codes", c.dormant_card_type_codes)
        known = dormant or {}
        if any(code not in known for code in codes):
            raise InvalidArgument("criteria.dormant_card_type_codes", "card types not looked up (dormant_days)")
        where.append(_dormant({code: known[code] for code in codes}, today or business_date(utc_now())))
    return where


def matching(session: Session, criteria: member_view_pb2.MemberCriteria, scope: Scope) -> Select[Any]:
    """``SELECT member_id FROM member_views WHERE …`` for the members ``criteria`` names in ``scope``."""
    rfm_date = latest_rfm_date(session) if criteria.rfm_segments else None
    dormant = dormant_days(session, criteria) if criteria.dormant_card_type_codes else None
    return select(mv.c.member_id).where(and_(*conditions_of(criteria, scope, rfm_date=rfm_date, dormant=dormant)))


def member_ids(session: Session, criteria: member_view_pb2.MemberCriteria, scope: Scope) -> list[str]:
    """The ids of the members ``criteria`` names in ``scope``, in member id order."""
    return list(session.execute(matching(session, criteria, scope).order_by(mv.c.member_id)).scalars())


def count(session: Session, criteria: member_view_pb2.MemberCriteria, scope: Scope) -> int:
    """How many members ``criteria`` names in ``scope``."""
    inner = matching(session, criteria, scope).subquery()
    return int(session.execute(select(func.count()).select_from(inner)).scalar_one())


# ---- SearchMemberViews -----------------------------------------------------------------------------
def _page_offset(token: str) -> int:
    if not token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidArgument("page_token", "not a token this search returned") from None
    if offset < 0:
        raise InvalidArgument("page_token", "not a token this search returned")
    return offset


def _sort_key(request: member_view_pb2.SearchMemberViewsRequest) -> Any:
    sort = request.sort
    S = member_view_pb2.MemberSort
    if sort in (S.MEMBER_SORT_UNSPECIFIED, S.MEMBER_SORT_REGISTERED_AT):
        return mv.c.registered_business_date
    if sort == S.MEMBER_SORT_LAST_VISIT:
        return (select(func.max(mdf.c.business_date))
                .where(mdf.c.member_id == mv.c.member_id, mdf.c.visit_count > 0).scalar_subquery())
    if sort == S.MEMBER_SORT_BALANCE:
        return _card_sum(cv.c.principal_fen + cv.c.bonus_fen)
    if sort == S.MEMBER_SORT_POINTS:
        return _card_sum(cv.c.points)
    if sort == S.MEMBER_SORT_SPEND:
        return _activity_sum(mdf.c.spend_fen, request.criteria.activity)
    raise InvalidArgument("sort", "unknown sort")


def search(session: Session, request: member_view_pb2.SearchMemberViewsRequest) -> member_view_pb2.SearchMemberViewsResponse:
    """A page of the members matching the request, within the scope its top-level filters name
    (the authorization interceptor fills those in from the operator's scope)."""
    if request.name_prefix:
        raise InvalidArgument("name_prefix", "names are masked at HQ: search by tags, levels, regions or activity")
    if request.page_size < 0:
        raise InvalidArgument("page_size", "must not be negative")
    page_size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    offset = _page_offset(request.page_token)
    scope = Scope(region=request.home_region, franchisee_id=request.issuing_franchisee_id,
                  store_id=request.registered_store_id)
    criteria = request.criteria
    conditions = conditions_of(criteria, scope, rfm_date=latest_rfm_date(session) if criteria.rfm_segments else None,
                               dormant=dormant_days(session, criteria) if criteria.dormant_card_type_codes else None)
    # The older top-level filters narrow too (AND).
    if request.level_code:
        conditions.append(_card_exists(cv.c.level_code == request.level_code))
    if request.tag:
        tags = MemberViewTag.__table__
        conditions.append(exists().where(tags.c.member_id == mv.c.member_id, tags.c.tag == request.tag))
    key = _sort_key(request)
    order = [key.desc().nulls_last(), mv.c.member_id.desc()] if request.descending else [key.asc().nulls_first(), mv.c.member_id]
    rows = session.execute(
        select(mv.c.member).where(and_(*conditions)).order_by(*order).offset(offset).limit(page_size + 1)
    ).scalars().all()
    response = member_view_pb2.SearchMemberViewsResponse(
        members=[common_pb2.Member.FromString(raw) for raw in rows[:page_size]])
    if len(rows) > page_size:
        response.next_page_token = base64.urlsafe_b64encode(str(offset + page_size).encode()).decode()
    return response


