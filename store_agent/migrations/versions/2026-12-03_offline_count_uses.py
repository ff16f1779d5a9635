"""offline count uses (issue 14, K1/K4, docs/adr/0036): the cached cards' count-card uses per expiry
and time passes, the uses this store took offline, and the shortfall the region reported

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cached_count_items",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("used_here_today", sa.Integer(), nullable=False),
        sa.Column("time_pass", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("valid_until", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("daily_cap_uses", sa.Integer(), nullable=False),
        sa.Column("used_today", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("card_number", "item_code", name=op.f("pk_cached_count_items")),
    )
    op.create_table(
        "cached_count_packs",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("uses", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("card_number", "item_code", "position", name=op.f("pk_cached_count_packs")),
    )
    op.create_table(
        "offline_count_uses",
        sa.Column("advice_id", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("time_pass", sa.Boolean(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("advice_id", "item_code", name=op.f("pk_offline_count_uses")),
    )
    op.create_index(op.f("ix_offline_count_uses_card_number"), "offline_count_uses", ["card_number"], unique=False)
    # Cards cached before have no count list until the next refresh or push of them brings one.
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("count_items_as_of", sa.TIMESTAMP(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("count_items_day", sa.Date(), nullable=True))
    with op.batch_alter_table("offline_advices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("count_use_shortfall", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("offline_advices", schema=None) as batch_op:
        batch_op.drop_column("count_use_shortfall")
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.drop_column("count_items_day")
        batch_op.drop_column("count_items_as_of")
    op.drop_index(op.f("ix_offline_count_uses_card_number"), table_name="offline_count_uses")
    op.drop_table("offline_count_uses")
    op.drop_table("cached_count_packs")
    op.drop_table("cached_count_items")
