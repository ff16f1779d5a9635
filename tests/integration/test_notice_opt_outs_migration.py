"""Region migration 0030 (notice opt-outs per channel, docs/adr/0053) matches the model and goes down cleanly."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base
from tests.support.migrations import columns_of, model_differences, table_names


def test_the_migration_matches_the_model_and_goes_down_to_0029(fresh_database):
    url = fresh_database("postgresql")
    upgrade_to_head("region_service", url)
    assert set(columns_of(url, "notice_opt_outs")) == {"member_id", "channel", "opted_out", "updated_at"}
    assert model_differences(url, Base.metadata, {"notice_opt_outs"}) == []
    command.downgrade(alembic_config("region_service", url), "0029")
    assert "notice_opt_outs" not in table_names(url)
    upgrade_to_head("region_service", url)
    assert model_differences(url, Base.metadata, {"notice_opt_outs"}) == []
