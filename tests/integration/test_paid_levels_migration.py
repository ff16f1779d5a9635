"""Region migration 0018 (paid levels, ADR 0027 "Paid levels"): cards.level_paid_until exists as the
model says, and the migration goes down to 0017 cleanly."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chaincard.db.engine import make_engine
from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base


def _card_columns(connection: Any) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("cards")}


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("paid_levels_migration")
    upgrade_to_head("region_service", url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert "level_paid_until" in _card_columns(connection)
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = [diff for diff in compare_metadata(context, Base.metadata)
                     if "level_paid_until" in repr(diff)]
            assert diffs == []
        command.downgrade(alembic_config("region_service", url), "0017")
        with engine.connect() as connection:
            assert "level_paid_until" not in _card_columns(connection)
    finally:
        engine.dispose()
