"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:59:41.316962
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("card_serial_seq", start=1)))

    op.create_table(
        "idempotency_keys",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("asset", sa.String(length=64), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("debits_posted", sa.BigInteger(), nullable=False),
        sa.Column("credits_posted", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "purpose <> 'CARD' OR balance >= 0", name=op.f("ck_ledger_accounts_card_balance_not_negative")
        ),
        sa.CheckConstraint(
            "balance = credits_posted - debits_posted", name=op.f("ck_ledger_accounts_balance_matches_totals")
        ),
        sa.CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0", name=op.f("ck_ledger_accounts_totals_not_negative")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("card_number", "franchisee_id", "purpose", "asset", name="holder_purpose_asset"),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("acquiring_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("principal_delta_fen", sa.BigInteger(), nullable=False),
        sa.Column("bonus_delta_fen", sa.BigInteger(), nullable=False),
        sa.Column("points_delta", sa.BigInteger(), nullable=False),
        sa.Column("principal_after_fen", sa.BigInteger(), nullable=False),
        sa.Column("bonus_after_fen", sa.BigInteger(), nullable=False),
        sa.Column("points_after", sa.BigInteger(), nullable=False),
        sa.Column("original_transaction_id", sa.String(length=36), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("request_id", name=op.f("uq_ledger_transactions_request_id")),
    )
    op.create_index(
        "ix_ledger_transactions_card_created",
        "ledger_transactions",
        ["card_number", "created_at"],
        unique=False,
    )
    op.create_table(
        "members",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("phone_hmac", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("registered_store_id", sa.String(length=32), nullable=False),
        sa.Column("registered_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_members")),
        sa.UniqueConstraint("phone_hmac", name=op.f("uq_members_phone_hmac")),
    )
    op.create_table(
        "outbox",
        sa.Column("position", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("published_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(op.f("ix_outbox_published_at"), "outbox", ["published_at"], unique=False)
    op.create_table(
        "receipts",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("lines", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_receipts")),
    )
    op.create_table(
        "cards",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("card_type_code", sa.String(length=32), nullable=False),
        sa.Column("form", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("level_code", sa.String(length=32), nullable=False),
        sa.Column("issuing_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("issuing_store_id", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("expires_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("pin_hash", sa.String(length=255), nullable=True),
        sa.Column("failed_pin_attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.member_id"], name=op.f("fk_cards_member_id_members")
        ),
        sa.PrimaryKeyConstraint("card_number", name=op.f("pk_cards")),
    )
    op.create_index(op.f("ix_cards_member_id"), "cards", ["member_id"], unique=False)
    op.create_table(
        "postings",
        sa.Column("posting_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("asset", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_postings_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.account_id"],
            name=op.f("fk_postings_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.transaction_id"],
            name=op.f("fk_postings_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("posting_id", name=op.f("pk_postings")),
    )
    op.create_index(op.f("ix_postings_account_id"), "postings", ["account_id"], unique=False)
    op.create_index(op.f("ix_postings_transaction_id"), "postings", ["transaction_id"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_postings_transaction_id"), table_name="postings")
    op.drop_index(op.f("ix_postings_account_id"), table_name="postings")
    op.drop_table("postings")
    op.drop_index(op.f("ix_cards_member_id"), table_name="cards")
    op.drop_table("cards")
    op.drop_table("receipts")
    op.drop_index(op.f("ix_outbox_published_at"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("members")
    op.drop_index("ix_ledger_transactions_card_created", table_name="ledger_transactions")
    op.drop_table("ledger_transactions")
    op.drop_table("ledger_accounts")
    op.drop_table("idempotency_keys")
    op.execute(sa.schema.DropSequence(sa.Sequence("card_serial_seq")))
