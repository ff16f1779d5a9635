"""Persistence shared by the services: declarative base, engines, migrations, outbox, inbox, idempotency."""
