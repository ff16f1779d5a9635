"""``chaincard import members|cards|balances FILE`` and ``chaincard import reconcile FILE``: a chain's
old data through HQ's ImportService (docs/import.md, docs/adr/0040-import.md), as the logged-in operator.

The file is read here (CSV in UTF-8 or GBK, or XLSX; chaincard.imports) and its rows streamed to
HQ, which validates, imports and reconciles them. The error report names each column as the file
does. Exit status: 0 all rows fine (for reconcile: the ledger matches the file's valid rows), 3 some
rows in error (reconcile: differing), 2 the file cannot be read, 1 HQ refused or could not be reached."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaincard.imports.reading import ImportFile
    from chaincard.v1 import imports_pb2

DEFAULT_DATA_DIR = ".chaincard"
ROWS_PER_MESSAGE = 1000
# A million rows take HQ and the regions a while; the call answers when the last chunk is in.
IMPORT_DEADLINE_SECONDS = 3600.0
EXIT_ROWS_IN_ERROR = 3
_FIELDS = ("name", "phone", "card_number", "card_type", "store", "principal", "bonus", "points", "birthday", "gender", "email")


def stream_messages(file: ImportFile, kind: int, mode: int, file_name: str,
                    chunk_rows: int = 0) -> Iterator[imports_pb2.ImportRowsRequest]:
    from chaincard.v1 import imports_pb2

    start = imports_pb2.ImportStart(kind=kind, mode=mode, file_sha256=file.sha256, file_name=file_name[-255:],  # type: ignore[arg-type]
                                    chunk_rows=chunk_rows)
    rows = [imports_pb2.ImportRow(row=raw.row, **{name: raw.values.get(name, "") for name in _FIELDS}) for raw in file.rows]
    yield imports_pb2.ImportRowsRequest(start=start, rows=rows[:ROWS_PER_MESSAGE])
    for offset in range(ROWS_PER_MESSAGE, len(rows), ROWS_PER_MESSAGE):
        yield imports_pb2.ImportRowsRequest(rows=rows[offset:offset + ROWS_PER_MESSAGE])


def _money(fen: int) -> str:
    from chaincard.money import format_fen

    return format_fen(fen)


def print_totals(answer: imports_pb2.ImportRowsResponse, with_ledger: bool) -> bool:
    """The totals per region and franchisee; True when the ledger's equal the file's everywhere."""
    balanced = True
    print(f"{'region':<6} {'franchisee':<12} {'':<6} {'members':>8} {'cards':>8} {'principal':>16} {'bonus':>14} {'points':>12}")
    for totals in answer.totals:
        sides = [("file", totals.file)] + ([("ledger", totals.ledger)] if with_ledger else [])
        for label, counts in sides:
            print(f"{totals.region_code:<6} {totals.franchisee_id or '-':<12} {label:<6} {counts.members:>8} {counts.cards:>8} "
                  f"{_money(counts.principal_fen):>16} {_money(counts.bonus_fen):>14} {counts.points:>12}")
        if with_ledger and totals.file != totals.ledger:
            balanced = False
    return balanced


def _report(path: str, errors: list[tuple[int, str, str]]) -> None:
    from chaincard.imports.report import write_report

    write_report(path, errors)
    print(f"wrote {path} ({len(errors)} problems)")


def _headers(file: ImportFile, kind_name: str) -> dict[str, str]:
    from chaincard.imports.columns import Kind, map_headers

    return {field: file.headers[index] for index, field in map_headers(Kind(kind_name), file.headers).items()}


def _run_import(args: argparse.Namespace, mode_name: str) -> int:
    import grpc

    from chaincard.errors import InvalidArgument
    from chaincard.imports.columns import Kind
    from chaincard.imports.reading import read_path
    from chaincard.imports.report import report_rows
    from chaincard.imports.rows import RowError
    from chaincard.security.cli import hq_endpoint, operator_channel
    from chaincard.v1 import imports_pb2, imports_pb2_grpc

    kind_name = args.kind
    try:
        file = read_path(Kind(kind_name), args.file)
    except (InvalidArgument, OSError) as error:
        print(f"{args.file}: {error}", file=sys.stderr)
        return 2
    kind = imports_pb2.ImportKind.Value(f"IMPORT_KIND_{kind_name.upper()}")
    mode = imports_pb2.ImportMode.Value(f"IMPORT_MODE_{mode_name.upper()}")
    print(f"{args.file}: {len(file.rows)} rows ({file.encoding}), sha256 {file.sha256[:16]}…")
    try:
        with operator_channel(hq_endpoint(args), args.data_dir, expected_server="hq") as channel:
            answer = imports_pb2_grpc.ImportServiceStub(channel).ImportRows(
                stream_messages(file, kind, mode, str(args.file), args.chunk_rows), timeout=IMPORT_DEADLINE_SECONDS)
    except grpc.RpcError as error:
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    headers = _headers(file, kind_name)
    errors = report_rows((RowError(e.row, e.column, e.problem) for e in answer.errors), headers)
    differences = report_rows((RowError(d.row, d.column, d.problem) for d in answer.differences), headers)
    bad_rows = len({row for row, _, _ in errors})
    print(f"rows read {answer.rows_read}, valid {answer.rows_valid}, in error {bad_rows}"
          + (f", imported {answer.rows_imported}, already imported {answer.rows_already_imported}"
             if mode_name == "import" else ""))
    for row, column, problem in errors[:args.show]:
        print(f"  row {row} {column or '(row)'}: {problem}")
    if len(errors) > args.show:
        print(f"  … {len(errors) - args.show} more (--report FILE writes them all)")
    balanced = print_totals(answer, with_ledger=mode_name != "dry_run")
    if mode_name == "reconcile":
        for row, column, problem in differences[:args.show]:
            print(f"  differs: row {row} {column}: {problem}")
        print("reconciliation: " + ("balanced to the fen" if balanced and not differences
                                    else f"{len({row for row, _, _ in differences})} rows differ"))
    if args.report:
        _report(args.report, errors + [(row, column, f"ledger differs: {problem}") for row, column, problem in differences])
    if mode_name == "reconcile":  # the rows in error were never imported: the ledger is compared with the rest
        return 0 if balanced and not differences else EXIT_ROWS_IN_ERROR
    return EXIT_ROWS_IN_ERROR if errors else 0


def _import(kind: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        args.kind = kind
        return _run_import(args, "dry_run" if args.dry_run else "import")
    return run


def _reconcile(args: argparse.Namespace) -> int:
    return _run_import(args, "reconcile")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001
    group = commands.add_parser("import", help="import a chain's members, cards and balances from its old system (HQ)")
    imports = group.add_subparsers(dest="import_command", required=True)
    for kind, what in (("members", "members (name, phone, store …)"),
                       ("cards", "cards with their holders and opening balances (one row per card)"),
                       ("balances", "opening balances onto cards imported before")):
        sub = imports.add_parser(kind, help=f"import {what}; docs/import.md lists the columns")
        sub.add_argument("--dry-run", action="store_true", help="validate every row and report; import nothing")
        sub.set_defaults(handler=_import(kind))
        _flags(sub)
    reconcile = imports.add_parser("reconcile", help="the file's totals against the ledger's, per region and franchisee")
    reconcile.add_argument("--kind", choices=["members", "cards", "balances"], default="cards",
                           help="what the file imported (default cards)")
    reconcile.set_defaults(handler=_reconcile)
    _flags(reconcile)


def _flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="CSV (UTF-8 or GBK) or XLSX file")
    parser.add_argument("--report", metavar="FILE", help="write every problem to FILE (.csv or .xlsx): row, column, problem")
    parser.add_argument("--show", type=int, default=20, help="problems printed (default 20)")
    parser.add_argument("--chunk-rows", type=int, default=0,
                        help="rows per chunk each region commits on its own (1-1000; default 1000): smaller loses less to a crash")
    parser.add_argument("--hq", help="HQ endpoint host:port (default: the running local chain's)")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="the local chain's data directory")
    parser.add_argument("--config", help="TOML settings file")
