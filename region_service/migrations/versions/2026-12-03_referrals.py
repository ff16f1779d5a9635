"""referrals (M5, docs/adr/0044): a member's own referral code and who referred the member

Revision ID: 0025
Revises: 0019
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Members registered before have no code (NULL; docs/adr/0044) and no referrer.
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("referral_code", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("referrer_member_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("referrer_home_region", sa.String(length=8), nullable=True))
        batch.create_unique_constraint(op.f("uq_members_referral_code"), ["referral_code"])
        batch.create_index(op.f("ix_members_referrer_member_id"), ["referrer_member_id"])


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_index(op.f("ix_members_referrer_member_id"))
        batch.drop_constraint(op.f("uq_members_referral_code"), type_="unique")
        batch.drop_column("referrer_home_region")
        batch.drop_column("referrer_member_id")
        batch.drop_column("referral_code")
