"""balance push relayed from other regions (docs/adr/0017, addendum): a position per other region

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:40:00.000000
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
        "balance_push_region_positions",
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("region_code", name=op.f("pk_balance_push_region_positions")),
    )


def downgrade() -> None:
    op.drop_table("balance_push_region_positions")
