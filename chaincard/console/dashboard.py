"""The dashboard's figures (R4), each from HQ's reports as the operator may see them: revenue,
recharges and member growth by period, prepaid liability at each period's end, the stores that
sold most, the RFM segment mix and the level mix; for HQ's admins and auditors, the event
consumers' lag. Weeks are summed from days here (the reports have no week)."""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chaincard.console.backend import ConsoleError, OperatorClient, Refused
from chaincard.console.formatting import CHAIN_TIME_ZONE
from chaincard.v1 import event_pipeline_pb2, member_view_pb2, reports_pb2, segments_pb2

PERIODS = ("day", "week", "month")
# How far back each period looks, and how many liability points (one call each) it shows.
DAY_SPAN, WEEK_SPAN, MONTH_SPAN = 30, 12, 12
LIABILITY_POINTS = 12
TOP_STORES = 10
# Roles that see the consumer lag panel: the RPC serves them only (chain-wide operations data).
LAG_ROLES = frozenset({"HQ_ADMIN", "AUDITOR"})
# Reading lag asks every consumer group's offsets of the brokers: more than a report's deadline.
LAG_DEADLINE_SECONDS = 10.0


@dataclass(frozen=True)
class DashboardQuery:
    period: str = "day"
    region_code: str = ""
    franchisee_id: str = ""
    store_id: str = ""

    @classmethod
    def from_params(cls, params: Any) -> DashboardQuery:
        period = params.get("period", "day")
        return cls(period=period if period in PERIODS else "day", region_code=params.get("region", "").strip(),
                   franchisee_id=params.get("franchisee", "").strip(), store_id=params.get("store", "").strip())

    def scope(self) -> reports_pb2.ReportScope:
        return reports_pb2.ReportScope(region_code=self.region_code, franchisee_id=self.franchisee_id, store_id=self.store_id)


@dataclass
class Bucket:
    label: str
    end: date
    sales_net_fen: int = 0
    recharge_fen: int = 0
    new_members: int = 0
    sales_count: int = 0


@dataclass(frozen=True)
class LevelCount:
    """Active cards of one card type at one level (the level mix, from GetLevelMix)."""

    card_type_code: str
    card_type_name: str
    level_code: str
    level_name: str
    level_rank: int
    cards: int


@dataclass(frozen=True)
class ConsumerLag:
    """One consumer group's lag on one topic (GetConsumerLag)."""

    group_id: str
    topic: str
    lag: int
    end_offset: int


@dataclass
class Dashboard:
    query: DashboardQuery
    start: date
    end: date
    buckets: list[Bucket] = field(default_factory=list)
    liability: list[tuple[str, int]] = field(default_factory=list)  # (as of date, principal + bonus fen)
    top_stores: list[tuple[str, str, int, int]] = field(default_factory=list)  # (id, name, net fen, sales)
    segments: list[tuple[str, int]] = field(default_factory=list)  # (RfmSegment name, members)
    segments_as_of: str = ""
    levels: list[LevelCount] = field(default_factory=list)
    levels_as_of: datetime | None = None
    # None: the operator's role does not see the lag panel at all.
    lags: list[ConsumerLag] | None = None
    notes: list[str] = field(default_factory=list)  # i18n keys of parts the operator may not see
    level_notes: list[str] = field(default_factory=list)
    lag_notes: list[str] = field(default_factory=list)

    @property
    def level_total(self) -> int:
        return sum(count.cards for count in self.levels)

    @property
    def totals(self) -> dict[str, int]:
        return {"sales_net_fen": sum(b.sales_net_fen for b in self.buckets),
                "recharge_fen": sum(b.recharge_fen for b in self.buckets),
                "new_members": sum(b.new_members for b in self.buckets),
                "sales_count": sum(b.sales_count for b in self.buckets),
                "liability_fen": self.liability[-1][1] if self.liability else 0}

    def chart(self, kind: str, labels: dict[str, str]) -> str:
        """The JSON a chart's canvas carries (data-chart); yuan as numbers, for drawing only."""
        data: dict[str, Any]
        if kind == "revenue":
            data = {"type": "bar", "labels": [b.label for b in self.buckets], "datasets": [
                {"label": labels["revenue"], "data": [b.sales_net_fen / 100 for b in self.buckets]},
                {"label": labels["recharges"], "data": [b.recharge_fen / 100 for b in self.buckets]}]}
        elif kind == "members":
            running, cumulative = 0, []
            for bucket in self.buckets:
                running += bucket.new_members
                cumulative.append(running)
            data = {"type": "line", "labels": [b.label for b in self.buckets], "datasets": [
                {"label": labels["new_members"], "data": [b.new_members for b in self.buckets]},
                {"label": labels["members_cumulative"], "data": cumulative}]}
        elif kind == "liability":
            data = {"type": "line", "labels": [day for day, _ in self.liability], "datasets": [
                {"label": labels["liability"], "data": [fen / 100 for _, fen in self.liability]}]}
        elif kind == "stores":
            data = {"type": "bar", "horizontal": True, "labels": [name or key for key, name, _, _ in self.top_stores],
                    "datasets": [{"label": labels["revenue"], "data": [fen / 100 for _, _, fen, _ in self.top_stores]}]}
        elif kind == "levels":
            data = self._level_chart(labels.get("no_level", "–"))
        else:  # segments
            data = {"type": "doughnut", "labels": [labels.get(name, name) for name, _ in self.segments],
                    "datasets": [{"label": labels["members"], "data": [count for _, count in self.segments]}]}
        return json.dumps(data, ensure_ascii=False)


    def _level_chart(self, no_level: str) -> dict[str, Any]:
        """Levels along the axis (lowest rank first), one bar series per card type."""
        levels: dict[str, tuple[int, str]] = {}
        for count in self.levels:
            levels.setdefault(count.level_code, (count.level_rank, count.level_name or count.level_code))
        order = sorted(levels, key=lambda code: (levels[code][0], code))
        series: dict[str, dict[str, int]] = {}
        names: dict[str, str] = {}
        for count in self.levels:
            series.setdefault(count.card_type_code, {})[count.level_code] = count.cards
            names[count.card_type_code] = count.card_type_name or count.card_type_code
        return {"type": "bar", "labels": [levels[code][1] or no_level for code in order],
                "datasets": [{"label": names[code], "data": [series[code].get(level, 0) for level in order]}
                             for code in sorted(series)]}


def today() -> date:
    return datetime.now(CHAIN_TIME_ZONE).date()


def _month_start(day: date, months_back: int) -> date:
    month = day.year * 12 + day.month - 1 - months_back
    return date(month // 12, month % 12 + 1, 1)


def _month_end(day: date) -> date:
    following = _month_start(day, -1)
    return following - timedelta(days=1)


def span(period: str, end: date) -> tuple[date, date]:
    if period == "month":
        return _month_start(end, MONTH_SPAN - 1), end
    if period == "week":
        monday = end - timedelta(days=end.weekday())
        return monday - timedelta(weeks=WEEK_SPAN - 1), end
    return end - timedelta(days=DAY_SPAN - 1), end


def empty_buckets(period: str, start: date, end: date) -> OrderedDict[str, Bucket]:
    buckets: OrderedDict[str, Bucket] = OrderedDict()
    day = start
    while day <= end:
        if period == "month":
            key = day.strftime("%Y-%m")
            last = min(_month_end(day), end)
        elif period == "week":
            year, week, _ = day.isocalendar()
            key = f"{year}-W{week:02d}"
            last = min(day + timedelta(days=6 - day.weekday()), end)
        else:
            key, last = day.isoformat(), day
        buckets[key] = Bucket(label=key, end=last)
        day = last + timedelta(days=1)
    return buckets


def bucket_key(period: str, business_date: str) -> str:
    day = date.fromisoformat(business_date)
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return business_date


def build(client: OperatorClient, query: DashboardQuery, *, now: date | None = None, role: str = "") -> Dashboard:
    """The dashboard as ``client``'s operator (of ``role``) may see it. A refusal of the main sales
    report is the page's refusal; a refused side panel is left out with a note."""
    end = now or today()
    start, end = span(query.period, end)
    board = Dashboard(query=query, start=start, end=end)
    buckets = empty_buckets(query.period, start, end)
    report_period = reports_pb2.REPORT_PERIOD_MONTH if query.period == "month" else reports_pb2.REPORT_PERIOD_DAY
    rows = client.stream(client.reports.StreamSalesReport, reports_pb2.StreamSalesReportRequest(query=reports_pb2.SalesReportQuery(
        start_business_date=start.isoformat(), end_business_date=end.isoformat(), period=report_period,
        grouping=reports_pb2.REPORT_GROUPING_CHAIN, scope=query.scope())))
    for response in rows:
        row = response.row
        bucket = buckets.get(bucket_key(query.period, row.period_start_business_date))
        if bucket is None:
            continue
        bucket.sales_net_fen += row.figures.sales_net_fen
        bucket.recharge_fen += row.figures.recharge_fen
        bucket.new_members += row.figures.new_members
        bucket.sales_count += row.figures.sales_count
    board.buckets = list(buckets.values())

    stores = client.stream(client.reports.StreamSalesReport, reports_pb2.StreamSalesReportRequest(query=reports_pb2.SalesReportQuery(
        start_business_date=start.isoformat(), end_business_date=end.isoformat(), period=reports_pb2.REPORT_PERIOD_RANGE,
        grouping=reports_pb2.REPORT_GROUPING_STORE, scope=query.scope())))
    ranked = sorted(((r.row.group_key, r.row.group_name, r.row.figures.sales_net_fen, r.row.figures.sales_count) for r in stores),
                    key=lambda item: (-item[2], item[0]))
    board.top_stores = ranked[:TOP_STORES]

    points = board.buckets[-LIABILITY_POINTS:]
    for index, bucket in enumerate(points):
        as_of = "" if index == len(points) - 1 else bucket.end.isoformat()  # the last: now
        liability = client.stream(client.reports.StreamLiabilityReport, reports_pb2.StreamLiabilityReportRequest(
            query=reports_pb2.LiabilityQuery(as_of_business_date=as_of, grouping=reports_pb2.REPORT_GROUPING_CHAIN,
                                             scope=query.scope())))
        board.liability.append((bucket.label, sum(r.row.principal_fen + r.row.bonus_fen for r in liability)))

    try:
        rfm = client.call(client.segments.ShowRfm, segments_pb2.ShowRfmRequest(
            home_region=query.region_code, franchisee_id=query.franchisee_id))
        board.segments = [(member_view_pb2.RfmSegment.Name(count.segment), count.members) for count in rfm.counts if count.members]
        board.segments_as_of = rfm.as_of_date
    except Refused:
        board.notes.append("note_segments_refused")
    except ConsoleError:
        board.notes.append("note_segments_unavailable")
    _add_level_mix(client, query, board)
    if role in LAG_ROLES:
        _add_consumer_lag(client, board)
    return board


def _add_level_mix(client: OperatorClient, query: DashboardQuery, board: Dashboard) -> None:
    try:
        mix = client.call(client.reports.GetLevelMix, reports_pb2.GetLevelMixRequest(
            query=reports_pb2.LevelMixQuery(scope=query.scope(), grouping=reports_pb2.REPORT_GROUPING_CHAIN)))
    except Refused:
        board.level_notes.append("note_levels_refused")
        return
    except ConsoleError:
        board.level_notes.append("note_levels_unavailable")
        return
    board.levels = [LevelCount(row.card_type_code, row.card_type_name, row.level_code, row.level_name, row.level_rank,
                               row.active_card_count) for row in mix.rows]
    if mix.HasField("as_of"):
        board.levels_as_of = mix.as_of.ToDatetime(tzinfo=UTC)


def _add_consumer_lag(client: OperatorClient, board: Dashboard) -> None:
    board.lags = []
    try:
        answer = client.call(client.event_pipeline.GetConsumerLag, event_pipeline_pb2.GetConsumerLagRequest(),
                             deadline=LAG_DEADLINE_SECONDS)
    except Refused:
        board.lag_notes.append("note_lag_refused")
        return
    except ConsoleError:
        board.lag_notes.append("note_lag_unavailable")
        return
    board.lags = [ConsumerLag(row.group_id, row.topic, row.lag, row.end_offset) for row in answer.lags]
