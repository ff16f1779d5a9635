"""HQ migration 0020 (company accounts, ADR 0045): its table matches the model, and it goes down
cleanly to 0019."""

from __future__ import annotations

from alembic import command

import hq_service.company_models  # noqa: F401 - its table belongs to HQ's metadata
from chaincard.db.migrate import alembic_config, upgrade_to_head
from hq_service.models import Base
from tests.support.migrations import model_differences, table_names

MINE = {"companies"}


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("companies_migration")
    upgrade_to_head("hq_service", url)
    assert MINE <= table_names(url)
    assert model_differences(url, Base.metadata, MINE) == []
    command.downgrade(alembic_config("hq_service", url), "0019")
    assert not MINE & table_names(url)
