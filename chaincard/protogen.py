"""Generates chaincard/v1/*_pb2*.py from protos/ (``make protos``); ``--check`` fails if they differ.

The generated files are committed so a plain ``pip install`` needs no code generator; the check
keeps them honest (CI runs it). grpcio-tools is pinned in the ``dev`` extra so output is stable.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
OUTPUT = ROOT / "chaincard" / "v1"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def generate(into: Path) -> list[Path]:
    from grpc_tools import protoc  # dev-only dependency

    protos = sorted(PROTO_ROOT.glob("chaincard/v1/*.proto"))
    if not protos:
        raise SystemExit(f"no protos under {PROTO_ROOT}")
    include = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc", f"-I{PROTO_ROOT}", f"-I{include}",
        f"--python_out={into}", f"--pyi_out={into}", f"--grpc_python_out={into}",
        *[str(path.relative_to(PROTO_ROOT)) for path in protos],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    return sorted(path for path in (into / "chaincard" / "v1").iterdir() if path.name.endswith(GENERATED_SUFFIXES))


def existing_generated() -> list[Path]:
    return sorted(path for path in OUTPUT.iterdir() if path.name.endswith(GENERATED_SUFFIXES))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed code differs from the protos")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        fresh = generate(Path(scratch))
        if args.check:
            fresh_names = {path.name for path in fresh}
            current_names = {path.name for path in existing_generated()}
            differing = sorted(fresh_names ^ current_names)
            differing += [path.name for path in fresh if path.name in current_names and not filecmp.cmp(path, OUTPUT / path.name, shallow=False)]
            if differing:
                print("generated code is out of date with protos/: run `make protos`. Differs:", ", ".join(sorted(set(differing))))
                return 1
            print(f"generated code matches protos/ ({len(fresh)} files)")
            return 0
        for stale in existing_generated():
            stale.unlink()
        for path in fresh:
            shutil.copyfile(path, OUTPUT / path.name)
        print(f"generated {len(fresh)} files into {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
