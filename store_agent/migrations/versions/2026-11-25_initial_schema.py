"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:59:42.925699
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "outgoing_requests",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=128), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("request", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_outgoing_requests")),
    )
    with op.batch_alter_table("outgoing_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outgoing_requests_state"), ["state"], unique=False)

    op.create_table(
        "receipts",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_receipts")),
    )


def downgrade() -> None:

    op.drop_table("receipts")
    with op.batch_alter_table("outgoing_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outgoing_requests_state"))

    op.drop_table("outgoing_requests")
