"""``python -m simulation --seeds 0..9999`` (a long run) or ``--seed N`` (a replay, with its schedule).

Needs a PostgreSQL server (``--pg`` or CHAINCARD_TEST_PG_DSN): two databases are made for the
regions and dropped at the end."""

from __future__ import annotations

import argparse
import os
import sys
import uuid

from chaincard.local.postgres import PostgresServer
from simulation.harness import simulation
from simulation.run import SeedResult


def _seeds(text: str) -> range:
    first, _, last = text.partition("..")
    return range(int(first), int(last or first) + 1)


def _print(result: SeedResult, *, replay: bool) -> None:
    """A failing seed with its schedule; a replayed one in any case."""
    if not result.ok:
        print(result.report(), flush=True)
    elif replay:
        print(result.report() + "\n  schedule:\n" + "\n".join(f"    {line}" for line in result.trace), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation", description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--seeds", type=_seeds, help="a range of seeds, e.g. 0..9999")
    group.add_argument("--seed", type=int, help="one seed, printed with its whole schedule")
    parser.add_argument("--pg", default=os.environ.get("CHAINCARD_TEST_PG_DSN", ""),
                        help="PostgreSQL admin DSN (default: $CHAINCARD_TEST_PG_DSN)")
    parser.add_argument("--overtaking", action="store_true",
                        help="late requests may arrive after their own retries were answered (docs/adr/0048)")
    args = parser.parse_args(argv)
    if not args.pg:
        parser.error("no PostgreSQL: pass --pg or set CHAINCARD_TEST_PG_DSN")
    seeds = range(args.seed, args.seed + 1) if args.seed is not None else args.seeds
    postgres = PostgresServer(args.pg)
    names = {code: f"chaincard_sim_{code.lower()}_{uuid.uuid4().hex[:8]}" for code in ("E", "W")}
    try:
        with simulation({code: postgres.url_for(name) for code, name in names.items()}) as run:
            run.overtaking = args.overtaking
            results, seconds = run.run_all(seeds, on_result=lambda result: _print(result, replay=args.seed is not None))
    finally:
        for name in names.values():
            postgres.drop_database(name)
    failed = [result for result in results if not result.ok]
    print(f"{len(results)} seeds, {len(failed)} failed, {seconds:.1f} s ({len(results) / seconds:.1f} seeds/s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
