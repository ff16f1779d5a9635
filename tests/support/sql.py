"""Plain SQL against a service's database, for tests that check what was (or was not) written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text


def rows(database_url: str, sql: str, **params: Any) -> list[Any]:
    """Every row of one query, on a connection of its own."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())
    finally:
        engine.dispose()


def scalar(database_url: str, sql: str, **params: Any) -> Any:
    return rows(database_url, sql, **params)[0][0]


def execute(database_url: str, sql: str, **params: Any) -> None:
    """One statement in a transaction of its own (e.g. to age a card for a test)."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql), params)
    finally:
        engine.dispose()
