"""The runbooks (docs/operations) name only commands and flags that exist: every `chaincard …` they
show is given to the real parser, and a subcommand or flag it does not know fails the test.
(Arguments left to the reader, `<id>` or `…`, may be missing; unknown ones may not.)"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

from chaincard.cli import build_parser

PARSER = build_parser()

ROOT = Path(__file__).resolve().parents[3]
PAGES = [*sorted((ROOT / "docs" / "operations").glob("*.md")), ROOT / "deploy" / "README.md"]
COMMAND = re.compile(r"(?:`|^\s*|'|-- )chaincard ((?!…)[^`'\n]+)", re.MULTILINE)
UNKNOWN = ("unrecognized arguments", "invalid choice")


def commands_in(page: Path) -> list[list[str]]:
    text = re.sub(r"\\\n\s*", " ", page.read_text(encoding="utf-8"))
    found = []
    for match in COMMAND.finditer(text):
        shown = re.sub(r"<[^>]+>", "X", match.group(1)).replace("…", "").replace("|", " ")
        found.append(shlex.split(shown))
    return found


def unknown_part(args: list[str]) -> str | None:
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.suppress(SystemExit):
        PARSER.parse_args(args)
    message = errors.getvalue()
    return message.strip().splitlines()[-1] if any(word in message for word in UNKNOWN) else None


def test_every_command_in_the_runbooks_exists():
    shown = [(page.name, args) for page in PAGES for args in commands_in(page)]
    assert len(shown) >= 25
    problems = [f"{name}: chaincard {' '.join(args)}: {unknown_part(args)}" for name, args in shown if unknown_part(args)]
    assert not problems, "\n".join(problems)


def test_a_flag_that_does_not_exist_is_caught():
    assert unknown_part(["region", "replay", "--code", "E", "--since", "X", "--from-beginning"]) is not None
    assert unknown_part(["region", "rewind"]) is not None
    assert unknown_part(["region", "replay", "--code", "E"]) is None  # only --since missing: left to the reader
