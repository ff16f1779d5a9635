"""Databases already migrated to head, copied from a template migrated once per test session.

Every integration module starts HQ and two regions on new databases, and each service migrates its
own at start: seconds per database, the longest part of a module's start. A copy of a database at
head (``CREATE DATABASE … TEMPLATE``) takes a fraction of that; the services still run their
upgrade at start, which then finds the schema at head. The migrations themselves are tested from an
empty database by the migration tests (tests/support/migrations.py) and by every chain the e2e and
reliability tests start."""

from __future__ import annotations

import uuid

from chaincard.db.migrate import upgrade_to_head
from chaincard.local.postgres import PostgresServer


class MigratedTemplates:
    """One template per service package on ``postgres``, made on first use; drop them with ``drop``."""

    def __init__(self, postgres: PostgresServer) -> None:
        self.postgres = postgres
        self._suffix = uuid.uuid4().hex[:8]
        self._templates: dict[str, str] = {}

    def url_for(self, service_package: str, database: str) -> str:
        """A new database ``database`` holding ``service_package``'s schema at head (and nothing else)."""
        self.postgres.create_database(database, template=self._template(service_package))
        return self.postgres.url_for(database)

    def _template(self, service_package: str) -> str:
        template = self._templates.get(service_package)
        if template is None:
            template = f"cctemplate_{service_package}_{self._suffix}"
            upgrade_to_head(service_package, self.postgres.url_for(template))  # its engine leaves no connection open
            self._templates[service_package] = template
        return template

    def drop(self) -> None:
        for template in self._templates.values():
            self.postgres.drop_database(template)
        self._templates.clear()
