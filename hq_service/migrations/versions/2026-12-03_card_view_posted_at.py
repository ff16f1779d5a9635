"""card views ordered by posting (issue 21): when the home region posted the transaction whose
balances a card view shows, so an offline advice posted after a later-dated transaction of its card
gives the card its balances (docs/adr/0012, 2026-12-03 addendum)

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null on rows from before: their last_transaction_at stands in (hq_service/read_models.py).
    op.add_column("card_views", sa.Column("posted_at", sa.TIMESTAMP(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("card_views", "posted_at")
