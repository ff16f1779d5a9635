"""offline stand-in: configuration snapshot, card cache, offline advice queue, receipt documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_number", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("document", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("offline", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "config_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("pulled_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_snapshot")),
    )

    op.create_table(
        "cached_cards",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("card_type_code", sa.String(length=32), nullable=False),
        sa.Column("level_code", sa.String(length=32), nullable=False),
        sa.Column("issuing_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("home_region", sa.String(length=8), nullable=False),
        sa.Column("pin_set", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("bonus_fen", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("balances_as_of", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("offline_allowance_fen", sa.BigInteger(), nullable=True),
        sa.Column("allowance_as_of", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("refreshed_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("card_number", name=op.f("pk_cached_cards")),
    )
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cached_cards_last_seen_at"), ["last_seen_at"], unique=False)

    op.create_table(
        "offline_advices",
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("advice_id", sa.String(length=64), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("stored_value_fen", sa.BigInteger(), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("bonus_fen", sa.BigInteger(), nullable=False),
        sa.Column("points_earned", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("approved_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("advice", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("posted_transaction_id", sa.String(length=36), nullable=True),
        sa.Column("outcome_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("forwarded_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_offline_advices")),
        sa.UniqueConstraint("advice_id", name=op.f("uq_offline_advices_advice_id")),
    )
    with op.batch_alter_table("offline_advices", schema=None) as batch_op:
        batch_op.create_index("ix_offline_advices_state_sequence", ["state", "sequence"], unique=False)
        batch_op.create_index("ix_offline_advices_card_day", ["card_number", "business_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("offline_advices", schema=None) as batch_op:
        batch_op.drop_index("ix_offline_advices_card_day")
        batch_op.drop_index("ix_offline_advices_state_sequence")
    op.drop_table("offline_advices")
    with op.batch_alter_table("cached_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cached_cards_last_seen_at"))
    op.drop_table("cached_cards")
    op.drop_table("config_snapshot")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("offline")
        batch_op.drop_column("document")
        batch_op.drop_column("card_number")
