"""Region migration 0019 and store migration 0008 (level and type changes in the balance push,
docs/adr/0017 addendum): each schema matches its models, and each goes down cleanly."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base as RegionBase
from store_agent.models import Base as StoreBase
from tests.support.migrations import columns_of, model_differences


def test_the_region_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("balance_feed_levels_migration")
    upgrade_to_head("region_service", url)
    assert {"level_code", "card_type_code"} <= set(columns_of(url, "balance_feed"))
    assert model_differences(url, RegionBase.metadata, {"balance_feed"}) == []
    command.downgrade(alembic_config("region_service", url), "0017")
    assert not {"level_code", "card_type_code"} & set(columns_of(url, "balance_feed"))


def test_the_store_migration_matches_the_models_and_goes_down(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade_to_head("store_agent", url)
    assert model_differences(url, StoreBase.metadata) == []
    command.downgrade(alembic_config("store_agent", url), "0007")
    assert "level_as_of" not in columns_of(url, "cached_cards")
