"""Company credit notes (C6, docs/adr/0045): a posted bulk recharge line voided, no longer invoiced

Revision ID: 0028
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_credit_notes",
        sa.Column("credit_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("line_index", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["company_recharge_jobs.job_id"],
                                name=op.f("fk_company_credit_notes_job_id_company_recharge_jobs")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.company_id"],
                                name=op.f("fk_company_credit_notes_company_id_companies")),
        sa.PrimaryKeyConstraint("credit_id", name=op.f("pk_company_credit_notes")),
        sa.UniqueConstraint("request_id", name=op.f("uq_company_credit_notes_request_id")),
    )
    op.create_index("ux_company_credit_notes_line", "company_credit_notes", ["job_id", "line_index"], unique=True)
    op.create_index(op.f("ix_company_credit_notes_company_id"), "company_credit_notes", ["company_id"])


def downgrade() -> None:
    op.drop_table("company_credit_notes")
