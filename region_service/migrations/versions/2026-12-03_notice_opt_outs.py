"""notice opt-outs per channel (N5, docs/adr/0053)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A member's choice per channel, read when HQ asks for an address (GetContactForNotice).
    op.create_table(
        "notice_opt_outs",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.member_id"], name=op.f("fk_notice_opt_outs_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", "channel", name=op.f("pk_notice_opt_outs")),
    )


def downgrade() -> None:
    op.drop_table("notice_opt_outs")
