"""A simulation run: the regions' databases (made once, at head), the store's SQLite template, then
one seed after another on them. Each seed opens cards of its own, so the seeds share the databases
without sharing any state they check (docs/adr/0048)."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chaincard.db.migrate import upgrade_to_head
from simulation.chain import Region, config_snapshot
from simulation.run import SeedResult, run_seed


@dataclass
class Simulation:
    regions: dict[str, Region]
    store_template: Path
    workdir: Path
    # Late requests may overtake their own retries (simulation.network.Faults.overtaking).
    overtaking: bool = False

    def run(self, seed: int) -> SeedResult:
        return run_seed(seed, self.regions, self.store_template, self.workdir, overtaking=self.overtaking)

    def run_all(self, seeds: Iterable[int], *, on_result: Callable[[SeedResult], None] | None = None,
                ) -> tuple[list[SeedResult], float]:
        """Every seed (a failing one does not stop the others); their results and the wall time.
        ``on_result`` is told each result as it comes (a long run prints its failures at once)."""
        started = time.monotonic()
        results = []
        for seed in seeds:
            results.append(self.run(seed))
            if on_result is not None:
                on_result(results[-1])
        return results, time.monotonic() - started


def _work_directory() -> Path:
    # The store's SQLite syncs every commit (synchronous=FULL): in memory when the machine has it.
    shm = Path("/dev/shm")
    return Path(tempfile.mkdtemp(prefix="chaincard-sim-", dir=shm if shm.is_dir() else None))


@contextmanager
def simulation(region_urls: dict[str, str]) -> Iterator[Simulation]:
    """A run on the regions' databases (``{"E": url, "W": url}``, migrated here if not yet)."""
    # The production code logs every refusal and outage it meets; thousands of seeds meet many.
    logging.getLogger().setLevel(logging.CRITICAL)
    workdir = _work_directory()
    snapshot = config_snapshot()
    regions: dict[str, Region] = {}
    try:
        for code, url in sorted(region_urls.items()):
            upgrade_to_head("region_service", url)
            regions[code] = Region(code, url, snapshot)
        template = workdir / "store-template.sqlite"
        upgrade_to_head("store_agent", f"sqlite:///{template}")
        yield Simulation(regions, template, workdir)
    finally:
        for region in regions.values():
            region.close()
        shutil.rmtree(workdir, ignore_errors=True)
