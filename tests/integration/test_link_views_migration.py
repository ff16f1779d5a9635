"""HQ migration 0018 (linked cards in the member view, ADR 0037): its tables match the models, and it
goes down cleanly to 0015."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from hq_service.models import Base
from tests.support.migrations import model_differences, table_names

MINE = {"card_link_views", "card_link_usage_views"}


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("link_views_migration")
    upgrade_to_head("hq_service", url)
    assert MINE <= table_names(url)
    assert model_differences(url, Base.metadata, MINE) == []
    command.downgrade(alembic_config("hq_service", url), "0015")
    assert not MINE & table_names(url)
