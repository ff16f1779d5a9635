"""Store migration 0007 (offline QR member codes, docs/adr/0026): the schema matches the store
agent's models, and it goes down cleanly to 0006."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chaincard.db.engine import make_engine
from chaincard.db.migrate import alembic_config, upgrade_to_head
from store_agent.models import Base


def test_the_migration_matches_the_models_and_goes_down(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade_to_head("store_agent", url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        command.downgrade(alembic_config("store_agent", url), "0006")
        with engine.connect() as connection:
            inspector = inspect(connection)
            assert "offline_member_code_uses" not in inspector.get_table_names()
            assert not {"member_code_key", "member_id"} & {column["name"] for column in inspector.get_columns("cached_cards")}
    finally:
        engine.dispose()
