"""Command groups of the ``chaincard`` CLI that several packages add subcommands to (``chaincard
coupon template …`` from HQ's CLI, ``chaincard coupon issue …`` from the region's): whoever comes
first creates the group, the others add to it, so no package depends on the order of the others."""

from __future__ import annotations

import argparse

_SUBCOMMANDS = "_chaincard_subcommands"


def command_group(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],  # noqa: SLF001 - argparse has no public type for it
    name: str,
    help_text: str,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:  # noqa: SLF001
    """The subcommands of ``chaincard <name>``, created on first use."""
    parser = commands.choices.get(name)
    if parser is None:
        parser = commands.add_parser(name, help=help_text)
        setattr(parser, _SUBCOMMANDS, parser.add_subparsers(dest=f"{name}_command", required=True))
    group: argparse._SubParsersAction[argparse.ArgumentParser] = getattr(parser, _SUBCOMMANDS)  # noqa: SLF001
    return group
