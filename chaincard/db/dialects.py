"""``INSERT … ON CONFLICT`` for the two engines ChainCard runs on: PostgreSQL (regions, HQ,
settlement) and SQLite (store agents). Each dialect has its own ``insert`` construct; this is the
one place that picks it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# Both have ``on_conflict_do_nothing`` and ``on_conflict_do_update`` (with ``excluded``).
ConflictInsert = postgresql.Insert | sqlite.Insert
InsertConstruct = Callable[[Any], ConflictInsert]

INSERT_OF_DIALECT: dict[str, InsertConstruct] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def insert_for(session: Session) -> InsertConstruct:
    """The ``insert`` of the session's engine, which has ``on_conflict_do_nothing`` and ``on_conflict_do_update``."""
    return INSERT_OF_DIALECT[dialect_of(session)]
