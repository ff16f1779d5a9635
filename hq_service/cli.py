"""HQ's subcommands of the chaincard CLI (reports, events)."""

from __future__ import annotations

import argparse


def add_commands(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001 - argparse has no public type for it
    """Add this package's subcommands to the ``chaincard`` command."""
