"""Region migration 0017 (bearer cards, ADR 0034): cards.member_id is nullable as the model says,
and it goes down cleanly to 0012 while no bearer card exists."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base
from tests.support.migrations import columns_of, model_differences


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("bearer_cards_migration")
    upgrade_to_head("region_service", url)
    assert columns_of(url, "cards")["member_id"]["nullable"]
    assert model_differences(url, Base.metadata, {"cards"}) == []
    command.downgrade(alembic_config("region_service", url), "0012")
    assert not columns_of(url, "cards")["member_id"]["nullable"]
