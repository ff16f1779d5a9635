"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:59:41.824397
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
        "card_types",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("definition", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_card_types")),
    )
    op.create_table(
        "card_views",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("card_type_code", sa.String(length=32), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("home_region", sa.String(length=8), nullable=False),
        sa.Column("issuing_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("bonus_fen", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("last_transaction_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("card_number", name=op.f("pk_card_views")),
    )
    op.create_index(op.f("ix_card_views_member_id"), "card_views", ["member_id"], unique=False)
    op.create_table(
        "config_version",
        sa.Column("singleton", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("singleton", name=op.f("pk_config_version")),
    )
    op.create_table(
        "franchisees",
        sa.Column("franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("company_owned", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("franchisee_id", name=op.f("pk_franchisees")),
    )
    op.create_table(
        "levels",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("definition", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_levels")),
    )
    op.create_table(
        "member_views",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("phone_hmac", sa.String(length=64), nullable=False),
        sa.Column("member", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_views")),
    )
    op.create_index(op.f("ix_member_views_phone_hmac"), "member_views", ["phone_hmac"], unique=False)
    op.create_table(
        "phone_claims",
        sa.Column("phone_hmac", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("home_region", sa.String(length=8), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_hmac", name=op.f("pk_phone_claims")),
        sa.UniqueConstraint("member_id", name=op.f("uq_phone_claims_member_id")),
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("applied_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("card_prefix", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("endpoint", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
        sa.UniqueConstraint("card_prefix", name=op.f("uq_regions_card_prefix")),
    )
    op.create_table(
        "stores",
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_stores")),
    )
    op.create_index(op.f("ix_stores_franchisee_id"), "stores", ["franchisee_id"], unique=False)
    op.create_index(op.f("ix_stores_region_code"), "stores", ["region_code"], unique=False)
    op.create_table(
        "transaction_views",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("occurred_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("transaction", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_transaction_views")),
    )
    op.create_index(
        op.f("ix_transaction_views_business_date"), "transaction_views", ["business_date"], unique=False
    )
    op.create_index(
        "ix_transaction_views_card_occurred",
        "transaction_views",
        ["card_number", "occurred_at"],
        unique=False,
    )
    op.create_index(op.f("ix_transaction_views_member_id"), "transaction_views", ["member_id"], unique=False)
    op.create_index(op.f("ix_transaction_views_store_id"), "transaction_views", ["store_id"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_transaction_views_store_id"), table_name="transaction_views")
    op.drop_index(op.f("ix_transaction_views_member_id"), table_name="transaction_views")
    op.drop_index("ix_transaction_views_card_occurred", table_name="transaction_views")
    op.drop_index(op.f("ix_transaction_views_business_date"), table_name="transaction_views")
    op.drop_table("transaction_views")
    op.drop_index(op.f("ix_stores_region_code"), table_name="stores")
    op.drop_index(op.f("ix_stores_franchisee_id"), table_name="stores")
    op.drop_table("stores")
    op.drop_table("regions")
    op.drop_table("processed_events")
    op.drop_table("phone_claims")
    op.drop_index(op.f("ix_member_views_phone_hmac"), table_name="member_views")
    op.drop_table("member_views")
    op.drop_table("levels")
    op.drop_table("franchisees")
    op.drop_table("config_version")
    op.drop_index(op.f("ix_card_views_member_id"), table_name="card_views")
    op.drop_table("card_views")
    op.drop_table("card_types")
