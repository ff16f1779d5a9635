"""HQ migration 0029 (partial credit notes, ADR 0045 fifth change): a line may carry several credit
notes; it matches its model, and goes down to one-per-line again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

import hq_service.company_models  # noqa: F401 - its tables belong to HQ's metadata
from chaincard.db.engine import make_engine
from chaincard.db.migrate import alembic_config, upgrade_to_head
from hq_service.models import Base as HqBase
from tests.support.migrations import columns_of, model_differences

TABLE = "company_credit_notes"


def _line_indexes(url: str) -> dict[str, bool]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {index["name"]: bool(index["unique"]) for index in inspect(connection).get_indexes(TABLE)
                    if index["column_names"] == ["job_id", "line_index"]}
    finally:
        engine.dispose()


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("company_partial_credits_migration")
    upgrade_to_head("hq_service", url)
    assert model_differences(url, HqBase.metadata, {TABLE}) == []
    assert _line_indexes(url) == {"ix_company_credit_notes_line": False}
    assert "asked_fen" in columns_of(url, TABLE)
    command.downgrade(alembic_config("hq_service", url), "0028")
    assert _line_indexes(url) == {"ux_company_credit_notes_line": True}
    assert "asked_fen" not in columns_of(url, TABLE)
