"""clearing count uses (issue 14 item 9): the count-card uses each posting consumed or returned, per
item and seller, with their value (docs/adr/0031)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clearing_count_uses",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("seller_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("uses", sa.BigInteger(), nullable=False),
        sa.Column("value_fen", sa.BigInteger(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["transaction_id"], ["clearing_records.transaction_id"],
                                name=op.f("fk_clearing_count_uses_transaction_id_clearing_records")),
        sa.PrimaryKeyConstraint("transaction_id", "item_code", "seller_franchisee_id", name=op.f("pk_clearing_count_uses")),
    )
    op.create_index("ix_clearing_count_uses_business_date", "clearing_count_uses", ["business_date"])


def downgrade() -> None:
    op.drop_index("ix_clearing_count_uses_business_date", table_name="clearing_count_uses")
    op.drop_table("clearing_count_uses")
