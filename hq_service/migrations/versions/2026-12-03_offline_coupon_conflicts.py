"""offline coupon conflicts (issue 13, X4, docs/adr/0025): each store's day counts the offline sales
whose coupons were used elsewhere meanwhile, and the discount it gave on them

Revision ID: 0014
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("coupon_conflict_count", "coupon_conflict_fen")


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column("store_daily_figures", sa.Column(column, sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    for column in reversed(_COLUMNS):
        op.drop_column("store_daily_figures", column)
