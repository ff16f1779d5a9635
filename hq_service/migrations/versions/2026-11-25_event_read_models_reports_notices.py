"""read models for member 360, chain-wide history and reports; transaction notices

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMP = sa.TIMESTAMP(timezone=True)


def upgrade() -> None:
    # Columns added to tables that may hold rows get a server default, so existing rows are valid.
    with op.batch_alter_table("member_views") as table:
        table.add_column(sa.Column("home_region", sa.String(length=8), nullable=False, server_default=""))
        table.add_column(sa.Column("registered_store_id", sa.String(length=32), nullable=False, server_default=""))
        table.add_column(sa.Column("registered_business_date", sa.Date(), nullable=True))
        table.add_column(sa.Column("updated_at", _TIMESTAMP, nullable=True))
    op.create_index(op.f("ix_member_views_registered_business_date"), "member_views", ["registered_business_date"])

    with op.batch_alter_table("card_views") as table:
        table.add_column(sa.Column("issuing_store_id", sa.String(length=32), nullable=False, server_default=""))
        table.add_column(sa.Column("level_code", sa.String(length=32), nullable=False, server_default=""))
        table.add_column(sa.Column("form", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("opened_at", _TIMESTAMP, nullable=True))
        table.add_column(sa.Column("transaction_count", sa.BigInteger(), nullable=False, server_default="0"))
        table.add_column(sa.Column("updated_at", _TIMESTAMP, nullable=True))
    op.create_index(op.f("ix_card_views_issuing_store_id"), "card_views", ["issuing_store_id"])

    with op.batch_alter_table("transaction_views") as table:
        table.add_column(sa.Column("transaction_type", sa.String(length=32), nullable=False, server_default=""))
        table.add_column(sa.Column("home_region", sa.String(length=8), nullable=False, server_default=""))
        table.add_column(sa.Column("issuing_franchisee_id", sa.String(length=32), nullable=False, server_default=""))
        table.add_column(sa.Column("acquiring_franchisee_id", sa.String(length=32), nullable=False, server_default=""))
        for column in ("amount_fen", "principal_after_fen", "bonus_after_fen", "points_after"):
            table.add_column(sa.Column(column, sa.BigInteger(), nullable=False, server_default="0"))
        table.add_column(sa.Column("tenders", sa.JSON(), nullable=False, server_default="[]"))
        table.add_column(sa.Column("event_id", sa.String(length=36), nullable=False, server_default=""))
        table.add_column(sa.Column("applied_at", _TIMESTAMP, nullable=True))
        table.add_column(sa.Column("applied_sequence", sa.BigInteger(), sa.Identity(), nullable=False))
        table.create_unique_constraint(op.f("uq_transaction_views_applied_sequence"), ["applied_sequence"])
    op.create_index("ix_transaction_views_card_business_date", "transaction_views", ["card_number", "business_date"])

    figures = [
        "sales_count", "sales_gross_fen", "discount_fen", "points_deduction_fen", "sales_net_fen",
        "stored_value_principal_spent_fen", "stored_value_bonus_spent_fen", "recharge_count", "recharge_fen",
        "recharge_bonus_fen", "refund_count", "refund_fen", "void_count", "void_fen", "points_earned",
        "points_redeemed", "count_uses_consumed", "new_members", "new_cards", "overdrawn_count",
    ]
    op.create_table(
        "store_daily_figures",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in figures],
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("business_date", "store_id", name=op.f("pk_store_daily_figures")),
    )
    op.create_table(
        "store_daily_tenders",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("tender_type", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("payment_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("business_date", "store_id", "tender_type", name=op.f("pk_store_daily_tenders")),
    )
    op.create_table(
        "member_daily_figures",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("spend_fen", sa.BigInteger(), nullable=False),
        sa.Column("recharge_fen", sa.BigInteger(), nullable=False),
        sa.Column("visit_count", sa.BigInteger(), nullable=False),
        sa.Column("points_earned", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("business_date", "member_id", "store_id", name=op.f("pk_member_daily_figures")),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "notices",
        sa.Column("notice_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("notification_event", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=False),
        sa.Column("template_body", sa.Text(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("send_after", _TIMESTAMP, nullable=False),
        sa.Column("sent_at", _TIMESTAMP, nullable=True),
        sa.Column("rendered", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_notices")),
    )
    op.create_index(op.f("ix_notices_event_id"), "notices", ["event_id"])
    op.create_index(op.f("ix_notices_member_id"), "notices", ["member_id"])
    op.create_index("ix_notices_status_send_after", "notices", ["status", "send_after"])


def downgrade() -> None:
    op.drop_table("notices")
    op.drop_table("notification_preferences")
    op.drop_table("member_daily_figures")
    op.drop_table("store_daily_tenders")
    op.drop_table("store_daily_figures")
    op.drop_index("ix_transaction_views_card_business_date", table_name="transaction_views")
    with op.batch_alter_table("transaction_views") as table:
        table.drop_constraint(op.f("uq_transaction_views_applied_sequence"), type_="unique")
        for column in ("applied_sequence", "applied_at", "event_id", "points_after", "bonus_after_fen", "principal_after_fen",
                       "amount_fen", "acquiring_franchisee_id", "issuing_franchisee_id", "home_region", "transaction_type",
                       "tenders"):
            table.drop_column(column)
    op.drop_index(op.f("ix_card_views_issuing_store_id"), table_name="card_views")
    with op.batch_alter_table("card_views") as table:
        for column in ("updated_at", "transaction_count", "opened_at", "form", "level_code", "issuing_store_id"):
            table.drop_column(column)
    op.drop_index(op.f("ix_member_views_registered_business_date"), table_name="member_views")
    with op.batch_alter_table("member_views") as table:
        for column in ("updated_at", "registered_business_date", "registered_store_id", "home_region"):
            table.drop_column(column)
