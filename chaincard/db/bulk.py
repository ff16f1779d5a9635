"""Many rows into one table, fast, in the caller's transaction (PostgreSQL only).

An import chunk writes thousands of rows per table. SQLAlchemy's executemany (insertmanyvalues)
runs every value through its bind processing and builds each batch's parameters in Python; that was
most of a region's CPU for a chunk. Here the rows go straight to psycopg2's ``execute_values`` (one
``INSERT … VALUES`` per ``page_size`` rows, values quoted in C), JSON columns serialised as the
ORM's JSON type would (``json.dumps``) and timestamps passed as the aware datetimes they are."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from psycopg2.extras import execute_values
from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session

PAGE_SIZE = 1000


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys, named as ``table``'s columns) into ``table``.
    Columns left out take their server defaults; Python-side column defaults are not applied."""
    if not rows:
        return
    columns = list(rows[0])
    as_json = [isinstance(table.c[column].type, JSON) for column in columns]
    values = [tuple(json.dumps(row[column]) if encode and row[column] is not None else row[column]
                    for column, encode in zip(columns, as_json, strict=True)) for row in rows]
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        execute_values(cursor, f'INSERT INTO {table.name} ({", ".join(columns)}) VALUES %s', values, page_size=PAGE_SIZE)
    finally:
        cursor.close()
