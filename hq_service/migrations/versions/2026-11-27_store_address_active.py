"""stores keep their address and whether they are active (directory.proto Store fields 6 and 7)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("stores", sa.Column("address", sa.String(256), nullable=False, server_default=""))
    # Stores already in the directory were all trading: they stay active.
    op.add_column("stores", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("stores", "active")
    op.drop_column("stores", "address")
