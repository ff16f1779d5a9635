"""Settlement's subcommands of the chaincard CLI (statements)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from chaincard.config import load_settings

DEFAULT_DATA_DIR = Path(".chaincard")


def run_settle(args: argparse.Namespace) -> int:
    from chaincard.db.engine import make_engine, make_session_factory
    from chaincard.money import format_fen
    from settlement.clearing import flows_for_day

    settings = load_settings(args.config, database_url=args.database_url)
    database_url = settings.database_url
    if not database_url:
        from chaincard.local.chain import ChainState

        database_url = ChainState.load(Path(args.data_dir)).database_urls["settlement"]
    business_day = date.fromisoformat(args.date)
    with make_session_factory(make_engine(database_url))() as session:
        flows = flows_for_day(session, business_day)
    print(f"Clearing records for business day {business_day} (issuing → acquiring franchisee):")
    for issuing, acquiring, kind, count, principal, bonus in flows:
        print(f"  {issuing:<10} → {acquiring:<10} {kind:<9} {count:>5} txns  principal {format_fen(principal):>12}  bonus {format_fen(bonus):>10}")
    if not flows:
        print("  (none)")
    print("Netting and statements are not produced yet: see the settlement issue.")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001 - argparse has no public type for it
    """Add this package's subcommands to the ``chaincard`` command."""
    settle = commands.add_parser("settle", help="settle one business day")
    settle.add_argument("--date", required=True, help="business date YYYY-MM-DD")
    settle.add_argument("--database-url", help="the settlement database (default: the running local chain's)")
    settle.add_argument("--config")
    settle.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    settle.set_defaults(handler=run_settle)
