"""settlement runs: what the rules need on each clearing record, runs, statements, files

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clearing_records") as batch:
        batch.add_column(sa.Column("sequence", sa.BigInteger(), sa.Identity(), nullable=False))
        batch.add_column(sa.Column("settling_store_id", sa.String(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("flow_kind", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("amount_fen", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("count_uses_delta", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("original_transaction_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("original_transaction_type", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("original_business_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("occurred_at", sa.TIMESTAMP(timezone=True), nullable=True))
        batch.add_column(sa.Column("settled_business_date", sa.Date(), nullable=True))
        batch.create_unique_constraint(batch.f("uq_clearing_records_sequence"), ["sequence"])
    # Records taken in before this revision: settle by what they carry.
    op.execute("UPDATE clearing_records SET settling_store_id = acquiring_store_id")
    op.execute("UPDATE clearing_records SET flow_kind = 'SPEND' WHERE transaction_type IN ('SPEND', 'OFFLINE_ADVICE', 'REFUND')")
    op.execute("UPDATE clearing_records SET flow_kind = 'RECHARGE' WHERE transaction_type = 'RECHARGE'")
    op.execute("UPDATE clearing_records SET flow_kind = CASE WHEN principal_delta_fen < 0 THEN 'RECHARGE' ELSE 'SPEND' END "
               "WHERE transaction_type = 'VOID'")
    op.create_index("ix_clearing_records_business_date_sequence", "clearing_records", ["business_date", "sequence"], unique=False)
    op.create_index("ix_clearing_records_settled_business_date", "clearing_records", ["settled_business_date"], unique=False,
                    postgresql_where=sa.text("settled_business_date IS NOT NULL"))
    op.create_index("ix_clearing_records_original_transaction_id", "clearing_records", ["original_transaction_id"], unique=False)

    op.create_table(
        "settlement_runs",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("completed_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("watermark_sequence", sa.BigInteger(), nullable=False),
        sa.Column("clearing_record_count", sa.BigInteger(), nullable=False),
        sa.Column("late_record_count", sa.BigInteger(), nullable=False),
        sa.Column("statement_count", sa.Integer(), nullable=False),
        sa.Column("fee_schedule", sa.LargeBinary(), nullable=False),
        sa.Column("manifest", sa.LargeBinary(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("net_total_fen", sa.BigInteger(), nullable=False),
        sa.Column("directory", sa.JSON(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("business_date", name=op.f("pk_settlement_runs")),
    )
    op.create_table(
        "statements",
        sa.Column("statement_id", sa.String(length=80), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("franchisee_name", sa.String(length=200), nullable=False),
        sa.Column("net_fen", sa.BigInteger(), nullable=False),
        sa.Column("receivable_fen", sa.BigInteger(), nullable=False),
        sa.Column("payable_fen", sa.BigInteger(), nullable=False),
        sa.Column("fees_fen", sa.BigInteger(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("memo", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["business_date"], ["settlement_runs.business_date"],
                                name=op.f("fk_statements_business_date_settlement_runs")),
        sa.PrimaryKeyConstraint("statement_id", name=op.f("pk_statements")),
    )
    op.create_index("ix_statements_franchisee_id_business_date", "statements", ["franchisee_id", "business_date"], unique=False)
    op.create_table(
        "statement_files",
        sa.Column("statement_id", sa.String(length=80), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["statement_id"], ["statements.statement_id"],
                                name=op.f("fk_statement_files_statement_id_statements")),
        sa.PrimaryKeyConstraint("statement_id", "file_format", name=op.f("pk_statement_files")),
    )
    op.create_index(op.f("ix_statement_files_business_date"), "statement_files", ["business_date"], unique=False)
    op.create_table(
        "idempotency_keys",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_idempotency_keys")),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index(op.f("ix_statement_files_business_date"), table_name="statement_files")
    op.drop_table("statement_files")
    op.drop_index("ix_statements_franchisee_id_business_date", table_name="statements")
    op.drop_table("statements")
    op.drop_table("settlement_runs")
    op.drop_index("ix_clearing_records_original_transaction_id", table_name="clearing_records")
    op.drop_index("ix_clearing_records_settled_business_date", table_name="clearing_records")
    op.drop_index("ix_clearing_records_business_date_sequence", table_name="clearing_records")
    with op.batch_alter_table("clearing_records") as batch:
        batch.drop_constraint(batch.f("uq_clearing_records_sequence"), type_="unique")
        for column in ("settled_business_date", "occurred_at", "original_business_date", "original_transaction_type",
                       "original_transaction_id", "count_uses_delta", "amount_fen", "flow_kind", "settling_store_id", "sequence"):
            batch.drop_column(column)
