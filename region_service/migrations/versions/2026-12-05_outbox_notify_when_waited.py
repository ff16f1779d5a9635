"""the outbox notifies only while a relay waits for it (docs/adr/0057)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05 16:40:00.000000

NOTIFY is not free: at commit PostgreSQL serialises every transaction that sent one behind one lock
(held through the commit's WAL flush), so 0032's notify-on-every-insert cut checkouts from 196/s to
116/s at 16 clients. A waiting relay holds the advisory lock ``OUTBOX_WAITING_KEY`` exclusively
(chaincard.events.relay); a writer tries to take it shared: failing means a relay waits, so it
notifies; succeeding means none does, and the writer holds it (shared, until its commit) so a relay
about to wait first waits for the writer's commit and then sees its row. The key is the relay's
``relay_waiting_key(OutboxMessage)``, written out here as migrations never import code that changes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOX_WAITING_KEY = 2275188196

FUNCTION = f"""
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NOT pg_try_advisory_xact_lock_shared({OUTBOX_WAITING_KEY}::bigint) THEN
        PERFORM pg_notify('chaincard_outbox', '');
    END IF;
    RETURN NULL;
END;
$fn$
"""

FUNCTION_0032 = """
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('chaincard_outbox', '');
    RETURN NULL;
END;
$fn$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION_0032)
