"""store staff (S1): DirectoryService.UpsertStaff / ListStaff and the config snapshot's staff

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("store_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("employee_number", sa.String(32), nullable=False),
        sa.Column("operator_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff")),
    )
    op.create_index(op.f("ix_staff_store_id"), "staff", ["store_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_store_id"), table_name="staff")
    op.drop_table("staff")
