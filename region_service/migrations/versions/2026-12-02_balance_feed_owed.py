"""the balance feed carries what a card owes (issue 21, docs/adr/0017, 0018): the stores' stand-in
holds it back

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows copied before say 0: a store refreshes its cards when it subscribes.
    op.add_column("balance_feed", sa.Column("owed_fen", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("balance_feed", sa.Column("points_owed", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("balance_feed", "points_owed")
    op.drop_column("balance_feed", "owed_fen")
