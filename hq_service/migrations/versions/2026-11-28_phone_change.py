"""a member may hold two phone claims while changing phone (M3): the new one is claimed before the
old one is released, so the member is never without a number in the chain-wide index

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_phone_claims_member_id", "phone_claims", type_="unique")
    # Erasure and the member's events still find a member's claims by member id.
    op.create_index("ix_phone_claims_member_id", "phone_claims", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_phone_claims_member_id", table_name="phone_claims")
    op.create_unique_constraint("uq_phone_claims_member_id", "phone_claims", ["member_id"])
