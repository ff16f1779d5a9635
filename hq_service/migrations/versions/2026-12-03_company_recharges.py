"""company bulk recharges (C6, docs/adr/0045): jobs, their lines, a chunk per home region, the companies' cards

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_recharge_jobs",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("card_type_code", sa.String(length=32), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lines_total", sa.Integer(), nullable=False),
        sa.Column("amount_total_fen", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.Column("finished_at", UtcTimestamp(), nullable=True),
        sa.CheckConstraint("state IN ('RUNNING', 'COMPLETED', 'FAILED')", name=op.f("ck_company_recharge_jobs_state_known")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.company_id"],
                                name=op.f("fk_company_recharge_jobs_company_id_companies")),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_company_recharge_jobs")),
        sa.UniqueConstraint("request_id", name=op.f("uq_company_recharge_jobs_request_id")),
    )
    op.create_index(op.f("ix_company_recharge_jobs_company_id"), "company_recharge_jobs", ["company_id"])
    op.create_index("ix_company_recharge_jobs_running", "company_recharge_jobs", ["state", "created_at"])
    op.create_table(
        "company_recharge_lines",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("line_index", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("holder_name", sa.String(length=64), nullable=False),
        sa.Column("holder_phone", sa.String(length=11), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["company_recharge_jobs.job_id"],
                                name=op.f("fk_company_recharge_lines_job_id_company_recharge_jobs")),
        sa.PrimaryKeyConstraint("job_id", "line_index", name=op.f("pk_company_recharge_lines")),
    )
    op.create_index(op.f("ix_company_recharge_lines_region_code"), "company_recharge_lines", ["region_code"])
    op.create_table(
        "company_recharge_regions",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["company_recharge_jobs.job_id"],
                                name=op.f("fk_company_recharge_regions_job_id_company_recharge_jobs")),
        sa.PrimaryKeyConstraint("job_id", "region_code", name=op.f("pk_company_recharge_regions")),
    )
    op.create_table(
        "company_cards",
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "card_number", name=op.f("pk_company_cards")),
    )
    op.create_index(op.f("ix_company_cards_card_number"), "company_cards", ["card_number"])


def downgrade() -> None:
    op.drop_index(op.f("ix_company_cards_card_number"), table_name="company_cards")
    op.drop_table("company_cards")
    op.drop_table("company_recharge_regions")
    op.drop_index(op.f("ix_company_recharge_lines_region_code"), table_name="company_recharge_lines")
    op.drop_table("company_recharge_lines")
    op.drop_index("ix_company_recharge_jobs_running", table_name="company_recharge_jobs")
    op.drop_index(op.f("ix_company_recharge_jobs_company_id"), table_name="company_recharge_jobs")
    op.drop_table("company_recharge_jobs")
