"""Region migration 0010 (QR member codes used, docs/adr/0026) matches the model and goes down cleanly."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base
from tests.support.migrations import model_differences, table_names


def test_the_migration_matches_the_model_and_goes_down_to_0009(fresh_database):
    url = fresh_database("postgresql")
    upgrade_to_head("region_service", url)
    assert "used_member_codes" in table_names(url)
    assert model_differences(url, Base.metadata, {"used_member_codes"}) == []
    command.downgrade(alembic_config("region_service", url), "0009")
    assert "used_member_codes" not in table_names(url)
    upgrade_to_head("region_service", url)
