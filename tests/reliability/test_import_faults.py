"""An import of a legacy file (issue 15's check) through processes SIGKILLed at three random points,
then run again: every member, card and opening balance exactly once (docs/adr/0040).

Each attempt runs ``chaincard import cards`` as an operator would (mTLS, the admin's token) against a
chain of real processes and, once a random number of opening balances have landed (the seed is in
the test's output; CHAINCARD_IMPORT_KILL_SEED replays one), SIGKILLs the import command together
with the process doing the work at that moment (HQ twice, region E once), restarting the latter.
The last run completes; nothing is written twice whatever each kill cut."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from chaincard.local.faults import restart_process
from tests.support.legacy_files import legacy_file
from tests.support.sql import rows, scalar

pytestmark = pytest.mark.e2e

ROWS = 2000
VICTIMS = ("hq", "region-E", "hq")
CARD_BASE = 6_300_000_000_000
CHUNK_ROWS = 100  # twenty chunks: each kill cuts the import between two or inside one


def _kill_points(seed: int) -> list[int]:
    """Three opening-balance counts to kill at, rising, each in its own third of the file."""
    draw = random.Random(seed)
    return [draw.randrange(ROWS * third // 3 + 1, ROWS * (third + 1) // 3 - CHUNK_ROWS) for third in range(3)]


def _openings(state, numbers: list[str]) -> int:  # type: ignore[no-untyped-def]
    return sum(int(scalar(state.database_urls[f"region_{code}"], "SELECT COUNT(*) FROM ledger_transactions WHERE "
                                                                 "type = 'OPENING_BALANCE' AND card_number = ANY(:n)", n=numbers))
               for code in ("E", "W"))


def _import(state, path) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    return subprocess.Popen([sys.executable, "-m", "chaincard.cli", "import", "cards", str(path), "--data-dir", state.data_dir,
                             "--chunk-rows", str(CHUNK_ROWS)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.timeout(1500)
def test_import_killed_three_times_then_run_again_imports_every_row_once(chain, tmp_path):  # type: ignore[no-untyped-def]
    state = chain.state
    made = legacy_file(ROWS, phone_base=13_600_000_000, card_base=CARD_BASE)
    path = tmp_path / "legacy.csv"
    path.write_bytes(made.csv_bytes("gbk"))
    numbers = [row[2] for row in made.rows]
    seed = int(os.environ.get("CHAINCARD_IMPORT_KILL_SEED", random.randrange(1 << 30)))
    kills = list(zip(_kill_points(seed), VICTIMS, strict=True))
    print(f"kill seed {seed}: {kills}")
    for at, victim in kills:
        command = _import(state, path)
        deadline = time.monotonic() + 400
        while _openings(state, numbers) < at and command.poll() is None:
            assert time.monotonic() < deadline, f"import stuck at {_openings(state, numbers)} opening balances"
            time.sleep(0.1)
        assert command.poll() is None, f"the import finished before the kill at {at} (seed {seed}): {command.communicate()[0]}"
        command.send_signal(signal.SIGKILL)
        command.wait(10)
        restart_process(chain, victim)

    done = subprocess.run([sys.executable, "-m", "chaincard.cli", "import", "cards", str(path), "--data-dir", state.data_dir],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr

    assert _openings(state, numbers) == ROWS  # one opening balance per card: none lost, none twice
    cards, principal, bonus, points, members = 0, 0, 0, 0, set()
    for code in ("E", "W"):
        url = state.database_urls[f"region_{code}"]
        held = rows(url, "SELECT c.card_number, c.member_id, t.principal_delta_fen, t.bonus_delta_fen, t.points_delta "
                         "FROM cards c JOIN ledger_transactions t ON t.card_number = c.card_number "
                         "AND t.type = 'OPENING_BALANCE' WHERE c.card_number = ANY(:n)", n=numbers)
        cards += len(held)
        principal += sum(row[2] for row in held)
        bonus += sum(row[3] for row in held)
        points += sum(row[4] for row in held)
        members |= {row[1] for row in held}
        # The cards' balances are their opening balances, exactly (nothing posted twice on any account).
        assert scalar(url, "SELECT COALESCE(SUM(a.balance), 0) FROM ledger_accounts a WHERE a.card_number = ANY(:n) "
                           "AND a.asset = 'STORED_VALUE_PRINCIPAL'", n=numbers) == sum(row[2] for row in held)
        assert scalar(url, "SELECT COUNT(*) FROM members WHERE member_id = ANY(:m)", m=[row[1] for row in held]) == len(
            {row[1] for row in held})
    assert (cards, len(members), principal, bonus, points) == (ROWS, ROWS, made.principal_fen, made.bonus_fen, made.points)
    # HQ's phone index holds each member once, under the id its home region registered.
    assert scalar(state.database_urls["hq"], "SELECT COUNT(*) FROM phone_claims WHERE member_id = ANY(:m)",
                  m=list(members)) == ROWS
