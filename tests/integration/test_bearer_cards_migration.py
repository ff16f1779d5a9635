"""Region migration 0017 (bearer cards, ADR 0034): cards.member_id is nullable as the model says,
and it goes down cleanly to 0012 while no bearer card exists."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chaincard.db.engine import make_engine
from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base


def _member_id_nullable(connection: Any) -> bool:
    return next(column["nullable"] for column in inspect(connection).get_columns("cards") if column["name"] == "member_id")


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("bearer_cards_migration")
    upgrade_to_head("region_service", url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert _member_id_nullable(connection)
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            cards_diffs = [diff for diff in compare_metadata(context, Base.metadata)
                           if isinstance(diff, list) and any(len(item) > 2 and item[2] == "cards" for item in diff)]
            assert cards_diffs == []
        command.downgrade(alembic_config("region_service", url), "0012")
        with engine.connect() as connection:
            assert not _member_id_nullable(connection)
    finally:
        engine.dispose()
