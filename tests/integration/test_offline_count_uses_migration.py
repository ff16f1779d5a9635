"""Store migration 0009 (count-card uses and time passes at an offline store, docs/adr/0036): the
schema matches the models, and it goes down cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from chaincard.db.migrate import alembic_config, upgrade_to_head
from store_agent.models import Base as StoreBase
from tests.support.migrations import columns_of, model_differences


def test_the_store_migration_matches_the_models_and_goes_down(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade_to_head("store_agent", url)
    assert {"count_items_as_of", "count_items_day"} <= set(columns_of(url, "cached_cards"))
    assert "count_use_shortfall" in columns_of(url, "offline_advices")
    assert model_differences(url, StoreBase.metadata) == []
    command.downgrade(alembic_config("store_agent", url), "0008")
    assert not {"count_items_as_of", "count_items_day"} & set(columns_of(url, "cached_cards"))
    assert "count_use_shortfall" not in columns_of(url, "offline_advices")
    assert not {"cached_count_items", "cached_count_packs", "offline_count_uses"} & set(tables_of(url))


def tables_of(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(inspect(connection).get_table_names())
    finally:
        engine.dispose()
