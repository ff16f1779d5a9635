"""Region migration 0013 (count products, ADR 0030): its tables and columns match the models, and it
goes down cleanly to 0012."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base
from tests.support.migrations import columns_of, model_differences, table_names

MINE = {"count_time_periods", "count_time_uses", "count_use_packs"}


def test_the_migration_matches_the_models_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("count_products_migration")
    upgrade_to_head("region_service", url)
    assert MINE <= table_names(url)
    assert model_differences(url, Base.metadata, MINE) == []
    command.downgrade(alembic_config("region_service", url), "0012")
    assert not {"count_time_periods", "count_time_uses"} & table_names(url)
    assert not {"price_fen", "package_code"} & set(columns_of(url, "count_use_packs"))
