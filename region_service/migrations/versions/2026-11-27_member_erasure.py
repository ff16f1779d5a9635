"""members erased on request (M7): when a member's personal data was erased, and an index that
finds the stored answers carrying a profile (they are scrubbed on erasure)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("members", sa.Column("erased_at", sa.TIMESTAMP(timezone=True), nullable=True))
    op.create_index(
        "ix_idempotency_keys_profile_answers", "idempotency_keys", ["operation"], unique=False,
        postgresql_where=sa.text("operation IN ('RegisterMember', 'UpdateMember')"),
    )


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_profile_answers", table_name="idempotency_keys")
    op.drop_column("members", "erased_at")
