"""Free TCP ports for a chain's processes on one machine, chosen so nobody else takes them first.

A chain picks every port up front and its processes bind them seconds later (the relays last). A port
the kernel hands out (``bind(("", 0))``) is in the ephemeral range, the same range every outgoing
connection and every ``:0`` listener (the metrics servers) takes its port from, so in a busy test run
another socket took a relay's port in between ("Address already in use", CI of 2026-12-03). So:

- ports come from below the ephemeral range, which the kernel never hands out by itself;
- each one is reserved across processes (pytest workers, several chains) by creating a file named
  after it, exclusively, in a shared directory; a reservation lapses after an hour;
- and it must be bindable now (nothing else listens there).
"""

from __future__ import annotations

import os
import random
import socket
import tempfile
import time
from pathlib import Path

RESERVATION_SECONDS = 3600
_LOWEST = 10_000
_DEFAULT_EPHEMERAL_LOW = 32_768
_RESERVATIONS = Path(tempfile.gettempdir()) / "chaincard-ports"


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _DEFAULT_EPHEMERAL_LOW


def _reserve(port: int) -> bool:
    """True when this process now holds ``port``'s reservation (a lapsed one is taken over)."""
    _RESERVATIONS.mkdir(parents=True, exist_ok=True)
    path = _RESERVATIONS / str(port)
    if _create(path):
        return True
    try:
        if time.time() - path.stat().st_mtime < RESERVATION_SECONDS:
            return False
        path.unlink()
    except FileNotFoundError:
        pass
    return _create(path)  # False when another process took the lapsed reservation over first


def _create(path: Path) -> bool:
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return False
    return True


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on and no other caller of this function was given
    within the last hour. Falls back to a kernel-chosen port if the range below is exhausted."""
    low = _ephemeral_low()
    if low - _LOWEST > 1000:
        for _ in range(200):
            port = random.randrange(_LOWEST, low)
            if _reserve(port) and _bindable(port):
                return port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
