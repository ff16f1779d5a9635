"""``chaincard chaos``: one seeded run (``--seed N`` replays one), or runs with random seeds until a
time budget is spent (``make chaos``), each printing its summary, then a table of them all.

Kept light at import: the service processes build the same parser."""

from __future__ import annotations

import argparse
import random
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaincard.local.chaos.run import Report

DEFAULT_DIR = Path(".chaincard") / "chaos"


def add_chaos_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, help="replay this seed's fault schedule (default: a random seed, printed)")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load and faults per run (default 120)")
    parser.add_argument("--budget", type=float, default=0.0,
                        help="keep starting runs with new random seeds until this many seconds have passed (default: one run)")
    parser.add_argument("--data-dir", default=str(DEFAULT_DIR), help=f"where the runs keep their chains (default {DEFAULT_DIR}); "
                                                                     "a failed run's is kept for a post-mortem")
    parser.add_argument("--pg", help="use this PostgreSQL server (DSN) instead of an embedded one")
    parser.add_argument("--mean-gap", type=float, default=8.0,
                        help="seconds, on average, between a fault healed and the next (default 8)")
    parser.add_argument("--fault-seconds", type=seconds_range, default=(2.0, 10.0), metavar="MIN-MAX",
                        help="how long each fault lasts before it is healed, drawn in this range (default 2-10)")


def seconds_range(text: str) -> tuple[float, float]:
    """``MIN-MAX`` seconds (``1-3``), or one number for both."""
    low, _, high = text.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give MIN-MAX seconds, for example 1-3") from None
    if not 0 < bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: need 0 < MIN <= MAX")
    return bounds


def run_chaos_command(args: argparse.Namespace) -> int:
    from chaincard.local.chaos.run import run_chaos

    began = time.monotonic()
    reports: list[Report] = []
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1_000_000)
    while True:
        data_dir = Path(args.data_dir) / f"seed-{seed}-{int(time.time())}"
        print(f"chaos run with seed {seed} ({args.duration:.0f} s), chain in {data_dir}", flush=True)
        report = run_chaos(seed, args.duration, data_dir, pg_dsn=args.pg, database_prefix=f"chaos{seed}_{int(time.time())}",
                           mean_gap=args.mean_gap, fault_seconds=args.fault_seconds)
        reports.append(report)
        print(report.summary(), flush=True)
        if report.ok and args.pg is None:
            shutil.rmtree(data_dir, ignore_errors=True)
        if args.seed is not None or time.monotonic() - began + args.duration + 120 > args.budget:
            break
        seed = random.SystemRandom().randrange(1, 1_000_000)
    if len(reports) > 1 or args.budget:
        print(summary_table(reports))
    return 0 if all(report.ok for report in reports) else 1


def summary_table(runs: list[Report]) -> str:
    """All runs of a budget: per run its seed and figures, then faults by kind, requests by outcome
    and each invariant (in how many runs it held, how many items it checked)."""
    faults: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    held: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    lines = ["", f"{len(runs)} chaos runs", f"  {'seed':>7} {'result':<7} {'faults':>6} {'requests':>8} {'OK':>7} {'ERROR':>6} {'LOST':>5} {'checks':>6}"]
    for report in runs:
        counts = Counter(request.outcome for request in report.requests)
        faults += report.injected
        outcomes += counts
        for check in report.checks:
            (held if check.ok else failed)[check.name] += 1
            checked[check.name] += check.checked
        lines.append(f"  {report.seed:>7} {'passed' if report.ok else 'FAILED':<7} {sum(report.injected.values()):>6} "
                     f"{len(report.requests):>8} {counts['OK']:>7} {counts['ERROR']:>6} {counts['LOST']:>5} {len(report.checks):>6}")
    lines += ["", "faults injected by kind (all runs)"] + [f"  {kind:<24} {count:>6}" for kind, count in sorted(faults.items())]
    lines += ["", "requests by outcome (all runs)"] + [f"  {outcome:<8} {count:>7}" for outcome, count in sorted(outcomes.items())]
    lines += ["", "invariants checked (all runs)", f"  {'held':>4} {'FAILED':>6} {'items':>8}  invariant"]
    lines += [f"  {held[name]:>4} {failed[name]:>6} {checked[name]:>8}  {name}" for name in checked]
    return "\n".join(lines)
