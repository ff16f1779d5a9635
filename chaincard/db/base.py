"""Declarative bases with a naming convention, so Alembic produces stable constraint names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import MetaData, Table
from sqlalchemy.types import TIMESTAMP, TypeDecorator

from chaincard import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[object]) -> Table:
    """The Core table of a mapped class, for Core statements (declarative types ``__table__`` as any
    FromClause; a class mapped to a table has a Table)."""
    return cast(Table, getattr(model, "__table__"))  # noqa: B009 - not declared on ``object``


def utc_now() -> datetime:
    # Through the clock seam (chaincard.clock): the system clock, or the simulation's virtual one.
    return clock.current().now()


class UtcTimestamp(TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE that always hands back aware UTC datetimes (SQLite stores none)."""

    impl = TIMESTAMP(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
