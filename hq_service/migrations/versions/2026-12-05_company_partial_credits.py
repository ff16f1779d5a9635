"""Partial credit notes (C6, docs/adr/0045, fifth change): a line may carry several credit notes

Revision ID: 0029
Revises: 0028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One line, several credits (each its own credit_id and region posting): the index stays, for the
    # sum of a line's credits, but no longer unique.
    op.drop_index("ux_company_credit_notes_line", table_name="company_credit_notes")
    op.create_index("ix_company_credit_notes_line", "company_credit_notes", ["job_id", "line_index"])
    # What the request asked (0: the whole creditable part), so a retry asking another amount is told apart.
    with op.batch_alter_table("company_credit_notes") as batch:
        batch.add_column(sa.Column("asked_fen", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("company_credit_notes") as batch:
        batch.drop_column("asked_fen")
    op.drop_index("ix_company_credit_notes_line", table_name="company_credit_notes")
    op.create_index("ux_company_credit_notes_line", "company_credit_notes", ["job_id", "line_index"], unique=True)
