"""balance feed (docs/adr/0017): the writing transaction's id on each outbox row, and the feed of
card balance changes that StoreSyncService.SubscribeCardBalances streams to stores

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows already there get this migration's transaction id: the feed starts after them.
    op.add_column("outbox", sa.Column("transaction_xid", sa.BigInteger(), nullable=False,
                                      server_default=sa.text("(pg_current_xact_id()::text)::bigint")))
    op.create_index("ix_outbox_transaction_xid", "outbox", ["transaction_xid"], unique=False)
    op.create_table(
        "balance_feed",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("transaction_type", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("bonus_fen", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_balance_feed")),
        sa.UniqueConstraint("event_id", name=op.f("uq_balance_feed_event_id")),
    )
    op.create_index("ix_balance_feed_card_position", "balance_feed", ["card_number", "position"], unique=False)
    op.create_index(op.f("ix_balance_feed_created_at"), "balance_feed", ["created_at"], unique=False)
    op.create_table(
        "balance_feed_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("copied_below_xid", sa.BigInteger(), nullable=False),
        sa.Column("pruned_through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_feed_mark")),
    )
    op.execute("INSERT INTO balance_feed_mark (id, copied_below_xid, pruned_through) "
               "VALUES (1, (pg_current_xact_id()::text)::bigint + 1, 0)")


def downgrade() -> None:
    op.drop_table("balance_feed_mark")
    op.drop_index(op.f("ix_balance_feed_created_at"), table_name="balance_feed")
    op.drop_index("ix_balance_feed_card_position", table_name="balance_feed")
    op.drop_table("balance_feed")
    op.drop_index("ix_outbox_transaction_xid", table_name="outbox")
    op.drop_column("outbox", "transaction_xid")
