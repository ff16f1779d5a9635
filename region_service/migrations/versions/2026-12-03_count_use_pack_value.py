"""count-use pack value (issue 14 item 9): each pack's price and the value of its uses left, so
uses consumed at another franchisee's store clear at their value (docs/adr/0031)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("count_use_packs") as batch:
        # price_fen itself came with packages (0013, docs/adr/0030).
        batch.add_column(sa.Column("value_left_fen", sa.BigInteger(), nullable=False, server_default="0"))
    # Packs sold before: the price is their purchase's amount (one pack row per purchase), the value
    # left its floor share by the uses left.
    op.execute(
        "UPDATE count_use_packs SET price_fen = t.amount_fen, "
        "value_left_fen = t.amount_fen * count_use_packs.uses_left / count_use_packs.uses_bought "
        "FROM ledger_transactions AS t WHERE t.transaction_id = count_use_packs.transaction_id "
        "AND count_use_packs.price_fen = 0"
    )
    with op.batch_alter_table("count_use_packs") as batch:
        batch.create_check_constraint(op.f("ck_count_use_packs_value_within_price"), "value_left_fen >= 0 AND value_left_fen <= price_fen")


def downgrade() -> None:
    with op.batch_alter_table("count_use_packs") as batch:
        batch.drop_constraint(op.f("ck_count_use_packs_value_within_price"), type_="check")
        batch.drop_column("value_left_fen")
