"""HQ migration 0028 (company credit notes, ADR 0045): it matches its model and goes down cleanly."""

from __future__ import annotations

from alembic import command

import hq_service.company_models  # noqa: F401 - its tables belong to HQ's metadata
from chaincard.db.migrate import alembic_config, upgrade_to_head
from hq_service.models import Base as HqBase
from tests.support.migrations import model_differences, table_names

TABLES = {"company_credit_notes"}


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("company_credit_notes_migration")
    upgrade_to_head("hq_service", url)
    assert TABLES <= table_names(url)
    assert model_differences(url, HqBase.metadata, TABLES) == []
    command.downgrade(alembic_config("hq_service", url), "0025")
    assert not TABLES & table_names(url)
    assert "company_payments" in table_names(url)
