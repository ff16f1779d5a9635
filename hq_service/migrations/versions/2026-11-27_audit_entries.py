"""the chain-wide audit log: audit_entries, append-only (H4, issue 7)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMP = sa.TIMESTAMP(timezone=True)

# Append-only is enforced by the database itself, so no code path (nor a hand-typed statement)
# can rewrite history: UPDATE, DELETE and TRUNCATE on audit_entries raise.
_POSTGRESQL_REFUSE_CHANGE = """
CREATE FUNCTION audit_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
_POSTGRESQL_TRIGGERS = (
    "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change()",
    "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse_change()",
)

_INDEXES = {
    "ix_audit_entries_newest": ["occurred_at", "entry_id"],
    "ix_audit_entries_target": ["target_type", "target_id", "occurred_at"],
    "ix_audit_entries_actor": ["actor", "occurred_at"],
    "ix_audit_entries_store": ["store_id", "occurred_at"],
    "ix_audit_entries_franchisee": ["franchisee_id", "occurred_at"],
    "ix_audit_entries_region": ["region_code", "occurred_at"],
}


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", _TIMESTAMP, nullable=False),
        sa.Column("recorded_at", _TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("operator_role", sa.String(length=40), nullable=False),
        sa.Column("operator_scope", sa.String(length=80), nullable=False),
        sa.Column("producer", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=128), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=256), nullable=False),
        sa.Column("before_json", sa.Text(), nullable=False),
        sa.Column("after_json", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_audit_entries")),
    )
    for name, columns in _INDEXES.items():
        op.create_index(name, "audit_entries", columns)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRESQL_REFUSE_CHANGE)
        for statement in _POSTGRESQL_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_refuse_change()")
    for name in _INDEXES:
        op.drop_index(name, table_name="audit_entries")
    op.drop_table("audit_entries")
