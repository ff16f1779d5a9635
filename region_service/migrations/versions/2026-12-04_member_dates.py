"""member dates, greetings sent, count-use pack reminders (N2, M6, docs/adr/0056)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A member's other dates: personal data, kept only at the home region.
    op.create_table(
        "member_dates",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.CheckConstraint("month BETWEEN 1 AND 12 AND day BETWEEN 1 AND 31", name=op.f("ck_member_dates_real_month_day")),
        sa.ForeignKeyConstraint(["member_id"], ["members.member_id"], name=op.f("fk_member_dates_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", "kind", "label", name=op.f("pk_member_dates")),
    )
    op.create_index("ix_member_dates_month_day", "member_dates", ["month", "day"])
    # Greetings sent: the key refuses a second one for the same member, date and year.
    op.create_table(
        "member_date_greetings",
        sa.Column("greeting_key", sa.String(length=200), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("greeting_key", name=op.f("pk_member_date_greetings")),
    )
    op.create_index(op.f("ix_member_date_greetings_member_id"), "member_date_greetings", ["member_id"])
    # Count-use packs reminded of their expiry: one row per pack.
    op.create_table(
        "count_use_pack_reminders",
        sa.Column("pack_id", sa.String(length=36), nullable=False),
        sa.Column("uses_left", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pack_id"], ["count_use_packs.pack_id"],
                                name=op.f("fk_count_use_pack_reminders_pack_id_count_use_packs")),
        sa.PrimaryKeyConstraint("pack_id", name=op.f("pk_count_use_pack_reminders")),
    )


def downgrade() -> None:
    op.drop_table("count_use_pack_reminders")
    op.drop_index(op.f("ix_member_date_greetings_member_id"), table_name="member_date_greetings")
    op.drop_table("member_date_greetings")
    op.drop_index("ix_member_dates_month_day", table_name="member_dates")
    op.drop_table("member_dates")
