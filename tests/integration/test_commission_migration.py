"""HQ migration 0019 (staff commission, ADR 0043): its tables and card_views' new columns match
the models, and it goes down cleanly to 0018."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from hq_service.models import Base
from tests.support.migrations import columns_of, model_differences, table_names

MINE = {"commission_entries", "commission_runs"}


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("commission_migration")
    upgrade_to_head("hq_service", url)
    assert MINE <= table_names(url)
    assert model_differences(url, Base.metadata, MINE | {"card_views"}) == []
    assert {"opened_operator_id", "opened_business_date"} <= set(columns_of(url, "card_views"))
    command.downgrade(alembic_config("hq_service", url), "0018")
    assert not MINE & table_names(url)
    assert not {"opened_operator_id", "opened_business_date"} & set(columns_of(url, "card_views"))
