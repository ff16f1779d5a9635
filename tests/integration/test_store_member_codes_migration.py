"""Store migration 0007 (offline QR member codes, docs/adr/0026): the schema matches the store
agent's models, and it goes down cleanly to 0006."""

from __future__ import annotations

from alembic import command

from chaincard.db.migrate import alembic_config, upgrade_to_head
from store_agent.models import Base
from tests.support.migrations import columns_of, model_differences, table_names


def test_the_migration_matches_the_models_and_goes_down(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade_to_head("store_agent", url)
    assert model_differences(url, Base.metadata) == []
    command.downgrade(alembic_config("store_agent", url), "0006")
    assert "offline_member_code_uses" not in table_names(url)
    assert not {"member_code_key", "member_id"} & set(columns_of(url, "cached_cards"))
