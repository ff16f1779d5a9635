"""bulk coupon issue (issue 13, Q2): saved member filters, bulk issue jobs, their cards and a
cursor per (job, home region)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_filters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("level_code", sa.String(length=32), nullable=False),
        sa.Column("card_type_code", sa.String(length=32), nullable=False),
        sa.Column("home_region", sa.String(length=8), nullable=False),
        sa.Column("issuing_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("issuing_store_id", sa.String(length=32), nullable=False),
        sa.Column("updated_at", UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_member_filters")),
    )
    op.create_table(
        "bulk_issue_jobs",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("filter_name", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("cards_total", sa.BigInteger(), nullable=False),
        sa.Column("cards_issued", sa.BigInteger(), nullable=False),
        sa.Column("cards_skipped_unknown", sa.BigInteger(), nullable=False),
        sa.Column("cards_skipped_not_active", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.Column("finished_at", UtcTimestamp(), nullable=True),
        sa.CheckConstraint("state IN ('RUNNING', 'COMPLETED', 'FAILED')", name=op.f("ck_bulk_issue_jobs_state_known")),
        sa.CheckConstraint("cards_issued + cards_skipped_unknown + cards_skipped_not_active <= cards_total",
                           name=op.f("ck_bulk_issue_jobs_counted_at_most_total")),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_bulk_issue_jobs")),
        sa.UniqueConstraint("request_id", name=op.f("uq_bulk_issue_jobs_request_id")),
    )
    op.create_index("ix_bulk_issue_jobs_running", "bulk_issue_jobs", ["state", "created_at"], unique=False)
    op.create_table(
        "bulk_issue_cards",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("coupon_code", sa.String(length=17), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["bulk_issue_jobs.job_id"], name=op.f("fk_bulk_issue_cards_job_id_bulk_issue_jobs")),
        sa.PrimaryKeyConstraint("job_id", "card_number", name=op.f("pk_bulk_issue_cards")),
    )
    op.create_table(
        "bulk_issue_cursors",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("last_card_number", sa.String(length=32), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["bulk_issue_jobs.job_id"],
                                name=op.f("fk_bulk_issue_cursors_job_id_bulk_issue_jobs")),
        sa.PrimaryKeyConstraint("job_id", "region_code", name=op.f("pk_bulk_issue_cursors")),
    )


def downgrade() -> None:
    op.drop_table("bulk_issue_cursors")
    op.drop_table("bulk_issue_cards")
    op.drop_index("ix_bulk_issue_jobs_running", table_name="bulk_issue_jobs")
    op.drop_table("bulk_issue_jobs")
    op.drop_table("member_filters")
