"""Region migration 0025 (referrals, docs/adr/0044) matches the model and goes down cleanly."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from region_service.models import Base
from tests.support.migrations import columns_of, model_differences


def test_the_migration_matches_the_model_and_goes_down_to_0019(fresh_database):
    url = fresh_database("postgresql")
    upgrade_to_head("region_service", url)
    assert {"referral_code", "referrer_member_id", "referrer_home_region"} <= set(columns_of(url, "members"))
    assert model_differences(url, Base.metadata, {"members"}) == []
    command.downgrade(alembic_config("region_service", url), "0019")
    assert "referral_code" not in columns_of(url, "members")
    upgrade_to_head("region_service", url)
