"""levels that move (L2): when each card's level was set, for the nightly review's grace period

Cards keep NULL until their level first changes: the review then counts from the card's opening
(docs/adr/0027). The review finds cards by level.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cards", sa.Column("level_since", UtcTimestamp(), nullable=True))
    op.create_index("ix_cards_level_code", "cards", ["level_code"])


def downgrade() -> None:
    op.drop_index("ix_cards_level_code", table_name="cards")
    op.drop_column("cards", "level_since")
