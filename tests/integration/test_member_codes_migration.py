"""Region migration 0010 (QR member codes used, docs/adr/0026) matches the model and goes down cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chaincard.db.engine import make_engine
from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base


def _about_used_codes(diff: object) -> bool:
    return "used_member_codes" in repr(diff)


def test_the_migration_matches_the_model_and_goes_down_to_0009(fresh_database):
    url = fresh_database("postgresql")
    upgrade_to_head("region_service", url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert "used_member_codes" in inspect(connection).get_table_names()
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert [diff for diff in compare_metadata(context, Base.metadata) if _about_used_codes(diff)] == []
        command.downgrade(alembic_config("region_service", url), "0009")
        with engine.connect() as connection:
            assert "used_member_codes" not in inspect(connection).get_table_names()
        upgrade_to_head("region_service", url)
    finally:
        engine.dispose()
