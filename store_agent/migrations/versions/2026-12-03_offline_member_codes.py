"""offline member codes (issue 14 item 6, docs/adr/0026): each cached card's QR member-code key and
holder, and the codes this store took offline

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offline_member_code_uses",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("advice_id", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("card_number", "issued_at", name=op.f("pk_offline_member_code_uses")),
    )
    # Cards cached before have no key until their next refresh brings one (their codes are refused
    # offline meanwhile).
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_code_key", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("member_id", sa.String(length=36), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.drop_column("member_id")
        batch_op.drop_column("member_code_key")
    op.drop_table("offline_member_code_uses")
