"""what a card owes is a ledger account on the card (issue 21): a card's RECEIVABLE accounts run at
or below zero (credit-normal: the holder owes the chain), never above

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_check_constraint(
        op.f("ck_ledger_accounts_receivable_not_positive"), "ledger_accounts", "purpose <> 'RECEIVABLE' OR balance <= 0",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_ledger_accounts_receivable_not_positive"), "ledger_accounts", type_="check")
