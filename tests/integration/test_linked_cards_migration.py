"""Region migration 0015 (linked cards, ADR 0032): its tables match the models, and it goes down
cleanly to 0012."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chaincard.db.engine import make_engine
from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base

MINE = {"card_links", "card_link_usage"}


def _concerns(diff: Any) -> bool:
    for entry in diff if isinstance(diff, list) else [diff]:
        for item in entry:
            name = item if isinstance(item, str) else getattr(item, "name", None) or getattr(getattr(item, "table", None), "name", None)
            if name in MINE:
                return True
    return False


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("linked_cards_migration")
    upgrade_to_head("region_service", url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert MINE <= set(inspect(connection).get_table_names())
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert [diff for diff in compare_metadata(context, Base.metadata) if _concerns(diff)] == []
        command.downgrade(alembic_config("region_service", url), "0012")
        with engine.connect() as connection:
            assert not MINE & set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
