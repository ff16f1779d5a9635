"""Settlement's subcommands of the chaincard CLI.

    chaincard settle --date 2026-11-20 [--close-early]
    chaincard statement show --franchisee F-AURORA --date 2026-11-20   (or --id ST-2026-11-20-F-AURORA)
    chaincard statement export --id ST-2026-11-20-F-AURORA [--format pdf|csv|xlsx|all] [--out DIR]
    chaincard statement list [--franchisee F-AURORA] [--from D] [--to D]
    chaincard statement verify --date 2026-11-20 [--statements-dir DIR] [--public-key PEM]
    chaincard clearing postings --date 2026-11-20 [--database-url URL]

Each talks to the running settlement service over gRPC (``--endpoint``, default: the local chain's
from ``--data-dir``), or with ``--database-url`` works straight on the settlement database (and,
for ``settle``, reads the fee schedule from HQ at ``--hq``). ``verify`` needs neither: it reads the
day's files only, as a franchisee received them. ``clearing postings`` reads the settlement
database (``--database-url``, default: the local chain's): the ids of the day's postings that
reached the clearing ledger, one a line (the demo waits for a day's postings with it).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from chaincard.config import load_settings
from chaincard.settlement_client import FORMAT_NAMES

if TYPE_CHECKING:
    import grpc
    from sqlalchemy.orm import Session, sessionmaker

    from chaincard.v1 import settlement_pb2

DEFAULT_DATA_DIR = Path(".chaincard")


def _endpoint(args: argparse.Namespace) -> str:
    if args.endpoint:
        return args.endpoint
    from chaincard.chain_state import ChainState

    try:
        return ChainState.load(Path(args.data_dir)).endpoint_of("settlement")
    except FileNotFoundError:
        raise SystemExit(f"no chain is running from {args.data_dir}: give --endpoint or --database-url") from None


def _channel(args: argparse.Namespace) -> grpc.Channel:
    """A channel to the settlement service as the logged-in operator (``chaincard login``)."""
    from chaincard.security.cli import operator_channel

    return operator_channel(_endpoint(args), args.data_dir, expected_server="settlement")


def _direct_sessions(args: argparse.Namespace) -> sessionmaker[Session]:
    from chaincard.db.engine import make_engine, make_session_factory
    from chaincard.db.migrate import upgrade_to_head

    upgrade_to_head("settlement", args.database_url)
    return make_session_factory(make_engine(args.database_url))


def _fail(error: Exception) -> int:
    import grpc

    if isinstance(error, grpc.RpcError):
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
    else:
        print(f"{getattr(error, 'status_name', type(error).__name__)}: {error}", file=sys.stderr)
    return 1


# ---- settle ----------------------------------------------------------------------------------------
def print_run(run: settlement_pb2.SettlementRun) -> None:
    from chaincard.money import format_fen
    from chaincard.v1 import settlement_pb2

    state = settlement_pb2.SettlementRunState.Name(run.state).removeprefix("SETTLEMENT_RUN_STATE_")
    print(f"Settlement of business day {run.business_date}: {state}; {run.clearing_record_count} clearing records, "
          f"{run.late_record_count} late ones settled as adjustments, {run.statement_count} statements")
    for entry in run.manifest.entries:
        print(f"  {entry.franchisee_id:<12} net {format_fen(entry.net_fen):>16}   {entry.statement_id}  sha256 {entry.content_sha256_hex[:16]}…")
    if run.manifest.manifest_sha256_hex:
        print(f"  nets sum to {format_fen(run.manifest.net_total_fen)}; manifest sha256 {run.manifest.manifest_sha256_hex}")
    if run.manifest.manifest_json_signature:
        print(f"  manifest.json signed (Ed25519) by key {run.manifest.signing_key_id}")


def run_settle(args: argparse.Namespace) -> int:
    from chaincard.errors import ChainCardError

    business_day = date.fromisoformat(args.date)
    if args.database_url:
        from settlement.bootstrap import signing_keys, statements_dir
        from settlement.hq import HqConfigSource
        from settlement.runs import SettlementRunner

        settings = load_settings(args.config, database_url=args.database_url, hq_endpoint=args.hq)
        folder = Path(args.statements_dir).resolve() if args.statements_dir else statements_dir(settings)
        config = HqConfigSource(settings.hq_endpoint)
        runner = SettlementRunner(_direct_sessions(args), config, statements_dir=folder,
                                  time_zone=settings.business_time_zone, cutoff=settings.business_day_cutoff,
                                  signing_keys=signing_keys(settings, folder))
        try:
            run = runner.run(business_day, close_early=args.close_early)
        except ChainCardError as error:
            return _fail(error)
        finally:
            config.close()
        print_run(run)
        print(f"  files in {runner.day_dir(business_day)}")
        return 0

    import grpc

    from chaincard.ids import new_id
    from chaincard.rpc.channels import call
    from chaincard.settlement_client import CLOSE_EARLY_METADATA
    from chaincard.v1 import settlement_pb2, settlement_pb2_grpc

    metadata = [(CLOSE_EARLY_METADATA, "1")] if args.close_early else []
    with _channel(args) as channel:
        stub = settlement_pb2_grpc.SettlementServiceStub(channel)
        try:
            run = call(stub.RunSettlement, settlement_pb2.RunSettlementRequest(request_id=new_id(), business_date=args.date),
                       deadline=args.deadline, metadata=metadata).run
        except grpc.RpcError as error:
            return _fail(error)
    print_run(run)
    return 0


# ---- statements ------------------------------------------------------------------------------------
def print_statement(statement: settlement_pb2.Statement, memo: Iterable[object] = ()) -> None:
    from chaincard.money import format_fen
    from settlement.documents import flow_name

    print(f"Statement {statement.statement_id}: {statement.franchisee_name} ({statement.franchisee_id}), "
          f"business day {statement.business_date}")
    schedule = statement.fee_schedule
    print(f"  fee schedule from {schedule.effective_from_business_date}: interchange {schedule.interchange_bp} bp, "
          f"collection {schedule.collection_fee_bp} bp, platform {schedule.platform_fee_bp} bp, coupon {schedule.coupon_fee_bp} bp, "
          f"count uses {schedule.count_use_fee_bp} bp")
    print(f"  {'#':>3} {'flow':<19} {'counterparty':<12} {'store':<9} {'orig. day':<10} {'txns':>5} {'gross':>14} "
          f"{'fee':>11} {'platform':>10} {'net':>14}")
    for line in statement.lines:
        print(f"  {line.line_number:>3} {flow_name(line.flow):<19} {line.counterparty_franchisee_id:<12} {line.store_id:<9} "
              f"{line.original_business_date:<10} {line.transaction_count:>5} {format_fen(line.gross_fen):>14} "
              f"{format_fen(line.counterparty_fee_fen):>11} {format_fen(line.platform_fee_fen):>10} {format_fen(line.net_fen):>14}")
    if not statement.lines:
        print("  (no cross-franchise business)")
    print(f"  receivable {format_fen(statement.receivable_fen)}  payable {format_fen(statement.payable_fen)}  "
          f"platform fees {format_fen(statement.fees_fen)}  NET {format_fen(statement.net_fen)}")
    print(f"  content sha256 {statement.content_sha256_hex}")


def _statement_request(args: argparse.Namespace) -> settlement_pb2.GetStatementRequest:
    from chaincard.v1 import settlement_pb2

    if not args.id and not (args.franchisee and args.date):
        raise SystemExit("give --id, or --franchisee and --date")
    return settlement_pb2.GetStatementRequest(statement_id=args.id or "", franchisee_id=args.franchisee or "",
                                              business_date=args.date or "")


def run_statement_show(args: argparse.Namespace) -> int:
    request = _statement_request(args)
    if args.database_url:
        from chaincard.errors import ChainCardError
        from settlement.statements import load_statement, parse_day

        try:
            with _direct_sessions(args)() as session:
                statement = load_statement(session, statement_id=request.statement_id, franchisee_id=request.franchisee_id,
                                           business_date=parse_day("date", request.business_date, required=not request.statement_id))
        except ChainCardError as error:
            return _fail(error)
        print_statement(statement)
        return 0
    import grpc

    from chaincard.rpc.channels import call
    from chaincard.v1 import settlement_pb2_grpc

    with _channel(args) as channel:
        try:
            statement = call(settlement_pb2_grpc.SettlementServiceStub(channel).GetStatement, request).statement
        except grpc.RpcError as error:
            return _fail(error)
    print_statement(statement)
    return 0


def run_statement_export(args: argparse.Namespace) -> int:
    formats = list(FORMAT_NAMES) if args.format == "all" else [args.format]
    out_dir = Path(args.out)
    if args.database_url:
        from chaincard.errors import ChainCardError
        from settlement import documents
        from settlement.statements import load_document

        try:
            with _direct_sessions(args)() as session:
                document = load_document(session, args.id)
        except ChainCardError as error:
            return _fail(error)
        out_dir.mkdir(parents=True, exist_ok=True)
        for file_format in formats:
            content = documents.render(document, file_format)
            target = out_dir / document.file_name(file_format)
            target.write_bytes(content)
            print(f"{target}  sha256 {hashlib.sha256(content).hexdigest()}")
        return 0
    import grpc

    from chaincard.settlement_client import export_statement_files

    try:
        with _channel(args) as channel:
            written = export_statement_files(channel, args.id, formats, out_dir)
    except grpc.RpcError as error:
        return _fail(error)
    for target, digest in written:
        print(f"{target}  sha256 {digest}")
    return 0


def run_statement_list(args: argparse.Namespace) -> int:
    from chaincard.money import format_fen
    from chaincard.v1 import settlement_pb2

    request = settlement_pb2.ListStatementsRequest(franchisee_id=args.franchisee or "", start_business_date=args.start or "",
                                                   end_business_date=args.end or "", page_size=1000)
    if args.database_url:
        from settlement.queries import list_statements

        with _direct_sessions(args)() as session:
            answer = list_statements(session, request)
    else:
        import grpc

        from chaincard.rpc.channels import call
        from chaincard.v1 import settlement_pb2_grpc

        with _channel(args) as channel:
            try:
                answer = call(settlement_pb2_grpc.SettlementServiceStub(channel).ListStatements, request)
            except grpc.RpcError as error:
                return _fail(error)
    for summary in answer.statements:
        print(f"{summary.business_date}  {summary.franchisee_id:<12} net {format_fen(summary.net_fen):>16}  "
              f"{summary.line_count:>5} lines  {summary.statement_id}")
    if not answer.statements:
        print("(no statements)")
    return 0


def run_statement_verify(args: argparse.Namespace) -> int:
    """Check a settled day's folder: the manifest's signature, every file's SHA-256; 1 on any mismatch."""
    from settlement.bootstrap import statements_dir
    from settlement.manifests import verify_day_folder

    root = Path(args.statements_dir) if args.statements_dir else statements_dir(load_settings(args.config))
    folder = root / date.fromisoformat(args.date).isoformat()
    trusted = Path(args.public_key).read_bytes() if args.public_key else None
    checks = verify_day_folder(folder, trusted_public_key_pem=trusted)
    print(f"Verifying business day {args.date} in {folder}")
    for check in checks:
        print(f"  {'OK  ' if check.ok else 'FAIL'}  {check.subject:<32} {check.detail}")
    failed = sum(1 for check in checks if not check.ok)
    if failed:
        print(f"{failed} of {len(checks)} checks FAILED: these files are not the ones the settlement run signed")
        return 1
    print(f"all {len(checks)} checks passed")
    return 0


# ---- the clearing ledger ---------------------------------------------------------------------------
def run_clearing_postings(args: argparse.Namespace) -> int:
    """The ids of business day ``--date``'s postings in the clearing ledger, one a line."""
    from chaincard.db.engine import make_engine, make_session_factory
    from settlement.queries import clearing_transaction_ids

    database_url = args.database_url
    if not database_url:
        from chaincard.chain_state import ChainState

        try:
            database_url = ChainState.load(Path(args.data_dir)).database_urls["settlement"]
        except (FileNotFoundError, KeyError):
            print(f"give --database-url of the settlement database (no running local chain in {args.data_dir})",
                  file=sys.stderr)
            return 2
    engine = make_engine(database_url, pool_size=1)
    try:
        with make_session_factory(engine)() as session:
            transaction_ids = clearing_transaction_ids(session, date.fromisoformat(args.date))
    finally:
        engine.dispose()
    for transaction_id in transaction_ids:
        print(transaction_id)
    return 0


# ---- parser ----------------------------------------------------------------------------------------
def _connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", help="the settlement service host:port (default: the running local chain's)")
    parser.add_argument("--database-url", help="work straight on this settlement database instead of the service")
    parser.add_argument("--config", help="TOML settings file (also CHAINCARD_CONFIG)")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="the local chain's data directory")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001 - argparse has no public type for it
    """Add this package's subcommands to the ``chaincard`` command."""
    settle = commands.add_parser("settle", help="settle one business day (idempotent: a settled day is returned as it was)")
    settle.add_argument("--date", required=True, help="business date YYYY-MM-DD")
    settle.add_argument("--close-early", action="store_true",
                        help="settle the day before its cut-off (later records become next run's adjustments)")
    settle.add_argument("--hq", help="HQ endpoint for the fee schedule (with --database-url)")
    settle.add_argument("--statements-dir", help="where files go (with --database-url; default ./.chaincard/statements)")
    settle.add_argument("--deadline", type=float, default=600.0, help="seconds to wait for the run (default 600)")
    _connection_flags(settle)
    settle.set_defaults(handler=run_settle)

    statement = commands.add_parser("statement", help="franchise settlement statements")
    statement_commands = statement.add_subparsers(dest="statement_command", required=True)
    show = statement_commands.add_parser("show", help="print a statement with its lines")
    show.add_argument("--id", help="statement id, e.g. ST-2026-11-20-F-AURORA")
    show.add_argument("--franchisee", help="franchisee id (with --date)")
    show.add_argument("--date", help="business date YYYY-MM-DD (with --franchisee)")
    _connection_flags(show)
    show.set_defaults(handler=run_statement_show)
    export = statement_commands.add_parser("export", help="write a statement's CSV, XLSX or PDF file")
    export.add_argument("--id", required=True, help="statement id")
    export.add_argument("--format", choices=[*FORMAT_NAMES, "all"], default="all")
    export.add_argument("--out", default=".", help="directory to write into (default: here)")
    _connection_flags(export)
    export.set_defaults(handler=run_statement_export)
    listing = statement_commands.add_parser("list", help="statement summaries, newest first")
    listing.add_argument("--franchisee")
    listing.add_argument("--from", dest="start", help="first business date")
    listing.add_argument("--to", dest="end", help="last business date")
    _connection_flags(listing)
    listing.set_defaults(handler=run_statement_list)
    verify = statement_commands.add_parser(
        "verify", help="check a settled day's files against the signed manifest (offline: reads files only)")
    verify.add_argument("--date", required=True, help="business date YYYY-MM-DD")
    verify.add_argument("--statements-dir", help="the directory holding <date>/ (default: the statements_dir setting)")
    verify.add_argument("--public-key", help="the settlement service's public key (PEM) to trust; default: the one beside the files")
    verify.add_argument("--config", help="TOML settings file (also CHAINCARD_CONFIG)")
    verify.set_defaults(handler=run_statement_verify)

    clearing = commands.add_parser("clearing", help="the clearing ledger: the postings settlement took in")
    clearing_commands = clearing.add_subparsers(dest="clearing_command", required=True)
    postings = clearing_commands.add_parser(
        "postings", help="the ids of a business day's postings that reached the clearing ledger, one a line")
    postings.add_argument("--date", required=True, help="business date YYYY-MM-DD")
    postings.add_argument("--database-url", help="the settlement database (default: the running local chain's)")
    postings.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="the local chain's data directory")
    postings.set_defaults(handler=run_clearing_postings)
