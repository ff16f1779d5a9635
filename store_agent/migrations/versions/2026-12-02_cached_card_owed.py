"""what a cached card owes (issue 21, docs/adr/0018): the stand-in holds it back from the stored
value it may spend

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Cards cached before are taken to owe nothing until the next balance of them arrives (the
    # refresh on start brings it for the recently used ones).
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owed_fen", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.drop_column("owed_fen")
