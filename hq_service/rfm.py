"""RFM scores (A1, docs/adr/0058): nightly recency, frequency and monetary quintiles of every
member who visited within the window, chain-wide and within the member's franchisee, and the 8
classic segments. Each run's scores are kept (``rfm_scores``), so a member's movement shows.

A run is one INSERT … SELECT over ``member_daily_figures``: a member's visits and net spend in the
window and the day of their latest visit. A score is the quintile of the member's rank:
``1 + 5 * (rank - 1) / n`` (integer division), where rank orders ascending (the longest ago, the
fewest visits, the least spend rank first) and equal values share the lower rank, so ties always
get the same score and a run is reproducible. A score of 4 or 5 is "high"; the monetary score
makes a segment "important" or "general", recency and frequency pick which of the four.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Integer, and_, case, delete, func, insert, literal, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.errors import InvalidArgument
from chaincard.v1 import member_view_pb2, segments_pb2
from hq_service.commission import GRACE, parse_day, today
from hq_service.models import CardView, MemberDailyFigures, MemberView
from hq_service.segment_models import RfmRun, RfmScoreRow

log = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 365
CHECK_EVERY_SECONDS = 300.0
HIGH = 4
S = member_view_pb2.RfmSegment

# (important?, recent?, frequent?) → segment.
SEGMENTS = {
    (True, True, True): S.RFM_SEGMENT_IMPORTANT_VALUE,
    (True, True, False): S.RFM_SEGMENT_IMPORTANT_DEVELOPMENT,
    (True, False, True): S.RFM_SEGMENT_IMPORTANT_RETENTION,
    (True, False, False): S.RFM_SEGMENT_IMPORTANT_RECOVERY,
    (False, True, True): S.RFM_SEGMENT_GENERAL_VALUE,
    (False, True, False): S.RFM_SEGMENT_GENERAL_DEVELOPMENT,
    (False, False, True): S.RFM_SEGMENT_GENERAL_RETENTION,
    (False, False, False): S.RFM_SEGMENT_GENERAL_RECOVERY,
}


def segment_of(recency: int, frequency: int, monetary: int) -> int:
    """The classic segment of three quintile scores."""
    return int(SEGMENTS[(monetary >= HIGH, recency >= HIGH, frequency >= HIGH)])


def _segment_sql(r: Any, f: Any, m: Any) -> Any:
    return case(*[(and_(m >= HIGH if important else m < HIGH, r >= HIGH if recent else r < HIGH,
                        f >= HIGH if frequent else f < HIGH), literal(int(segment)))
                  for (important, recent, frequent), segment in SEGMENTS.items()], else_=literal(0))


def _quintile(order: Any, partition: Any = None) -> Any:
    rank = func.rank().over(order_by=order, partition_by=partition)
    total = func.count().over(partition_by=partition)
    return sql_cast(1 + (5 * (rank - 1)) / total, Integer)


def run(session: Session, as_of: date, window_days: int = DEFAULT_WINDOW_DAYS) -> int:
    """Score every member who visited in the ``window_days`` ending on ``as_of`` (inclusive); the
    scores of an earlier run for the same day are replaced. Returns the members scored. The caller
    commits."""
    if not 1 <= window_days <= 3660:
        raise InvalidArgument("window_days", "must be 1 to 3660 days")
    mdf = MemberDailyFigures.__table__
    cards = CardView.__table__
    first = as_of - timedelta(days=window_days - 1)
    base = (
        select(mdf.c.member_id,
               func.max(case((mdf.c.visit_count > 0, mdf.c.business_date))).label("last_visit"),
               func.sum(mdf.c.visit_count).label("visits"),
               func.sum(mdf.c.spend_fen).label("spend"))
        .where(mdf.c.business_date >= first, mdf.c.business_date <= as_of)
        .group_by(mdf.c.member_id)
        .having(func.sum(mdf.c.visit_count) > 0)
        .cte("rfm_base")
    )
    # The member's franchisee: the one that issued the member's first card.
    with_franchisee = select(base, func.coalesce(
        select(cards.c.issuing_franchisee_id).where(cards.c.member_id == base.c.member_id)
        .order_by(cards.c.opened_at.asc().nulls_last(), cards.c.card_number).limit(1).scalar_subquery(), "",
    ).label("franchisee_id")).cte("rfm_members")
    b = with_franchisee.c
    scored = select(
        b.member_id, b.last_visit, b.visits, b.spend, b.franchisee_id,
        _quintile(b.last_visit).label("r"), _quintile(b.visits).label("f"), _quintile(b.spend).label("m"),
        _quintile(b.last_visit, b.franchisee_id).label("fr"), _quintile(b.visits, b.franchisee_id).label("ff"),
        _quintile(b.spend, b.franchisee_id).label("fm"),
    ).cte("rfm_scored")
    s = scored.c
    rows = select(
        literal(as_of).label("as_of_date"), s.member_id, s.r, s.f, s.m, _segment_sql(s.r, s.f, s.m),
        sql_cast(literal(as_of) - s.last_visit, Integer), s.visits, s.spend, s.franchisee_id,
        s.fr, s.ff, s.fm, _segment_sql(s.fr, s.ff, s.fm),
    )
    session.execute(delete(RfmScoreRow).where(RfmScoreRow.as_of_date == as_of))
    result = session.execute(insert(RfmScoreRow).from_select(
        ["as_of_date", "member_id", "recency", "frequency", "monetary", "segment", "days_since_last_visit",
         "visit_count", "spend_fen", "franchisee_id", "franchisee_recency", "franchisee_frequency",
         "franchisee_monetary", "franchisee_segment"], rows))
    scored_count = int(cast(Any, result).rowcount or 0)  # a CursorResult: INSERT … SELECT
    previous = session.get(RfmRun, as_of)
    if previous is None:
        session.add(RfmRun(as_of_date=as_of, window_days=window_days, members_scored=scored_count, ran_at=utc_now()))
    else:
        previous.window_days, previous.members_scored, previous.ran_at = window_days, scored_count, utc_now()
    session.flush()
    return scored_count


def run_request(session: Session, settings: Settings, request: segments_pb2.RunRfmRequest) -> segments_pb2.RunRfmResponse:
    as_of = parse_day("as_of_date", request.as_of_date) if request.as_of_date else today(settings) - timedelta(days=1)
    if request.window_days < 0:
        raise InvalidArgument("window_days", "must not be negative")
    scored = run(session, as_of, request.window_days or DEFAULT_WINDOW_DAYS)
    session.commit()
    return segments_pb2.RunRfmResponse(as_of_date=as_of.isoformat(), members_scored=scored)


def run_due(session_factory: sessionmaker[Session], settings: Settings, now: datetime | None = None) -> None:
    """The nightly job's step: score the last ended business day once (a grace period after the
    cut-off, for late events); then refresh every saved segment's size."""
    from hq_service import segment_service  # the segments' refresh, after the scores they may filter on

    day = today(settings, (now or utc_now()) - GRACE) - timedelta(days=1)
    with session_factory() as session:
        if session.get(RfmRun, day) is None:
            scored = run(session, day)
            session.commit()
            log.info("rfm scored", extra={"fields": {"as_of_date": day.isoformat(), "members": scored}})
            segment_service.refresh_sizes(session)
            session.commit()


def score_of(row: RfmScoreRow) -> member_view_pb2.RfmScore:
    return member_view_pb2.RfmScore(
        as_of_date=row.as_of_date.isoformat(), recency=row.recency, frequency=row.frequency, monetary=row.monetary,
        segment=cast(member_view_pb2.RfmSegment, row.segment), days_since_last_visit=row.days_since_last_visit,
        visit_count=row.visit_count, spend_fen=row.spend_fen, franchisee_id=row.franchisee_id,
        franchisee_recency=row.franchisee_recency, franchisee_frequency=row.franchisee_frequency,
        franchisee_monetary=row.franchisee_monetary,
        franchisee_segment=cast(member_view_pb2.RfmSegment, row.franchisee_segment))


def latest_score(session: Session, member_id: str) -> member_view_pb2.RfmScore | None:
    row = session.execute(select(RfmScoreRow).where(RfmScoreRow.member_id == member_id)
                          .order_by(RfmScoreRow.as_of_date.desc()).limit(1)).scalar_one_or_none()
    return score_of(row) if row is not None else None


def show(session: Session, request: segments_pb2.ShowRfmRequest) -> segments_pb2.ShowRfmResponse:
    latest = session.execute(select(func.max(RfmRun.as_of_date))).scalar_one_or_none()
    response = segments_pb2.ShowRfmResponse()
    if latest is None:
        return response
    response.as_of_date = latest.isoformat()
    column = RfmScoreRow.franchisee_segment if request.franchisee_id else RfmScoreRow.segment
    query = (select(column, func.count()).where(RfmScoreRow.as_of_date == latest).group_by(column).order_by(column))
    if request.franchisee_id:
        query = query.where(RfmScoreRow.franchisee_id == request.franchisee_id)
    if request.home_region:
        query = query.where(RfmScoreRow.member_id.in_(
            select(MemberView.member_id).where(MemberView.home_region == request.home_region)))
    for segment, members in session.execute(query):
        response.counts.add(segment=cast(member_view_pb2.RfmSegment, segment), members=int(members))
    if request.member_id:
        history = select(RfmScoreRow).where(RfmScoreRow.member_id == request.member_id)
        if request.franchisee_id:
            history = history.where(RfmScoreRow.franchisee_id == request.franchisee_id)
        if request.home_region:
            history = history.where(RfmScoreRow.member_id.in_(
                select(MemberView.member_id).where(MemberView.home_region == request.home_region)))
        response.history.extend(score_of(row) for row in session.execute(
            history.order_by(RfmScoreRow.as_of_date.desc())).scalars())
    return response
