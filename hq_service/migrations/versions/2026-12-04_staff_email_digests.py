"""staff e-mail and store managers' daily digests (N4, docs/adr/0056)

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("staff", sa.Column("email", sa.String(length=254), server_default="", nullable=False))
    # One digest per manager and business day: the key is the "never twice".
    op.create_table(
        "manager_digests",
        sa.Column("staff_id", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.Column("sent_at", UtcTimestamp(), nullable=True),
        sa.PrimaryKeyConstraint("staff_id", "business_date", name=op.f("pk_manager_digests")),
    )


def downgrade() -> None:
    op.drop_table("manager_digests")
    op.drop_column("staff", "email")
