"""Reports (R1, R2, V7) from HQ's event-fed read models (hq_service.read_models).

Sales-side reports group by the *acquiring* store (where it happened), so a region's report covers
every card used at its stores, whichever region homes the card; the liability report groups by
the *issuing* side, which holds the stored value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Label, Row, and_, case, extract, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from chaincard.business_day import business_date
from chaincard.config import Settings
from chaincard.errors import InvalidArgument, NotFound
from chaincard.v1 import common_pb2, reports_pb2
from chaincard.v1 import program_config_pb2 as pc
from hq_service import report_tables
from hq_service.models import (
    CardView,
    ConfigItem,
    Franchisee,
    MemberDailyFigures,
    MemberView,
    Region,
    Store,
    StoreDailyFigures,
    StoreDailyTender,
    TransactionView,
)
from hq_service.report_export import chunks, render

MAX_RANGE_DAYS = 3 * 366
DEFAULT_TOP_MEMBERS = 100
MAX_TOP_MEMBERS = 10_000


@contextmanager
def snapshot(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for one report. A report runs several queries (figures, tenders, names) while
    events keep arriving: REPEATABLE READ makes them all see the same moment."""
    with session_factory() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session

FIGURE_FIELDS = [column.name for column in StoreDailyFigures.__table__.columns if column.name not in ("business_date", "store_id", "updated_at")]


# ---- arguments ------------------------------------------------------------------------------------
def parse_date(field: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidArgument(field, "must be a business date YYYY-MM-DD") from error


def parse_range(start: str, end: str) -> tuple[date, date]:
    first = parse_date("start_business_date", start)
    last = parse_date("end_business_date", end)
    if last < first:
        raise InvalidArgument("end_business_date", "must not be before start_business_date")
    if (last - first).days > MAX_RANGE_DAYS:
        raise InvalidArgument("end_business_date", "the range may span at most 3 years")
    return first, last


# A column a report groups by: a model's attribute, or an expression on one.
GroupColumn = InstrumentedAttribute[str] | ColumnElement[Any]


def _scope_filters(scope: reports_pb2.ReportScope, store_column: InstrumentedAttribute[str]) -> list[ColumnElement[bool]]:
    """Filters on the acquiring store; the caller joins Store on ``store_column``."""
    filters: list[ColumnElement[bool]] = []
    if scope.store_id:
        filters.append(store_column == scope.store_id)
    if scope.franchisee_id:
        filters.append(Store.franchisee_id == scope.franchisee_id)
    if scope.region_code:
        filters.append(Store.region_code == scope.region_code)
    return filters


def _group_column(grouping: int, store_column: GroupColumn, region_column: GroupColumn,
                  franchisee_column: GroupColumn) -> GroupColumn | None:
    if grouping == reports_pb2.REPORT_GROUPING_STORE:
        return store_column
    if grouping == reports_pb2.REPORT_GROUPING_FRANCHISEE:
        return func.coalesce(franchisee_column, "")
    if grouping == reports_pb2.REPORT_GROUPING_REGION:
        return func.coalesce(region_column, "")
    return None  # the whole chain: one group (PostgreSQL refuses GROUP BY a constant)


def _group_by(*columns: GroupColumn | Label[Any] | None) -> list[GroupColumn | Label[Any]]:
    return [column for column in columns if column is not None]


def _labelled_group(column: GroupColumn | None) -> Label[str]:
    return (column if column is not None else literal("")).label("group_key")


def _group_names(session: Session, grouping: int) -> dict[str, str]:
    if grouping == reports_pb2.REPORT_GROUPING_STORE:
        names = dict(session.execute(select(Store.store_id, Store.name)).all())
        names.setdefault("", "(outside any store)")
        return names
    if grouping == reports_pb2.REPORT_GROUPING_FRANCHISEE:
        return dict(session.execute(select(Franchisee.franchisee_id, Franchisee.name)).all())
    if grouping == reports_pb2.REPORT_GROUPING_REGION:
        return dict(session.execute(select(Region.code, Region.name)).all())
    return {"": "Whole chain"}


def _figures(values: dict[str, int], tenders: dict[int, list[int]]) -> reports_pb2.ReportFigures:
    counters: dict[str, Any] = {name: int(values.get(name) or 0) for name in FIGURE_FIELDS}
    figures = reports_pb2.ReportFigures(**counters)
    for tender_type in sorted(tenders):
        amount, count = tenders[tender_type]
        figures.tenders.add(type=tender_type, amount_fen=int(amount), count=int(count))
    return figures


# ---- R1: one store's day -------------------------------------------------------------------------
def store_daily_summary(session: Session, query: reports_pb2.StoreDailyQuery) -> reports_pb2.GetStoreDailySummaryResponse:
    if not query.store_id:
        raise InvalidArgument("query.store_id", "is required")
    day = parse_date("query.business_date", query.business_date)
    if session.get(Store, query.store_id) is None:
        raise NotFound(f"no store {query.store_id} in the directory")
    row = session.get(StoreDailyFigures, (day, query.store_id))
    values = {name: getattr(row, name) for name in FIGURE_FIELDS} if row is not None else {}
    tenders = {
        tender.tender_type: [tender.amount_fen, tender.payment_count]
        for tender in session.execute(
            select(StoreDailyTender).where(StoreDailyTender.business_date == day, StoreDailyTender.store_id == query.store_id)
        ).scalars()
    }
    response = reports_pb2.GetStoreDailySummaryResponse(
        store_id=query.store_id, business_date=day.isoformat(), figures=_figures(values, tenders)
    )
    if row is not None:
        response.as_of.FromDatetime(row.updated_at)
    return response


# ---- R2: sales by period and group ---------------------------------------------------------------
def _period_columns(period: int, day_column: InstrumentedAttribute[date]) -> list[Label[Any]]:
    if period == reports_pb2.REPORT_PERIOD_MONTH:
        return [extract("year", day_column).label("year"), extract("month", day_column).label("month")]
    if period == reports_pb2.REPORT_PERIOD_YEAR:
        return [extract("year", day_column).label("year")]
    if period == reports_pb2.REPORT_PERIOD_RANGE:
        return []
    return [day_column.label("day")]


def _period_of(period: int, parts: tuple[Any, ...], first: date, last: date) -> tuple[date, str]:
    """(first business day of the row's period within the range, label)."""
    if period == reports_pb2.REPORT_PERIOD_MONTH:
        year, month = int(parts[0]), int(parts[1])
        return max(first, date(year, month, 1)), f"{year:04d}-{month:02d}"
    if period == reports_pb2.REPORT_PERIOD_YEAR:
        year = int(parts[0])
        return max(first, date(year, 1, 1)), f"{year:04d}"
    if period == reports_pb2.REPORT_PERIOD_RANGE:
        return first, f"{first.isoformat()}..{last.isoformat()}"
    day = parts[0]
    return day, day.isoformat()


def sales_report(session: Session, query: reports_pb2.SalesReportQuery) -> Iterator[reports_pb2.SalesReportRow]:
    first, last = parse_range(query.start_business_date, query.end_business_date)
    period = query.period or reports_pb2.REPORT_PERIOD_DAY
    grouping = query.grouping or reports_pb2.REPORT_GROUPING_CHAIN
    names = _group_names(session, grouping)

    def grouped(
        model: type[StoreDailyFigures] | type[StoreDailyTender],
        value_columns: Sequence[ColumnElement[Any]],
        extra_keys: Sequence[InstrumentedAttribute[int]] = (),
    ) -> tuple[Sequence[Row[*tuple[Any, ...]]], int]:
        periods = _period_columns(period, model.business_date)
        group = _group_column(grouping, model.store_id, Store.region_code, Store.franchisee_id)
        statement = (
            select(*periods, _labelled_group(group), *extra_keys, *value_columns)
            .select_from(model)
            .outerjoin(Store, Store.store_id == model.store_id)
            .where(model.business_date >= first, model.business_date <= last, *_scope_filters(query.scope, model.store_id))
            .group_by(*_group_by(*periods, group), *extra_keys)
        )
        return session.execute(statement).all(), len(periods)

    sums = [func.sum(getattr(StoreDailyFigures, name)).label(name) for name in FIGURE_FIELDS]
    figure_rows, width = grouped(StoreDailyFigures, sums)
    tender_rows, _ = grouped(StoreDailyTender, [func.sum(StoreDailyTender.amount_fen), func.sum(StoreDailyTender.payment_count)],
                             extra_keys=[StoreDailyTender.tender_type])
    rows: dict[tuple[date, str, str], dict[str, int]] = {}
    tenders: dict[tuple[date, str, str], dict[int, list[int]]] = defaultdict(dict)
    for row in figure_rows:
        start, label = _period_of(period, tuple(row[:width]), first, last)
        rows[(start, label, row.group_key)] = {name: getattr(row, name) for name in FIGURE_FIELDS}
    for row in tender_rows:
        start, label = _period_of(period, tuple(row[:width]), first, last)
        key = (start, label, row.group_key)
        rows.setdefault(key, {})
        tenders[key][row[width + 1]] = [row[width + 2], row[width + 3]]
    for key in sorted(rows):
        start, label, group_key = key
        yield reports_pb2.SalesReportRow(
            period_start_business_date=start.isoformat(), period_label=label, group_key=group_key,
            group_name=names.get(group_key, group_key), figures=_figures(rows[key], tenders.get(key, {})),
        )


# ---- R2: top members -----------------------------------------------------------------------------
def _level_ranks(session: Session) -> dict[str, int]:
    ranks = {}
    for definition in session.execute(select(ConfigItem.definition).where(ConfigItem.kind == "level")).scalars():
        level = pc.Level.FromString(definition)
        ranks[level.code] = level.rank
    return ranks


def top_members(session: Session, query: reports_pb2.TopMembersQuery) -> Iterator[reports_pb2.TopMemberRow]:
    first, last = parse_range(query.start_business_date, query.end_business_date)
    if query.limit < 0 or query.limit > MAX_TOP_MEMBERS:
        raise InvalidArgument("query.limit", f"must be between 1 and {MAX_TOP_MEMBERS} (0: {DEFAULT_TOP_MEMBERS})")
    limit = query.limit or DEFAULT_TOP_MEMBERS
    model = MemberDailyFigures
    spend = func.sum(model.spend_fen).label("spend")
    recharge = func.sum(model.recharge_fen).label("recharge")
    visits = func.sum(model.visit_count).label("visits")
    points = func.sum(model.points_earned).label("points")
    last_visit = func.max(case((model.visit_count > 0, model.business_date))).label("last_visit")
    order = {
        reports_pb2.TOP_MEMBERS_ORDER_RECHARGE: recharge,
        reports_pb2.TOP_MEMBERS_ORDER_VISITS: visits,
        reports_pb2.TOP_MEMBERS_ORDER_POINTS_EARNED: points,
    }.get(query.order_by, spend)
    rows = session.execute(
        select(model.member_id, spend, recharge, visits, points, last_visit)
        .select_from(model)
        .outerjoin(Store, Store.store_id == model.store_id)
        .where(model.business_date >= first, model.business_date <= last, *_scope_filters(query.scope, model.store_id))
        .group_by(model.member_id)
        .order_by(order.desc(), model.member_id)
        .limit(limit)
    ).all()
    ranks = _level_ranks(session)
    for rank, row in enumerate(rows, start=1):
        view = session.get(MemberView, row.member_id)
        member = common_pb2.Member.FromString(view.member) if view is not None else common_pb2.Member(member_id=row.member_id)
        levels = session.execute(select(CardView.level_code).where(CardView.member_id == row.member_id)).scalars().all()
        best_level = max(levels, key=lambda code: (ranks.get(code, -1), code), default="")
        yield reports_pb2.TopMemberRow(
            rank=rank, member_id=row.member_id, name=member.name, phone_masked=member.phone_masked,
            home_region=member.home_region, level_code=best_level, spend_fen=int(row.spend or 0),
            recharge_fen=int(row.recharge or 0), visit_count=int(row.visits or 0), points_earned=int(row.points or 0),
            last_visit_business_date=row.last_visit.isoformat() if row.last_visit else "",
        )


# ---- V7: prepaid liability -----------------------------------------------------------------------
def _points_expiring() -> tuple[Any, Any]:
    """What cards' points lots expire soon, as their home regions last reported (PointsExpiryOutlook):
    current figures, whatever day the report is as of (HQ keeps no history of lots; ADR 0022)."""
    return (CardView.points_expiring_30_days.label("expiring_30"), CardView.points_expiring_90_days.label("expiring_90"))


def liability_report(session: Session, query: reports_pb2.LiabilityQuery, settings: Settings) -> Iterator[reports_pb2.LiabilityRow]:
    grouping = query.grouping or reports_pb2.REPORT_GROUPING_FRANCHISEE
    if query.as_of_business_date:
        as_of = parse_date("query.as_of_business_date", query.as_of_business_date)
        # Each card's balances after its last transaction of that day or before.
        ranked = (
            select(
                TransactionView.card_number,
                TransactionView.principal_after_fen.label("principal"),
                TransactionView.bonus_after_fen.label("bonus"),
                TransactionView.points_after.label("points"),
                TransactionView.owed_after_fen.label("owed"),
                TransactionView.points_owed_after.label("points_owed"),
                func.row_number().over(
                    partition_by=TransactionView.card_number,
                    order_by=(TransactionView.business_date.desc(), TransactionView.occurred_at.desc(),
                              TransactionView.applied_sequence.desc()),
                ).label("newest"),
            )
            .where(TransactionView.business_date <= as_of)
            .subquery()
        )
        balances = (
            select(CardView.card_number, CardView.issuing_store_id, CardView.issuing_franchisee_id, CardView.home_region,
                   ranked.c.principal, ranked.c.bonus, ranked.c.points, ranked.c.owed, ranked.c.points_owed,
                   *_points_expiring())
            .join(ranked, and_(ranked.c.card_number == CardView.card_number, ranked.c.newest == 1))
            .subquery()
        )
    else:
        as_of = business_date(datetime.now(UTC), settings.business_time_zone, settings.business_day_cutoff)
        balances = select(
            CardView.card_number, CardView.issuing_store_id, CardView.issuing_franchisee_id, CardView.home_region,
            CardView.principal_fen.label("principal"), CardView.bonus_fen.label("bonus"), CardView.points.label("points"),
            CardView.owed_fen.label("owed"), CardView.points_owed.label("points_owed"), *_points_expiring(),
        ).subquery()
    group = _group_column(grouping, balances.c.issuing_store_id, balances.c.home_region, balances.c.issuing_franchisee_id)
    stored = balances.c.principal + balances.c.bonus
    filters = []
    if query.scope.store_id:
        filters.append(balances.c.issuing_store_id == query.scope.store_id)
    if query.scope.franchisee_id:
        filters.append(balances.c.issuing_franchisee_id == query.scope.franchisee_id)
    if query.scope.region_code:
        filters.append(balances.c.home_region == query.scope.region_code)
    rows = session.execute(
        select(
            _labelled_group(group),
            func.count().filter(or_(balances.c.principal != 0, balances.c.bonus != 0, balances.c.points != 0)).label("cards"),
            func.sum(balances.c.principal).label("principal"),
            func.sum(balances.c.bonus).label("bonus"),
            func.sum(balances.c.points).label("points"),
            func.count().filter(stored < 0).label("overdrawn_cards"),
            func.coalesce(func.sum(case((stored < 0, stored), else_=0)), 0).label("overdrawn"),
            func.count().filter(or_(balances.c.owed > 0, balances.c.points_owed > 0)).label("owing_cards"),
            func.sum(balances.c.owed).label("owed"),
            func.sum(balances.c.points_owed).label("points_owed"),
            func.sum(balances.c.expiring_30).label("expiring_30"),
            func.sum(balances.c.expiring_90).label("expiring_90"),
        )
        .where(*filters)
        .group_by(*_group_by(group))
        .order_by(*_group_by(group))
    ).all()
    names = _group_names(session, grouping)
    for row in rows:
        yield reports_pb2.LiabilityRow(
            group_key=row.group_key, group_name=names.get(row.group_key, row.group_key), as_of_business_date=as_of.isoformat(),
            card_count=int(row.cards or 0), principal_fen=int(row.principal or 0), bonus_fen=int(row.bonus or 0),
            points=int(row.points or 0), overdrawn_card_count=int(row.overdrawn_cards or 0), overdrawn_fen=int(row.overdrawn or 0),
            receivable_card_count=int(row.owing_cards or 0), receivable_fen=int(row.owed or 0),
            points_receivable=int(row.points_owed or 0), points_expiring_30_days=int(row.expiring_30 or 0),
            points_expiring_90_days=int(row.expiring_90 or 0),
        )


# ---- R4: level mix ---------------------------------------------------------------------------------
def _programme_names(session: Session) -> tuple[dict[str, str], dict[str, tuple[str, int]]]:
    """Card type code → name, and level code → (name, rank), as the programme has them now."""
    card_types: dict[str, str] = {}
    levels: dict[str, tuple[str, int]] = {}
    for kind, definition in session.execute(
            select(ConfigItem.kind, ConfigItem.definition).where(ConfigItem.kind.in_(("card_type", "level")))).all():
        if kind == "card_type":
            card_type = pc.CardType.FromString(definition)
            card_types[card_type.code] = card_type.name
        else:
            level = pc.Level.FromString(definition)
            levels[level.code] = (level.name, level.rank)
    return card_types, levels


def level_mix(session: Session, query: reports_pb2.LevelMixQuery) -> reports_pb2.GetLevelMixResponse:
    """Active cards per group, card type and level, from the card read model (CardOpened, then
    CardLevelChanged / CardTypeChanged / CardStateChanged move a card): its current figures.
    Cards count on the issuing side, as the liability report's: issuing store and franchisee, home
    region."""
    grouping = query.grouping or reports_pb2.REPORT_GROUPING_CHAIN
    group = _group_column(grouping, CardView.issuing_store_id, CardView.home_region, CardView.issuing_franchisee_id)
    filters: list[ColumnElement[bool]] = [CardView.state == common_pb2.CARD_STATE_ACTIVE]
    if query.scope.store_id:
        filters.append(CardView.issuing_store_id == query.scope.store_id)
    if query.scope.franchisee_id:
        filters.append(CardView.issuing_franchisee_id == query.scope.franchisee_id)
    if query.scope.region_code:
        filters.append(CardView.home_region == query.scope.region_code)
    rows = session.execute(
        select(_labelled_group(group), CardView.card_type_code, CardView.level_code, func.count().label("cards"),
               func.max(CardView.updated_at).label("newest"))
        .where(*filters)
        .group_by(*_group_by(group), CardView.card_type_code, CardView.level_code)
    ).all()
    names = _group_names(session, grouping)
    card_types, levels = _programme_names(session)
    answer = reports_pb2.GetLevelMixResponse()
    ordered = sorted(rows, key=lambda row: (row.group_key, row.card_type_code, -levels.get(row.level_code, ("", 0))[1],
                                            row.level_code))
    for row in ordered:
        level_name, rank = levels.get(row.level_code, (row.level_code, 0))
        answer.rows.add(group_key=row.group_key, group_name=names.get(row.group_key, row.group_key),
                        card_type_code=row.card_type_code, card_type_name=card_types.get(row.card_type_code, row.card_type_code),
                        level_code=row.level_code, level_name=level_name, level_rank=rank, active_card_count=int(row.cards))
        answer.total_active_card_count += int(row.cards)
    newest = max((row.newest for row in rows if row.newest is not None), default=None)
    if newest is not None:
        answer.as_of.FromDatetime(newest if newest.tzinfo else newest.replace(tzinfo=UTC))
    return answer


# ---- R3: exports ---------------------------------------------------------------------------------
def export_report(session: Session, request: reports_pb2.ExportReportRequest, settings: Settings) -> Iterator[common_pb2.ExportChunk]:
    if request.format not in (common_pb2.EXPORT_FORMAT_CSV, common_pb2.EXPORT_FORMAT_XLSX):
        raise InvalidArgument("format", "reports export to CSV or XLSX")
    which = request.WhichOneof("report")
    if which == "store_daily":
        table = report_tables.daily_table(store_daily_summary(session, request.store_daily))
        name = f"daily-{request.store_daily.store_id}-{request.store_daily.business_date}"
    elif which == "sales":
        table = report_tables.sales_table(sales_report(session, request.sales))
        name = f"sales-{request.sales.start_business_date}-{request.sales.end_business_date}"
    elif which == "top_members":
        table = report_tables.top_members_table(top_members(session, request.top_members))
        name = f"top-members-{request.top_members.start_business_date}-{request.top_members.end_business_date}"
    elif which == "liability":
        rows = list(liability_report(session, request.liability, settings))
        table = report_tables.liability_table(rows)
        name = f"liability-{rows[0].as_of_business_date if rows else request.liability.as_of_business_date or 'now'}"
    elif which == "coupons":
        from hq_service.handlers.coupon_report import coupon_report  # it builds on this module

        table = report_tables.coupon_table(coupon_report(session, request.coupons))
        name = f"coupons-{request.coupons.start_business_date}-{request.coupons.end_business_date}"
    else:
        raise InvalidArgument("report", "give one of store_daily, sales, top_members, liability, coupons")
    data, extension, content_type = render(table, request.format)
    yield from chunks(data, f"{name}.{extension}", content_type)
