"""Plays a fault schedule against a running chain, in a thread of its own, and heals everything."""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chaincard.local.chain import Chain
from chaincard.local.chaos.schedule import BROKER_EMPTY, CUT, DELAY, FREEZE, KILL, LOSSY, SKEW, Fault
from chaincard.local.faults import freeze, kill_process, restart_broker_empty, start_process, thaw

log = logging.getLogger(__name__)


@dataclass
class Nemesis:
    chain: Chain
    schedule: list[Fault]
    injected: Counter[str] = field(default_factory=Counter)
    played: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    broker_emptied: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Nemesis:
        self._thread = threading.Thread(target=self._run, name="nemesis", daemon=True)
        self._thread.start()
        return self

    def wait_done(self, timeout: float) -> None:
        """Until every fault of the schedule was played and healed (a slow restart delays the next
        fault), or ``timeout``."""
        if self._thread is not None:
            self._thread.join(timeout)

    def stop(self) -> None:
        """Stop before the next fault (the one being played is healed first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(120)

    def _run(self) -> None:
        started = time.monotonic()
        for fault in self.schedule:
            if self._stop.wait(max(0.0, started + fault.at - time.monotonic())):
                return
            try:
                self._play(fault)
                self.injected[fault.kind] += 1
                self.played.append(fault.describe())
            except Exception as error:  # noqa: BLE001 - a fault that could not be played or healed is reported, the run goes on
                log.exception("fault %s failed", fault.describe())
                self.failures.append(f"{fault.describe()}: {type(error).__name__}: {error}")

    def _play(self, fault: Fault) -> None:
        chain = self.chain
        if fault.kind == KILL:
            killed = kill_process(chain, fault.target)
            self._stop.wait(fault.seconds)
            start_process(chain, fault.target, *killed, timeout=120)
        elif fault.kind == FREEZE:
            process = chain.children[fault.target]
            freeze(process)
            try:
                self._stop.wait(fault.seconds)
            finally:
                thaw(process)
        elif fault.kind == BROKER_EMPTY:
            restart_broker_empty(chain)
            self.broker_emptied = True
        elif fault.kind == SKEW:
            command, environment = kill_process(chain, fault.target)
            try:
                start_process(chain, fault.target, command, environment | skewed_clock(fault.amount), timeout=120)
                self._stop.wait(fault.seconds)
            finally:  # back on the true clock, also when the skewed agent never came up
                if chain.children[fault.target].poll() is None:
                    kill_process(chain, fault.target)
                start_process(chain, fault.target, command, environment, timeout=120)
        else:
            links = [chain.links[name] for name in links_of(chain, fault.target)]
            for link in links:
                if fault.kind == CUT:
                    link.cut()
                elif fault.kind == DELAY:
                    link.degrade(delay=fault.amount / 1000)
                elif fault.kind == LOSSY:
                    link.degrade(loss=fault.amount / 100)
            try:
                self._stop.wait(fault.seconds)
            finally:
                for link in links:
                    link.restore()

    def heal(self) -> None:
        """Everything running and every link whole again, whatever the schedule left behind."""
        self.stop()
        for link in self.chain.links.values():
            link.restore()
        broker = self.chain.broker
        if broker is not None and broker.process is not None:
            thaw(broker.process)
        for name, process in list(self.chain.children.items()):
            if process.poll() is None:
                thaw(process)
            else:
                self.failures.append(f"{name} found dead at healing (exit {process.returncode}); started again")
                start_process(self.chain, name, [str(arg) for arg in process.args],  # type: ignore[union-attr]
                              _environment_of(self.chain, name), timeout=120)


def links_of(chain: Chain, target: str) -> list[str]:
    """A store's link is its own; a region's link is its inbound one (the other region's forwards)
    and its stores' links: the region cut off from the rest of the chain but HQ and the broker."""
    if not target.startswith("link-region-"):
        return [target]
    code = target.removeprefix("link-region-")
    return [target, *(f"link-store-{store.store_id}" for store in chain.stores if store.region_code == code
                      and f"link-store-{store.store_id}" in chain.links)]


def skewed_clock(seconds: int) -> dict[str, str]:
    """The environment that runs a process with its wall clock ``seconds`` off: libfaketime (the
    ``libfaketime`` package's prebuilt library) preloaded; monotonic clocks left alone, so timeouts
    and deadlines still measure real time."""
    spec = importlib.util.find_spec("libfaketime")
    if spec is None or spec.origin is None:
        raise RuntimeError("clock skew needs the libfaketime package (the 'local' extra)")
    library = Path(spec.origin).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
    return {"LD_PRELOAD": str(library), "FAKETIME": f"{seconds:+d}", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_NO_CACHE": "1"}


def _environment_of(chain: Chain, name: str) -> dict[str, str]:
    """A dead process's environment cannot be read from /proc: take a living sibling's (every
    service of a chain gets the same one, but a region's relay switch)."""
    environment = dict(os.environ)
    for other, process in chain.children.items():
        if other != name and process.poll() is None and other.startswith(("store-", "settlement")):
            raw = Path(f"/proc/{process.pid}/environ").read_text()
            environment = dict(entry.split("=", 1) for entry in raw.split("\0") if "=" in entry)
            break
    if name.startswith("region-"):
        environment["CHAINCARD_RELAY_IN_PROCESS"] = "0"
    return environment
