"""`chaincard migrate SERVICE` upgrades a database alone, before new code rolls out; upgrades that
start together (replicas, or a migration Job beside them) take turns on PostgreSQL instead of racing."""

from __future__ import annotations

import subprocess
import sys
import time

from sqlalchemy import create_engine, text

from chaincard.cli import main
from chaincard.db.migrate import MIGRATION_LOCK_KEY


def head_of(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not connection.execute(text("SELECT to_regclass('alembic_version')")).scalar():
                return []
            return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def test_migrate_brings_an_empty_database_to_head_and_again_changes_nothing(fresh_database, capsys):
    url = fresh_database("migrate")
    assert main(["migrate", "settlement", "--database-url", url]) == 0
    assert "at this release's head" in capsys.readouterr().out
    head = head_of(url)
    assert len(head) == 1
    assert main(["migrate", "settlement", "--database-url", url]) == 0
    assert head_of(url) == head


def test_without_a_database_it_says_what_to_give(monkeypatch, capsys):
    monkeypatch.delenv("CHAINCARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("CHAINCARD_CONFIG", raising=False)
    assert main(["migrate", "region"]) == 2
    assert "--database-url" in capsys.readouterr().err


def test_upgrades_started_together_take_turns(fresh_database):
    """Two upgrades (processes, as replicas are) wait while the migration lock is held, then both
    finish once it is released: one migrates, the other finds the schema at head."""
    url = fresh_database("migrate_race")
    command = [sys.executable, "-m", "chaincard.cli", "migrate", "settlement", "--database-url", url]
    engine = create_engine(url)
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            upgrades = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                        for _ in range(2)]
            deadline = time.monotonic() + 120
            while waiting_for_the_lock(holder) < 2:
                assert time.monotonic() < deadline, "the upgrades did not wait for the migration lock"
                assert all(upgrade.poll() is None for upgrade in upgrades), "an upgrade ran without the lock"
                time.sleep(0.2)
            assert head_of(url) == []  # nothing migrated while the lock was held
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            holder.commit()
        outputs = [upgrade.communicate(timeout=240)[0] for upgrade in upgrades]
    finally:
        engine.dispose()
    assert [upgrade.returncode for upgrade in upgrades] == [0, 0], outputs
    assert len(head_of(url)) == 1


def waiting_for_the_lock(connection) -> int:
    return connection.execute(text(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()")).scalar_one()
