"""Many rows into one table, fast, in the caller's transaction (PostgreSQL only).

An import chunk writes thousands of rows per table. SQLAlchemy's executemany (insertmanyvalues)
runs every value through its bind processing and builds each batch's parameters in Python; that was
most of a region's CPU for a chunk. Then ``execute_values`` (one multi-row ``INSERT … VALUES``):
the server still parsed and planned a statement of a thousand rows of literals per table. Now the
rows go to the table with ``COPY … FROM STDIN`` in PostgreSQL's text format, built here: the
server's fastest way in, and no SQL text to quote. JSON columns are serialised as the ORM's JSON
type would (``json.dumps``; ``None`` is SQL NULL, as before), timestamps passed as the aware
datetimes they are (ISO 8601 with their offset), bytes as bytea hex. A row that breaks a constraint
fails the whole COPY, as it failed the INSERT: callers decide rows before writing them."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session

# COPY's text format: backslash, tab, newline and carriage return are escaped; \N is NULL.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: Any, as_json: bool = False) -> str:
    """One value as a field of COPY's text format."""
    if value is None:
        return "\\N"
    if as_json:
        return json.dumps(value).translate(_ESCAPES)
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):  # and datetime: ISO 8601, an aware one with its offset
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    raise TypeError(f"no COPY text form for {type(value).__name__}")


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], *, into: str = "") -> None:
    """INSERT ``rows`` (dicts with the same keys, named as ``table``'s columns) into ``table`` (or
    into the table named ``into``, of ``table``'s columns). Columns left out take their server
    defaults; Python-side column defaults are not applied."""
    if not rows:
        return
    columns = list(rows[0])
    as_json = [isinstance(table.c[column].type, JSON) for column in columns]
    pairs = list(zip(columns, as_json, strict=True))
    data = "".join("\t".join([copy_text(row[column], encode) for column, encode in pairs]) + "\n" for row in rows)
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(f'COPY {into or table.name} ({", ".join(columns)}) FROM STDIN', io.StringIO(data))
    finally:
        cursor.close()


def insert_new_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]) -> None:
    """As :func:`insert_rows`, skipping rows whose ``key`` (a unique constraint's columns) the table
    already holds: the rows are COPYed into a staging table dropped at commit, then moved with one
    ``INSERT … SELECT … ON CONFLICT (key) DO NOTHING`` (HQ's claims of an import chunk's phones and
    card numbers, which other runs and registrations may hold)."""
    if not rows:
        return
    staging = f"staging_{table.name}"
    columns = ", ".join(rows[0])
    connection = session.connection()
    connection.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table.name}) ON COMMIT DELETE ROWS")
    connection.exec_driver_sql(f"TRUNCATE {staging}")
    insert_rows(session, table, rows, into=staging)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {staging} "
                               f"ON CONFLICT ({', '.join(key)}) DO NOTHING")
