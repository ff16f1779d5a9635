"""company payments (C6, docs/adr/0045): a company's payment and its part in each region

Revision ID: 0023
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0023"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_payments",
        sa.Column("payment_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.company_id"],
                                name=op.f("fk_company_payments_company_id_companies")),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_company_payments")),
        sa.UniqueConstraint("request_id", name=op.f("uq_company_payments_request_id")),
    )
    op.create_index(op.f("ix_company_payments_company_id"), "company_payments", ["company_id"])
    op.create_table(
        "company_payment_parts",
        sa.Column("payment_id", sa.String(length=36), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_company_payment_parts_amount_positive")),
        sa.ForeignKeyConstraint(["payment_id"], ["company_payments.payment_id"],
                                name=op.f("fk_company_payment_parts_payment_id_company_payments")),
        sa.PrimaryKeyConstraint("payment_id", "region_code", name=op.f("pk_company_payment_parts")),
    )
    op.create_index("ix_company_payment_parts_waiting", "company_payment_parts", ["transaction_id"])


def downgrade() -> None:
    op.drop_index("ix_company_payment_parts_waiting", table_name="company_payment_parts")
    op.drop_table("company_payment_parts")
    op.drop_index(op.f("ix_company_payments_company_id"), table_name="company_payments")
    op.drop_table("company_payments")
