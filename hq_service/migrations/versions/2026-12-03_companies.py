"""company accounts (C6, docs/adr/0045): companies that buy cards by invoice

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("tax_id", sa.String(length=18), nullable=False),
        sa.Column("contact_name", sa.String(length=64), nullable=False),
        sa.Column("contact_phone", sa.String(length=11), nullable=False),
        sa.Column("home_region", sa.String(length=8), nullable=False),
        sa.Column("franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_companies")),
        sa.UniqueConstraint("tax_id", name=op.f("uq_companies_tax_id")),
    )
    op.create_index(op.f("ix_companies_home_region"), "companies", ["home_region"])
    op.create_index(op.f("ix_companies_franchisee_id"), "companies", ["franchisee_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_companies_franchisee_id"), table_name="companies")
    op.drop_index(op.f("ix_companies_home_region"), table_name="companies")
    op.drop_table("companies")
