"""Region migration 0014 (count-use pack value) and settlement migration 0005 (clearing count uses),
docs/adr/0031: each matches its models, and each goes down cleanly."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chaincard.db.engine import make_engine
from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base as RegionBase
from settlement.models import Base as SettlementBase


def _concerning(diffs: list[Any], tables: set[str]) -> list[Any]:
    def concerns(diff: Any) -> bool:
        for entry in diff if isinstance(diff, list) else [diff]:
            for item in entry:
                name = item if isinstance(item, str) else (getattr(item, "name", None)
                                                           or getattr(getattr(item, "table", None), "name", None))
                if name in tables:
                    return True
        return False
    return [diff for diff in diffs if concerns(diff)]


def test_the_region_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("count_use_value_migration")
    upgrade_to_head("region_service", url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert _concerning(compare_metadata(context, RegionBase.metadata), {"count_use_packs"}) == []
        command.downgrade(alembic_config("region_service", url), "0012")
        with engine.connect() as connection:
            columns = {column["name"] for column in inspect(connection).get_columns("count_use_packs")}
            assert not {"price_fen", "value_left_fen"} & columns
    finally:
        engine.dispose()


def test_the_settlement_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("clearing_count_uses_migration")
    upgrade_to_head("settlement", url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert "clearing_count_uses" in inspect(connection).get_table_names()
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert _concerning(compare_metadata(context, SettlementBase.metadata), {"clearing_count_uses"}) == []
        command.downgrade(alembic_config("settlement", url), "0004")
        with engine.connect() as connection:
            assert "clearing_count_uses" not in inspect(connection).get_table_names()
    finally:
        engine.dispose()
