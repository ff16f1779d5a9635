"""Saved segments at HQ (A2, docs/adr/0058): named, versioned member criteria kept within the
saving operator's scope. ``members_of_segment`` is what campaigns call."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaincard.errors import NotFound
from chaincard.v1 import member_view_pb2
from hq_service import member_search
from hq_service.segment_models import SavedSegment


def segment_version(session: Session, name: str, version: int | None = None) -> SavedSegment:
    """The segment's ``version`` (the latest when None or 0); NotFound when there is none."""
    if version:
        row = session.get(SavedSegment, (name, version))
    else:
        latest = select(func.max(SavedSegment.version)).where(SavedSegment.name == name).scalar_subquery()
        row = session.execute(
            select(SavedSegment).where(SavedSegment.name == name, SavedSegment.version == latest)
        ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no segment {name!r}" + (f" version {version}" if version else ""))
    return row


def scope_of(segment: SavedSegment) -> member_search.Scope:
    return member_search.Scope(region=segment.scope_region, franchisee_id=segment.scope_franchisee_id,
                               store_id=segment.scope_store_id)


def criteria_of(segment: SavedSegment) -> member_view_pb2.MemberCriteria:
    return member_view_pb2.MemberCriteria.FromString(segment.criteria)


def members_of_segment(session: Session, name: str, version: int | None = None) -> list[str]:
    """The ids of the segment's current members (evaluated now against HQ's read model, within the
    scope the segment was saved in), in member id order. ``version`` None: the latest version.
    Raises chaincard.errors.NotFound (gRPC NOT_FOUND) for an unknown segment or version."""
    segment = segment_version(session, name, version)
    return member_search.member_ids(session, criteria_of(segment), scope_of(segment))
