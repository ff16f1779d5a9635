"""Alembic, driven from code: every service upgrades its own schema to head when it starts, and
``chaincard migrate`` does it alone, before new code is rolled out (docs/operations/deploy.md).

Each service package has a ``migrations/`` folder whose ``env.py`` calls :func:`run_migrations` with
that service's metadata.
"""

from __future__ import annotations

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, engine_from_config, pool, text

# Held for the whole upgrade on PostgreSQL: replicas starting together, or a migration Job beside
# them, take turns, and whoever comes second finds the schema at head instead of racing to create it.
MIGRATION_LOCK_KEY = 0x43434D494752  # "CCMIGR"


def alembic_config(service_package: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{service_package}:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    return config


def upgrade_to_head(service_package: str, database_url: str) -> None:
    command.upgrade(alembic_config(service_package, database_url), "head")


def run_migrations(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online mode only: we always have a database)."""
    config = context.config
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            context.run_migrations()
