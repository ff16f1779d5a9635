"""How many PostgreSQL connections an engine keeps idle and how many it may open (no server needed:
an engine connects on first use)."""

from __future__ import annotations

import pytest
from sqlalchemy.pool import QueuePool

from chaincard.db.engine import IDLE_CONNECTIONS_VARIABLE, make_engine

URL = "postgresql+psycopg2://nobody@127.0.0.1:1/nothing"


def _pool(pool_size: int = 10) -> QueuePool:
    pool = make_engine(URL, pool_size=pool_size).pool
    assert isinstance(pool, QueuePool)
    return pool


def test_by_default_an_engine_keeps_its_pool_size_and_opens_as_many_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(IDLE_CONNECTIONS_VARIABLE, raising=False)
    pool = _pool()
    assert (pool.size(), pool._max_overflow) == (10, 10)


@pytest.mark.parametrize(("setting", "kept"), [("2", 2), ("25", 10), ("0", 1), ("", 10)])
def test_the_setting_lowers_the_idle_connections_only_never_the_capacity(
        monkeypatch: pytest.MonkeyPatch, setting: str, kept: int) -> None:
    monkeypatch.setenv(IDLE_CONNECTIONS_VARIABLE, setting)
    pool = _pool()
    assert (pool.size(), pool.size() + pool._max_overflow) == (kept, 20)
