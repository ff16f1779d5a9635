"""Files that hold secrets (private keys, signing keys): written once, here."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by the owner only (0600), atomically: a temporary file
    created with that mode from the start (never briefly world-readable), then renamed over ``path``."""
    temporary = path.with_name(path.name + ".tmp")
    if temporary.exists():
        temporary.unlink()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    temporary.replace(path)
    path.chmod(0o600)  # the umask may have narrowed the mode further; say exactly what it is
