"""QR member codes taken by checkouts (C2, M2): each code pays once (docs/adr/0026)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "used_member_codes",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("used_at", UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(["card_number"], ["cards.card_number"], name=op.f("fk_used_member_codes_card_number_cards")),
        sa.PrimaryKeyConstraint("card_number", "issued_at", name=op.f("pk_used_member_codes")),
    )


def downgrade() -> None:
    op.drop_table("used_member_codes")
