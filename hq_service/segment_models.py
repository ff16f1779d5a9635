"""HQ tables of segments and RFM (A1, A2; docs/adr/0058).

- ``member_view_tags``: the tags of each member view, one row per tag (the profile itself is a
  serialized Member), so a tag filter is an index lookup (revision 0024);
- ``segments``: saved segments, one row per version (revision 0024);
- ``rfm_runs`` and ``rfm_scores``: each nightly RFM run and every member's scores in it, kept as
  history (revision 0025).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now
from hq_service.models import Base


class MemberViewTag(Base):
    """One tag of one member view (Member.tags), kept by the read model projector."""

    __tablename__ = "member_view_tags"
    __table_args__ = (Index("ix_member_view_tags_member_id", "member_id"),)

    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class SavedSegment(Base):
    """One version of a saved segment: saving a name again adds the next version."""

    __tablename__ = "segments"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(String(256), default="")
    # A serialized chaincard.v1.MemberCriteria.
    criteria: Mapped[bytes] = mapped_column(LargeBinary)
    # The scope it is kept within (the saving operator's); "" for none.
    scope_region: Mapped[str] = mapped_column(String(8), default="")
    scope_franchisee_id: Mapped[str] = mapped_column(String(32), default="")
    scope_store_id: Mapped[str] = mapped_column(String(32), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    size_counted_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    saved_by: Mapped[str] = mapped_column(String(100), default="")
    saved_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class RfmRun(Base):
    """One RFM run (nightly or asked for): the business day it scored as of."""

    __tablename__ = "rfm_runs"

    as_of_date: Mapped[date] = mapped_column(Date, primary_key=True)
    window_days: Mapped[int] = mapped_column(Integer)
    members_scored: Mapped[int] = mapped_column(BigInteger)
    ran_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)


class RfmScoreRow(Base):
    """A member's RFM scores in one run; older runs stay, so a member's movement shows."""

    __tablename__ = "rfm_scores"
    __table_args__ = (
        Index("ix_rfm_scores_member_id", "member_id", "as_of_date"),
        Index("ix_rfm_scores_day_segment", "as_of_date", "segment"),
    )

    as_of_date: Mapped[date] = mapped_column(Date, primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recency: Mapped[int] = mapped_column(SmallInteger)
    frequency: Mapped[int] = mapped_column(SmallInteger)
    monetary: Mapped[int] = mapped_column(SmallInteger)
    # RfmSegment numbers.
    segment: Mapped[int] = mapped_column(SmallInteger)
    days_since_last_visit: Mapped[int] = mapped_column(Integer)
    visit_count: Mapped[int] = mapped_column(BigInteger)
    spend_fen: Mapped[int] = mapped_column(BigInteger)
    franchisee_id: Mapped[str] = mapped_column(String(32), default="")
    franchisee_recency: Mapped[int] = mapped_column(SmallInteger, default=0)
    franchisee_frequency: Mapped[int] = mapped_column(SmallInteger, default=0)
    franchisee_monetary: Mapped[int] = mapped_column(SmallInteger, default=0)
    franchisee_segment: Mapped[int] = mapped_column(SmallInteger, default=0)


def birth_month_of(birthday: str) -> int | None:
    """The month of a Member.birthday ("YYYY-MM-DD" or "--MM-DD"); None when unknown or malformed."""
    if len(birthday) not in (7, 10) or birthday[-3] != "-":
        return None
    try:
        month = int(birthday[-5:-3])
    except ValueError:
        return None
    return month if 1 <= month <= 12 else None


def member_tags(member_id: str, tags: list[str]) -> list[dict[str, str]]:
    """The member_view_tags rows of a member's tags (a tag longer than the column is left out)."""
    return [{"tag": tag, "member_id": member_id} for tag in sorted(set(tags)) if 0 < len(tag) <= 64]
