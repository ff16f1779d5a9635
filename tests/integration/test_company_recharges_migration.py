"""HQ migration 0021 (companies' bulk recharges and cards, ADR 0045): its tables match the models,
and it goes down cleanly to 0020, leaving the companies themselves."""

from __future__ import annotations

from alembic import command

import hq_service.company_models  # noqa: F401 - its tables belong to HQ's metadata
from chaincard.db.migrate import alembic_config, upgrade_to_head
from hq_service.models import Base
from tests.support.migrations import model_differences, table_names

MINE = {"company_recharge_jobs", "company_recharge_lines", "company_recharge_regions", "company_cards"}


def test_the_migration_matches_the_models_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("company_recharges_migration")
    upgrade_to_head("hq_service", url)
    assert MINE <= table_names(url)
    assert model_differences(url, Base.metadata, MINE) == []
    command.downgrade(alembic_config("hq_service", url), "0020")
    assert not MINE & table_names(url)
    assert "companies" in table_names(url)
