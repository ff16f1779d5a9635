"""cached cards: when their level and type were learnt (ChainCard issue 14, docs/adr/0017
addendum): the region's push carries level and type changes, and neither a push nor a refresh
replaces a level or type learnt later

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for the cards cached before: any description of their level is taken.
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level_as_of", sa.TIMESTAMP(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.drop_column("level_as_of")
