"""clearing coupons (issue 13, F1): each coupon a posting applied or restored, with its cost bearer;
the coupon discounts summed on the clearing record

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clearing_records") as batch:
        batch.add_column(sa.Column("coupon_fen", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "clearing_coupons",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("coupon_code", sa.String(length=32), nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=False),
        sa.Column("issuer_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("discount_fen", sa.BigInteger(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["transaction_id"], ["clearing_records.transaction_id"],
                                name=op.f("fk_clearing_coupons_transaction_id_clearing_records")),
        sa.PrimaryKeyConstraint("transaction_id", "coupon_code", name=op.f("pk_clearing_coupons")),
    )
    op.create_index("ix_clearing_coupons_business_date", "clearing_coupons", ["business_date"])


def downgrade() -> None:
    op.drop_index("ix_clearing_coupons_business_date", table_name="clearing_coupons")
    op.drop_table("clearing_coupons")
    with op.batch_alter_table("clearing_records") as batch:
        batch.drop_column("coupon_fen")
