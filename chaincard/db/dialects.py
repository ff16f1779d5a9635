"""``INSERT … ON CONFLICT`` for the two engines ChainCard runs on: PostgreSQL (regions, HQ,
settlement) and SQLite (store agents). Each dialect has its own ``insert`` construct."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

INSERT_OF_DIALECT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def insert_for(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's ``insert``, which has ``on_conflict_do_nothing`` and ``on_conflict_do_update``."""
    return INSERT_OF_DIALECT[dialect_of(session)]
