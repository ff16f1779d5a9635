"""Region migration 0014 (count-use pack value) and settlement migration 0005 (clearing count uses),
docs/adr/0031: each matches its models, and each goes down cleanly."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base as RegionBase
from settlement.models import Base as SettlementBase
from tests.support.migrations import columns_of, model_differences, table_names


def test_the_region_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("count_use_value_migration")
    upgrade_to_head("region_service", url)
    assert model_differences(url, RegionBase.metadata, {"count_use_packs"}) == []
    command.downgrade(alembic_config("region_service", url), "0012")
    assert not {"price_fen", "value_left_fen"} & set(columns_of(url, "count_use_packs"))


def test_the_settlement_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("clearing_count_uses_migration")
    upgrade_to_head("settlement", url)
    assert "clearing_count_uses" in table_names(url)
    assert model_differences(url, SettlementBase.metadata, {"clearing_count_uses"}) == []
    command.downgrade(alembic_config("settlement", url), "0004")
    assert "clearing_count_uses" not in table_names(url)
