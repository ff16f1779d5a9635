"""Region migration 0031 (member dates, greetings sent, count-use pack reminders) and HQ migration
0027 (staff e-mail, manager digests), docs/adr/0056: their tables match the models, and each goes
down cleanly to the revision before it."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from hq_service.models import Base as HqBase
from region_service.models import Base as RegionBase
from tests.support.migrations import columns_of, model_differences, table_names

REGION_TABLES = {"member_dates", "member_date_greetings", "count_use_pack_reminders"}
HQ_TABLES = {"manager_digests", "staff"}


def test_the_region_migration_matches_the_models_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("greetings_region_migration")
    upgrade_to_head("region_service", url)
    assert REGION_TABLES <= table_names(url)
    assert model_differences(url, RegionBase.metadata, REGION_TABLES) == []
    command.downgrade(alembic_config("region_service", url), "0030")
    assert not REGION_TABLES & table_names(url)


def test_the_hq_migration_matches_the_models_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("digest_hq_migration")
    upgrade_to_head("hq_service", url)
    assert "email" in columns_of(url, "staff")
    assert model_differences(url, HqBase.metadata, HQ_TABLES) == []
    command.downgrade(alembic_config("hq_service", url), "0026")
    assert "manager_digests" not in table_names(url) and "email" not in columns_of(url, "staff")
