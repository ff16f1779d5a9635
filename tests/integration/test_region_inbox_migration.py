"""Region migration 0027 (the region's inbox, docs/adr/0044) matches the model and goes down cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from chaincard.db.engine import make_engine
from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base
from tests.support.migrations import columns_of, model_differences


def test_the_migration_matches_the_model_and_goes_down_to_0025(fresh_database):
    url = fresh_database("postgresql")
    upgrade_to_head("region_service", url)
    assert set(columns_of(url, "processed_events")) == {"consumer", "event_id", "applied_at"}
    assert model_differences(url, Base.metadata, {"processed_events"}) == []
    command.downgrade(alembic_config("region_service", url), "0025")
    assert not _has_table(url, "processed_events")
    upgrade_to_head("region_service", url)
    assert model_differences(url, Base.metadata, {"processed_events"}) == []


def _has_table(url: str, table: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).has_table(table)
    finally:
        engine.dispose()
