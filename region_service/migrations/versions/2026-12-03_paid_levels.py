"""paid levels (L2): ``cards.level_paid_until``, the business date until which a bought level is kept

Set when a card buys a level whose ``paid_validity_days`` is above zero (CardService.BuyLevel);
cleared by any other level change. The nightly review does not move the card down before it.
docs/adr/0027 "Paid levels".

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 13:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cards", sa.Column("level_paid_until", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("cards", "level_paid_until")
