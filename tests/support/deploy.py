"""What the deploy/ tests share: the settings a manifest may name, and the check that a command it
runs exists (the image's entry point is `chaincard`, so a manifest's args are its arguments)."""

from __future__ import annotations

import argparse
import os
from functools import cache
from pathlib import Path
from typing import Any

from chaincard.cli import build_parser
from chaincard.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
# Settings read outside the Settings class (a service's extras), with the module that reads each.
EXTRA_SETTINGS = {
    "CHAINCARD_SETTLEMENT_NIGHTLY_AT": "settlement/scheduler.py",
    "CHAINCARD_SETTLEMENT_CATCH_UP_DAYS": "settlement/scheduler.py",
    "CHAINCARD_STATEMENTS_DIR": "settlement/bootstrap.py",
}


def unknown_setting(name: str) -> str | None:
    """Why the environment variable ``name`` is no ChainCard setting, or None if it is one (or not ours)."""
    if name in EXTRA_SETTINGS:
        source = (ROOT / EXTRA_SETTINGS[name]).read_text(encoding="utf-8")
        return None if name.removeprefix("CHAINCARD_").lower() in source else f"{name} is not read by {EXTRA_SETTINGS[name]}"
    if not name.startswith("CHAINCARD_"):
        return None
    fields = {"CHAINCARD_" + field.upper() for field in Settings.__dataclass_fields__} - {"CHAINCARD_EXTRA"}
    return None if name in fields else f"{name} is no setting of chaincard/config.py"


@cache
def _parser() -> argparse.ArgumentParser:
    return build_parser()


def command_error(args: list[str]) -> str | None:
    """None if `chaincard ARGS` parses, else what is wrong (argparse exits on an unknown flag)."""
    try:
        _parser().parse_args(args)
    except SystemExit:
        return f"`chaincard {' '.join(args)}` does not parse"
    return None


# The commands that run `chaincard.cli._serve`, which installs the process's Kafka connection.
SERVING_COMMANDS = ("hq", "region", "relay", "settlement", "store")
KAFKA_USERS = ("hq", "relay", "settlement")


def settings_in(environment: dict[str, str], monkeypatch: Any) -> Settings:
    """The settings a process started with exactly ``environment`` reads (flags aside)."""
    for name in list(os.environ):
        if name.startswith("CHAINCARD_"):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return load_settings()
