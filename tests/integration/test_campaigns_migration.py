"""HQ migration 0026 (campaigns, docs/adr/0055): it matches the models and goes down cleanly."""

from __future__ import annotations

from alembic import command

import hq_service.campaign_models  # noqa: F401 - its tables belong to HQ's metadata
from chaincard.db.migrate import alembic_config, upgrade_to_head
from hq_service.models import Base as HqBase
from tests.support.migrations import model_differences, table_names

TABLES = {"campaigns", "campaign_recipients"}


def test_0026_matches_the_models_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("campaigns_migration")
    upgrade_to_head("hq_service", url)
    assert TABLES <= table_names(url)
    assert model_differences(url, HqBase.metadata, TABLES) == []
    config = alembic_config("hq_service", url)
    command.downgrade(config, "0025")
    assert not TABLES & table_names(url)
    command.upgrade(config, "0026")
    assert TABLES <= table_names(url)
