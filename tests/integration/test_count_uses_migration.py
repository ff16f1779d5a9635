"""Region migration 0012 (count-use packs, ADR 0029): its table matches the model, and it goes down
cleanly to 0011."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base
from tests.support.migrations import model_differences, table_names

MINE = {"count_use_packs"}


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("count_uses_migration")
    upgrade_to_head("region_service", url)
    assert MINE <= table_names(url)
    assert model_differences(url, Base.metadata, MINE) == []
    command.downgrade(alembic_config("region_service", url), "0011")
    assert not MINE & table_names(url)
