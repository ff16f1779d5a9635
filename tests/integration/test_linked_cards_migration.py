"""Region migration 0015 (linked cards, ADR 0032): its tables match the models, and it goes down
cleanly to 0012."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base
from tests.support.migrations import model_differences, table_names

MINE = {"card_links", "card_link_usage"}


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("linked_cards_migration")
    upgrade_to_head("region_service", url)
    assert MINE <= table_names(url)
    assert model_differences(url, Base.metadata, MINE) == []
    command.downgrade(alembic_config("region_service", url), "0012")
    assert not MINE & table_names(url)
