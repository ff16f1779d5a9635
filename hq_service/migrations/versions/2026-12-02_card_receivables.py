"""what cards owe (issue 21): each card's receivables (offline overdrafts, points owed) in the card
and transaction views, for the liability report's receivables per franchisee; each store's day's
offline approvals, overdrafts and receivables collected or written off

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EXPOSURE = ("offline_approval_count", "offline_approved_fen", "overdraft_fen", "receivable_collected_fen",
             "receivable_written_off_fen")


def upgrade() -> None:
    for table in ("card_views", "transaction_views"):
        owed, points_owed = ("owed_fen", "points_owed") if table == "card_views" else ("owed_after_fen", "points_owed_after")
        op.add_column(table, sa.Column(owed, sa.BigInteger(), nullable=False, server_default="0"))
        op.add_column(table, sa.Column(points_owed, sa.BigInteger(), nullable=False, server_default="0"))
    for column in _EXPOSURE:
        op.add_column("store_daily_figures", sa.Column(column, sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    for column in reversed(_EXPOSURE):
        op.drop_column("store_daily_figures", column)
    op.drop_column("transaction_views", "points_owed_after")
    op.drop_column("transaction_views", "owed_after_fen")
    op.drop_column("card_views", "points_owed")
    op.drop_column("card_views", "owed_fen")
