"""SegmentService (A1, A2; docs/adr/0058): saved segments and the RFM run, at HQ.

A segment version is immutable: saving a name again adds the next version. Its scope (region,
franchisee, store) comes from the saving operator's (the authorization interceptor fills in the
request's scope fields), and every evaluation of it — size, export, members_of_segment — stays
inside that scope. Saving and exporting are audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import grpc
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.commands import CommandRunner
from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.errors import InvalidArgument, PermissionDenied
from chaincard.security.identity import Place, current_principal
from chaincard.v1 import common_pb2, member_view_pb2, segments_pb2, segments_pb2_grpc
from hq_service import audit_log, member_search, report_export, rfm
from hq_service.audit_log import who
from hq_service.models import CardView, MemberDailyFigures, MemberView
from hq_service.report_tables import Fen, Table
from hq_service.segment_models import RfmScoreRow, SavedSegment
from hq_service.segments import criteria_of, scope_of, segment_version
from hq_service.unit_of_work import HqUnitOfWork

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SERVICE = "SegmentService"


def to_proto(row: SavedSegment) -> segments_pb2.Segment:
    segment = segments_pb2.Segment(
        name=row.name, version=row.version, description=row.description, criteria=criteria_of(row),
        scope_region=row.scope_region, scope_franchisee_id=row.scope_franchisee_id, scope_store_id=row.scope_store_id,
        size=row.size, saved_by=row.saved_by)
    segment.saved_at.FromDatetime(row.saved_at)
    if row.size_counted_at is not None:
        segment.size_counted_at.FromDatetime(row.size_counted_at)
    return segment


def _place(row: SavedSegment) -> Place:
    return Place(region=row.scope_region, franchisee=row.scope_franchisee_id, store=row.scope_store_id)


def count_now(session: Session, row: SavedSegment) -> int:
    """Count the segment's members now and keep the count as its size (the caller commits)."""
    row.size = member_search.count(session, criteria_of(row), scope_of(row))
    row.size_counted_at = utc_now()
    return row.size


def save_segment(uow: HqUnitOfWork, request: segments_pb2.SaveSegmentRequest) -> segments_pb2.SaveSegmentResponse:
    """SaveSegment (through HQ's command runner: one answer per request id)."""
    session = uow.session
    if not NAME.match(request.name):
        raise InvalidArgument("name", "letters, digits, '-' and '_', at most 64")
    if len(request.description) > 256:
        raise InvalidArgument("description", "at most 256 characters")
    scope = member_search.Scope(request.scope_region, request.scope_franchisee_id, request.scope_store_id)
    # Validates the criteria (INVALID_ARGUMENT naming the field) before anything is stored.
    member_search.conditions_of(request.criteria, scope, rfm_date=None,
                                dormant=member_search.dormant_days(session, request.criteria))
    # Two saves of one name take turns (PostgreSQL refuses FOR UPDATE with an aggregate): a lock per name.
    session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"segment:{request.name}"))))
    latest = session.execute(select(func.max(SavedSegment.version)).where(SavedSegment.name == request.name)
                             ).scalar_one_or_none()
    row = SavedSegment(
        name=request.name, version=(latest or 0) + 1, description=request.description,
        criteria=request.criteria.SerializeToString(deterministic=True), scope_region=request.scope_region,
        scope_franchisee_id=request.scope_franchisee_id, scope_store_id=request.scope_store_id, size=0,
        saved_by=who(current_principal()).actor, saved_at=utc_now())
    session.add(row)
    count_now(session, row)
    session.flush()
    saved = to_proto(row)
    audit_log.record(session, action=audit_log.rpc(SERVICE, "SaveSegment"), target_type="segment",
                     target_id=f"{row.name}@{row.version}", place=_place(row), after=saved, request_id=request.request_id)
    return segments_pb2.SaveSegmentResponse(segment=saved)


def refresh_sizes(session: Session) -> int:
    """The nightly refresh: every segment's latest version counted again. Returns the segments counted."""
    latest = (select(SavedSegment.name, func.max(SavedSegment.version).label("version"))
              .group_by(SavedSegment.name).subquery())
    rows = session.execute(select(SavedSegment).join(
        latest, (SavedSegment.name == latest.c.name) & (SavedSegment.version == latest.c.version))).scalars().all()
    for row in rows:
        count_now(session, row)
    return len(rows)


def list_segments(session: Session, request: segments_pb2.ListSegmentsRequest) -> segments_pb2.ListSegmentsResponse:
    latest = (select(SavedSegment.name, func.max(SavedSegment.version).label("version"))
              .group_by(SavedSegment.name).subquery())
    query = select(SavedSegment).join(
        latest, (SavedSegment.name == latest.c.name) & (SavedSegment.version == latest.c.version))
    if request.scope_region:
        query = query.where(SavedSegment.scope_region == request.scope_region)
    if request.scope_franchisee_id:
        query = query.where(SavedSegment.scope_franchisee_id == request.scope_franchisee_id)
    if request.scope_store_id:
        query = query.where(SavedSegment.scope_store_id == request.scope_store_id)
    rows = session.execute(query.order_by(SavedSegment.name)).scalars()
    return segments_pb2.ListSegmentsResponse(segments=[to_proto(row) for row in rows])


def _within(row: SavedSegment, region: str, franchisee_id: str, store_id: str) -> None:
    """The caller's scope (filled into the request) must hold the segment's."""
    for mine, its, what in ((region, row.scope_region, "region"), (franchisee_id, row.scope_franchisee_id, "franchisee"),
                            (store_id, row.scope_store_id, "store")):
        if mine and mine != its:
            raise PermissionDenied(f"segment {row.name!r} is not kept within your {what} ({mine})")


EXPORT_HEADERS = ["member_id", "home_region", "registered_store_id", "name", "phone", "levels", "points",
                  "stored_value_yuan", "last_visit_date", "rfm_segment"]


def export_table(session: Session, row: SavedSegment) -> Table:
    """The segment's members now, one row each (masked contacts only: HQ holds no other)."""
    ids = member_search.matching(session, criteria_of(row), scope_of(row)).subquery()
    views = session.execute(select(MemberView.member_id, MemberView.home_region, MemberView.registered_store_id,
                                   MemberView.member).join(ids, ids.c.member_id == MemberView.member_id)
                            .order_by(MemberView.member_id)).all()
    wanted = [view.member_id for view in views]
    cards: dict[str, tuple[set[str], int, int]] = {}
    last: dict[str, str] = {}
    segments: dict[str, str] = {}
    latest = rfm_date = member_search.latest_rfm_date(session)
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start:start + 5000]
        for member_id, level, points, principal, bonus in session.execute(
                select(CardView.member_id, CardView.level_code, CardView.points, CardView.principal_fen,
                       CardView.bonus_fen).where(CardView.member_id.in_(chunk))):
            levels, total_points, total_fen = cards.get(member_id, (set(), 0, 0))
            if level:
                levels.add(level)
            cards[member_id] = (levels, total_points + points, total_fen + principal + bonus)
        for member_id, day in session.execute(
                select(MemberDailyFigures.member_id, func.max(MemberDailyFigures.business_date))
                .where(MemberDailyFigures.member_id.in_(chunk), MemberDailyFigures.visit_count > 0)
                .group_by(MemberDailyFigures.member_id)):
            last[member_id] = day.isoformat()
        if latest is not None:
            for member_id, segment in session.execute(
                    select(RfmScoreRow.member_id, RfmScoreRow.segment)
                    .where(RfmScoreRow.as_of_date == rfm_date, RfmScoreRow.member_id.in_(chunk))):
                segments[member_id] = member_view_pb2.RfmSegment.Name(segment).removeprefix("RFM_SEGMENT_")
    table = Table(title=f"{row.name} v{row.version}", headers=EXPORT_HEADERS)
    for view in views:
        member = common_pb2.Member.FromString(view.member)
        levels, points, fen = cards.get(view.member_id, (set(), 0, 0))
        table.rows.append([view.member_id, view.home_region, view.registered_store_id, member.name,
                           member.phone_masked, " ".join(sorted(levels)), points, Fen(fen),
                           last.get(view.member_id, ""), segments.get(view.member_id, "")])
    return table


def export_segment(session: Session, request: segments_pb2.ExportSegmentRequest) -> Iterator[common_pb2.ExportChunk]:
    row = segment_version(session, request.name, request.version or None)
    _within(row, request.scope_region, request.scope_franchisee_id, request.scope_store_id)
    table = export_table(session, row)
    xlsx = request.format == segments_pb2.SEGMENT_EXPORT_FORMAT_XLSX
    data = report_export.to_xlsx(table) if xlsx else report_export.to_csv(table)
    audit_log.record(session, action=audit_log.rpc(SERVICE, "ExportSegment"), target_type="segment",
                     target_id=f"{row.name}@{row.version}", place=_place(row),
                     after={"members": len(table.rows), "format": "XLSX" if xlsx else "CSV"})
    session.commit()
    name = f"segment-{row.name}-v{row.version}.{'xlsx' if xlsx else 'csv'}"
    yield from report_export.chunks(data, name, report_export.XLSX_TYPE if xlsx else report_export.CSV_TYPE)


class SegmentServicer(segments_pb2_grpc.SegmentServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], commands: CommandRunner[HqUnitOfWork],
                 settings: Settings) -> None:
        self.session_factory = session_factory
        self.commands = commands
        self.settings = settings

    def SaveSegment(self, request: segments_pb2.SaveSegmentRequest, context: grpc.ServicerContext) -> segments_pb2.SaveSegmentResponse:  # noqa: N802 - gRPC method names
        return self.commands.run(save_segment, request)

    def GetSegment(self, request: segments_pb2.GetSegmentRequest, context: grpc.ServicerContext) -> segments_pb2.GetSegmentResponse:  # noqa: N802
        with self.session_factory() as session:
            return segments_pb2.GetSegmentResponse(segment=to_proto(segment_version(session, request.name, request.version or None)))

    def ListSegments(self, request: segments_pb2.ListSegmentsRequest, context: grpc.ServicerContext) -> segments_pb2.ListSegmentsResponse:  # noqa: N802
        with self.session_factory() as session:
            return list_segments(session, request)

    def GetSegmentSize(self, request: segments_pb2.GetSegmentSizeRequest, context: grpc.ServicerContext) -> segments_pb2.GetSegmentSizeResponse:  # noqa: N802
        with self.session_factory() as session:
            row = segment_version(session, request.name, request.version or None)
            size = count_now(session, row)
            session.commit()
            return segments_pb2.GetSegmentSizeResponse(size=size, segment=to_proto(row))

    def ExportSegment(self, request: segments_pb2.ExportSegmentRequest, context: grpc.ServicerContext) -> Iterator[segments_pb2.ExportSegmentResponse]:  # noqa: N802
        with self.session_factory() as session:
            for chunk in export_segment(session, request):
                yield segments_pb2.ExportSegmentResponse(chunk=chunk)

    def RunRfm(self, request: segments_pb2.RunRfmRequest, context: grpc.ServicerContext) -> segments_pb2.RunRfmResponse:  # noqa: N802
        with self.session_factory() as session:
            return rfm.run_request(session, self.settings, request)

    def ShowRfm(self, request: segments_pb2.ShowRfmRequest, context: grpc.ServicerContext) -> segments_pb2.ShowRfmResponse:  # noqa: N802
        with self.session_factory() as session:
            return rfm.show(session, request)


