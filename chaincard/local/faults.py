"""Faults injected for real into a local chain's processes: SIGKILL and start again with the very
same command, SIGSTOP/SIGCONT, the broker restarted empty. Used by the chaos runs
(chaincard.local.chaos) and the reliability tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from chaincard.local.broker import LocalBroker
from chaincard.local.chain import Chain
from chaincard.rpc.channels import check_health


def kill_process(chain: Chain, name: str) -> tuple[list[str], dict[str, str]]:
    """SIGKILL ``name``; returns its command and environment (read from /proc first) to start it again."""
    old = chain.children[name]
    environment = dict(entry.split("=", 1) for entry in Path(f"/proc/{old.pid}/environ").read_text().split("\0") if "=" in entry)
    os.kill(old.pid, signal.SIGCONT)  # a frozen process dies just as well, but must not stay a stopped zombie
    old.send_signal(signal.SIGKILL)
    old.wait(10)
    return [str(arg) for arg in old.args], environment  # type: ignore[union-attr]


def start_process(chain: Chain, name: str, command: list[str], environment: dict[str, str], timeout: float = 60.0) -> None:
    """Start ``name`` again with ``command`` and ``environment``; returns once it reports SERVING."""
    assert chain.state is not None
    info = chain.state.process(name)
    with open(info.log, "ab") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=environment, start_new_session=True)
    chain.children[name] = process
    info.pid = process.pid
    deadline = time.monotonic() + timeout
    while check_health(info.endpoint, deadline=1.0, transport=chain.state.operator_transport(token="")) != "SERVING":
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {Path(info.log).read_text(errors='replace')[-2000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} did not come back within {timeout} s")
        time.sleep(0.2)


def restart_process(chain: Chain, name: str) -> None:
    """SIGKILL ``name`` and start it again with the very same command and environment."""
    start_process(chain, name, *kill_process(chain, name))


def freeze(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGSTOP)


def thaw(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGCONT)


def restart_broker_empty(chain: Chain) -> None:
    """Stop the broker and start a new, empty one on the same port: a broker that lost its data."""
    old = chain.broker
    assert old is not None and old.process is not None
    os.kill(old.process.pid, signal.SIGCONT)
    old.stop()
    fresh = LocalBroker(old.port, old.log_path)
    fresh.start()
    chain.broker = fresh
