"""HQ migration 0023 (company payments and their parts per region) and settlement migration 0006
(clearing company receivables), ADR 0045: each matches its models, and each goes down cleanly."""

from __future__ import annotations

from alembic import command

import hq_service.company_models  # noqa: F401 - its tables belong to HQ's metadata
from chaincard.db.migrate import alembic_config, upgrade_to_head
from hq_service.models import Base as HqBase
from settlement.models import Base as SettlementBase
from tests.support.migrations import model_differences, table_names

HQ_TABLES = {"company_payments", "company_payment_parts"}


def test_the_hq_migration_matches_the_models_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("company_payments_migration")
    upgrade_to_head("hq_service", url)
    assert HQ_TABLES <= table_names(url)
    assert model_differences(url, HqBase.metadata, HQ_TABLES) == []
    command.downgrade(alembic_config("hq_service", url), "0021")
    assert not HQ_TABLES & table_names(url)
    assert "company_recharge_jobs" in table_names(url)


def test_the_settlement_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("clearing_company_receivables_migration")
    upgrade_to_head("settlement", url)
    assert model_differences(url, SettlementBase.metadata, {"clearing_company_receivables"}) == []
    command.downgrade(alembic_config("settlement", url), "0005")
    assert "clearing_company_receivables" not in table_names(url)
    assert "clearing_count_uses" in table_names(url)
