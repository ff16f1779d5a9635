"""segments (A2, docs/adr/0058): saved segments, member tags and birth months, search indexes

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("criteria", sa.LargeBinary(), nullable=False),
        sa.Column("scope_region", sa.String(length=8), nullable=False),
        sa.Column("scope_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("scope_store_id", sa.String(length=32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("size_counted_at", UtcTimestamp(), nullable=True),
        sa.Column("saved_by", sa.String(length=100), nullable=False),
        sa.Column("saved_at", UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_segments")),
    )
    op.create_table(
        "member_view_tags",
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("tag", "member_id", name=op.f("pk_member_view_tags")),
    )
    op.create_index("ix_member_view_tags_member_id", "member_view_tags", ["member_id"])
    op.add_column("member_views", sa.Column("birth_month", sa.SmallInteger(), nullable=True))
    op.create_index(op.f("ix_member_views_birth_month"), "member_views", ["birth_month"])
    op.create_index("ix_member_daily_figures_member_day", "member_daily_figures", ["member_id", "business_date"])
    op.create_index("ix_card_views_level_member", "card_views", ["level_code", "member_id"])
    op.create_index("ix_card_views_franchisee_member", "card_views", ["issuing_franchisee_id", "member_id"])
    op.create_index("ix_coupon_views_card_state", "coupon_views", ["card_number", "state"])
    _backfill()


def _backfill() -> None:
    """Tags and birth months of the member views already there (from their serialized profiles)."""
    from chaincard.v1 import common_pb2
    from hq_service.segment_models import birth_month_of

    connection = op.get_bind()
    views = sa.table("member_views", sa.column("member_id", sa.String), sa.column("member", sa.LargeBinary),
                     sa.column("birth_month", sa.SmallInteger))
    tags = sa.table("member_view_tags", sa.column("tag", sa.String), sa.column("member_id", sa.String))
    rows = connection.execute(sa.select(views.c.member_id, views.c.member)).all()
    tag_rows: list[dict[str, str]] = []
    for member_id, raw in rows:
        member = common_pb2.Member.FromString(raw)
        month = birth_month_of(member.birthday)
        if month is not None:
            connection.execute(sa.update(views).where(views.c.member_id == member_id).values(birth_month=month))
        tag_rows.extend({"tag": tag, "member_id": member_id} for tag in sorted(set(member.tags)) if 0 < len(tag) <= 64)
    if tag_rows:
        connection.execute(sa.insert(tags), tag_rows)


def downgrade() -> None:
    op.drop_index("ix_coupon_views_card_state", table_name="coupon_views")
    op.drop_index("ix_card_views_franchisee_member", table_name="card_views")
    op.drop_index("ix_card_views_level_member", table_name="card_views")
    op.drop_index("ix_member_daily_figures_member_day", table_name="member_daily_figures")
    op.drop_index(op.f("ix_member_views_birth_month"), table_name="member_views")
    op.drop_column("member_views", "birth_month")
    op.drop_index("ix_member_view_tags_member_id", table_name="member_view_tags")
    op.drop_table("member_view_tags")
    op.drop_table("segments")
