"""answers to requests are purged after their retention: an index on idempotency_keys.created_at

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-05 17:00:00.000000

The region deletes remembered answers older than ``request_answer_retention_days`` every hour
(chaincard.db.idempotency.purge_answers); without this index each purge read the whole table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
