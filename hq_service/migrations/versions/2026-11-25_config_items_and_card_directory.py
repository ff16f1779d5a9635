"""config items in one table; physical card directory

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "config_items",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "item_key", name=op.f("pk_config_items")),
    )
    op.execute(
        "INSERT INTO config_items (kind, item_key, definition, updated_at) "
        "SELECT 'card_type', code, definition, now() FROM card_types"
    )
    op.execute(
        "INSERT INTO config_items (kind, item_key, definition, updated_at) "
        "SELECT 'level', code, definition, now() FROM levels"
    )
    op.drop_table("card_types")
    op.drop_table("levels")
    op.create_table(
        "physical_cards",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("home_region", sa.String(length=8), nullable=False),
        sa.Column("franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("card_type_code", sa.String(length=32), nullable=False),
        sa.Column("registered_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("card_number", name=op.f("pk_physical_cards")),
    )


def downgrade() -> None:
    op.drop_table("physical_cards")
    op.create_table(
        "card_types",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("definition", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_card_types")),
    )
    op.create_table(
        "levels",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("definition", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_levels")),
    )
    op.execute("INSERT INTO card_types (code, definition) SELECT item_key, definition FROM config_items WHERE kind = 'card_type'")
    op.execute("INSERT INTO levels (code, definition) SELECT item_key, definition FROM config_items WHERE kind = 'level'")
    op.drop_table("config_items")
