"""bearer cards (不记名卡, C1): a card of an ``anonymous`` card type has no member

``cards.member_id`` becomes nullable; every other card still names its member (OpenCard refuses a
member-less card of another type). docs/adr/0034.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.alter_column("member_id", existing_type=sa.String(36), nullable=True)


def downgrade() -> None:
    # Fails while bearer cards exist: they would need a member first.
    with op.batch_alter_table("cards") as batch:
        batch.alter_column("member_id", existing_type=sa.String(36), nullable=False)
