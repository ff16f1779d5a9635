"""offline coupons (issue 13, X4, docs/adr/0025): the cached cards' AVAILABLE coupons, the coupons
this store used offline, and the coupon conflicts the region reported for its advices

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cached_coupons",
        sa.Column("coupon_code", sa.String(length=32), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("valid_until", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("coupon_code", name=op.f("pk_cached_coupons")),
    )
    op.create_index(op.f("ix_cached_coupons_card_number"), "cached_coupons", ["card_number"], unique=False)
    op.create_table(
        "offline_coupon_uses",
        sa.Column("coupon_code", sa.String(length=32), nullable=False),
        sa.Column("advice_id", sa.String(length=64), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("discount_fen", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("coupon_code", "advice_id", name=op.f("pk_offline_coupon_uses")),
    )
    # Cards cached before have no coupon list until the next refresh or push of them brings one.
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coupons_as_of", sa.TIMESTAMP(timezone=True), nullable=True))
    with op.batch_alter_table("offline_advices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coupon_conflicts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("coupon_conflict_fen", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("offline_advices", schema=None) as batch_op:
        batch_op.drop_column("coupon_conflict_fen")
        batch_op.drop_column("coupon_conflicts")
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.drop_column("coupons_as_of")
    op.drop_table("offline_coupon_uses")
    op.drop_index(op.f("ix_cached_coupons_card_number"), table_name="cached_coupons")
    op.drop_table("cached_coupons")
