"""What a migration test asks of a database: the differences between its migrated schema and the
service's models (as Alembic's autogenerate sees them), and its tables and columns."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from chaincard.db.engine import make_engine


def _table_names_in(difference: Any) -> set[str]:
    """The tables one autogenerate difference is about (a tuple, or a list of tuples for columns)."""
    names: set[str] = set()
    for entry in difference if isinstance(difference, list) else [difference]:
        for item in entry:
            if isinstance(item, str):
                names.add(item)
            else:
                name = getattr(item, "name", None) or getattr(getattr(item, "table", None), "name", None)
                if name:
                    names.add(name)
    return names


def model_differences(url: str, metadata: MetaData, tables: Collection[str] | None = None) -> list[Any]:
    """What autogenerate would change to make the schema at ``url`` match ``metadata`` — only the
    differences about ``tables`` when given (a migration test checks the tables it owns)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    if tables is None:
        return list(differences)
    return [difference for difference in differences if _table_names_in(difference) & set(tables)]


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def columns_of(url: str, table: str) -> dict[str, dict[str, Any]]:
    """The table's columns by name, each as SQLAlchemy's inspector describes it (type, nullable…)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {column["name"]: dict(column) for column in inspect(connection).get_columns(table)}
    finally:
        engine.dispose()
