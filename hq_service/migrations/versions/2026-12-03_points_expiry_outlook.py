"""what each card's points lots expire in the next 30 and 90 days (P3), as its home region reports
it, for the liability report (V7)

Revision ID: 0013
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("card_views", sa.Column("points_expiring_30_days", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("card_views", sa.Column("points_expiring_90_days", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("card_views", sa.Column("points_outlook_at", UtcTimestamp(), nullable=True))


def downgrade() -> None:
    op.drop_column("card_views", "points_outlook_at")
    op.drop_column("card_views", "points_expiring_90_days")
    op.drop_column("card_views", "points_expiring_30_days")
