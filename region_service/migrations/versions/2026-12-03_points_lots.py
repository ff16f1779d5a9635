"""points lots with expiry (P3), expiry reminders and outlooks sent, and gift stock per store (P2)

Every card already holding points gets one opening lot of its balance that never expires (its
points were earned before lots kept an expiry; docs/adr/0022).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "points_lots",
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("earned_at", UtcTimestamp(), nullable=False),
        sa.Column("expires_at", UtcTimestamp(), nullable=True),
        sa.Column("points_earned", sa.BigInteger(), nullable=False),
        sa.Column("points_remaining", sa.BigInteger(), nullable=False),
        sa.Column("source_transaction_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint("points_earned > 0", name=op.f("ck_points_lots_earned_positive")),
        sa.CheckConstraint("points_remaining >= 0 AND points_remaining <= points_earned",
                           name=op.f("ck_points_lots_remaining_within_earned")),
        sa.ForeignKeyConstraint(["card_number"], ["cards.card_number"], name=op.f("fk_points_lots_card_number_cards")),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_points_lots")),
    )
    op.create_index("ix_points_lots_card_open", "points_lots", ["card_number", "expires_at"], unique=False,
                    postgresql_where=sa.text("points_remaining > 0"))
    op.create_index("ix_points_lots_open_expiry", "points_lots", ["expires_at"], unique=False,
                    postgresql_where=sa.text("points_remaining > 0"))
    op.create_index(op.f("ix_points_lots_source_transaction_id"), "points_lots", ["source_transaction_id"], unique=False)
    op.create_table(
        "points_expiry_reminders",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("expires_at", UtcTimestamp(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(["card_number"], ["cards.card_number"],
                                name=op.f("fk_points_expiry_reminders_card_number_cards")),
        sa.PrimaryKeyConstraint("card_number", "expires_at", name=op.f("pk_points_expiry_reminders")),
    )
    op.create_table(
        "points_expiry_outlooks",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("expiring_30_days", sa.BigInteger(), nullable=False),
        sa.Column("expiring_90_days", sa.BigInteger(), nullable=False),
        sa.Column("as_of", UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(["card_number"], ["cards.card_number"],
                                name=op.f("fk_points_expiry_outlooks_card_number_cards")),
        sa.PrimaryKeyConstraint("card_number", name=op.f("pk_points_expiry_outlooks")),
    )
    op.create_table(
        "gift_stock",
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UtcTimestamp(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_gift_stock_quantity_not_negative")),
        sa.PrimaryKeyConstraint("store_id", "sku", name=op.f("pk_gift_stock")),
    )
    op.create_table(
        "gift_stock_takings",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("updated_at", UtcTimestamp(), nullable=False),
        sa.CheckConstraint("state IN ('TAKEN', 'RETURNED')", name=op.f("ck_gift_stock_takings_state_known")),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_gift_stock_takings")),
    )
    # The opening lot of every card holding points (ids: the card account's own, which is unique).
    op.execute(
        "INSERT INTO points_lots (lot_id, card_number, earned_at, expires_at, points_earned, points_remaining, "
        "source_transaction_id) SELECT account_id, card_number, now(), NULL, balance, balance, NULL "
        "FROM ledger_accounts WHERE purpose = 'CARD' AND asset = 'POINTS' AND balance > 0"
    )


def downgrade() -> None:
    op.drop_table("gift_stock_takings")
    op.drop_table("gift_stock")
    op.drop_table("points_expiry_outlooks")
    op.drop_table("points_expiry_reminders")
    op.drop_index(op.f("ix_points_lots_source_transaction_id"), table_name="points_lots")
    op.drop_index("ix_points_lots_open_expiry", table_name="points_lots")
    op.drop_index("ix_points_lots_card_open", table_name="points_lots")
    op.drop_table("points_lots")
