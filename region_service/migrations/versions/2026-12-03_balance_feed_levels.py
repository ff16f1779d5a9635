"""the balance feed carries a card's level and type changes (ChainCard issue 14, docs/adr/0017
addendum, 0027, 0034): the stores' cached cards follow them without a refresh

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows copied before say "": unchanged, the store keeps what it has.
    op.add_column("balance_feed", sa.Column("level_code", sa.String(32), server_default="", nullable=False))
    op.add_column("balance_feed", sa.Column("card_type_code", sa.String(32), server_default="", nullable=False))


def downgrade() -> None:
    op.drop_column("balance_feed", "card_type_code")
    op.drop_column("balance_feed", "level_code")
