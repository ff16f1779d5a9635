"""the outbox notifies the relay: NOTIFY chaincard_outbox after each INSERT statement (docs/adr/0057)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-05 12:50:00.000000

The relay (chaincard.events.relay) LISTENs on the channel and waits for it instead of polling.
Statement level, so a multi-row insert notifies once; an empty payload, so PostgreSQL folds the
notifications of one transaction into one (it drops a duplicate of channel and payload). A rolled
back transaction sends none. The channel name is the relay's ``OUTBOX_CHANNEL``.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('chaincard_outbox', '');
    RETURN NULL;
END;
$fn$
"""

TRIGGER = """
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the relay polls elsewhere (SQLite has no NOTIFY)
        op.execute(FUNCTION)
        op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
        op.execute("DROP FUNCTION IF EXISTS outbox_notify()")
