"""The store agent <-> region protocol under a seeded scheduler of faults (docs/adr/0048): every
seed's invariants hold, and a seed replays exactly."""

from __future__ import annotations

from simulation.harness import Simulation

# `make test` runs these; a long run: `python -m simulation --seeds 0..9999` (make simulate).
SEEDS = range(500)


def test_every_seed_keeps_the_invariants(sim: Simulation) -> None:
    results, seconds = sim.run_all(SEEDS)
    failed = [result for result in results if not result.ok]
    print(f"{len(results)} seeds in {seconds:.1f} s ({len(results) / seconds:.1f} seeds/s)")
    assert not failed, "\n\n".join(result.report() for result in failed[:3])
    # The schedules reached what they are for: offline sales, and requests whose answers were lost.
    assert sum(result.offline_sales for result in results) > len(results) // 10


def test_a_seed_replays_its_schedule(sim: Simulation) -> None:
    first, again = sim.run(7), sim.run(7)
    assert first.trace == again.trace
    assert len(first.trace) > 20
