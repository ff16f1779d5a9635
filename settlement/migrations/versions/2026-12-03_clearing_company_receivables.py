"""clearing company receivables (C6, docs/adr/0045): what each COMPANY_RECHARGE invoiced and each
COMPANY_PAYMENT paid, per company and selling franchisee, for the statement's "company receivables"

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clearing_company_receivables",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("invoiced_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["transaction_id"], ["clearing_records.transaction_id"],
                                name=op.f("fk_clearing_company_receivables_transaction_id_clearing_records")),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_clearing_company_receivables")),
    )
    op.create_index("ix_clearing_company_receivables_business_date", "clearing_company_receivables", ["business_date"])
    op.create_index("ix_clearing_company_receivables_franchisee_company", "clearing_company_receivables",
                    ["franchisee_id", "company_id"])


def downgrade() -> None:
    op.drop_index("ix_clearing_company_receivables_franchisee_company", table_name="clearing_company_receivables")
    op.drop_index("ix_clearing_company_receivables_business_date", table_name="clearing_company_receivables")
    op.drop_table("clearing_company_receivables")
