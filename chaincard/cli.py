"""The ``chaincard`` command: run a service, a whole chain, the demo, or ask a running chain things."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from chaincard.config import Settings, load_settings
from chaincard.console import cli as console_cli
from chaincard.ids import is_ascii_digits
from chaincard.logs import configure_logging
from chaincard.security import cli as security_cli

if TYPE_CHECKING:
    from chaincard.chain_state import ChainState
    from chaincard.rpc.server import RunningServer

DEFAULT_DATA_DIR = Path(".chaincard")
log = logging.getLogger(__name__)


# ---- running one service ---------------------------------------------------------------------------
def _service_settings(args: argparse.Namespace, **extra: object) -> Settings:
    return load_settings(
        args.config, listen=args.listen, database_url=args.database_url, kafka_bootstrap=args.kafka,
        hq_endpoint=args.hq, port_file=args.port_file, tls_dir=args.tls_dir, insecure=args.insecure or None, **extra,
    )


def _serve(process_name: str, start: Callable[[Settings], RunningServer], settings: Settings) -> int:
    from chaincard.events.connection import KafkaConnection, use_connection
    from chaincard.observability.metrics import serve_metrics
    from chaincard.observability.tracing import configure_tracing, otlp_endpoint, shutdown_tracing
    from chaincard.rpc.server import serve_until_signalled, write_port_file

    configure_logging(process_name, settings.log_level)
    use_connection(KafkaConnection.from_settings(settings))  # every Kafka client of this process
    # Before start: the channels a service opens carry trace context only when tracing is on by then.
    configure_tracing(process_name, otlp_endpoint(settings.otlp_endpoint))
    if settings.metrics_listen:
        metrics_port = serve_metrics(settings.metrics_listen)
        write_port_file(settings.metrics_port_file, metrics_port)
        log.info("metrics served", extra={"fields": {"metrics": f"{settings.metrics_listen.rpartition(':')[0]}:{metrics_port}"}})
    running = start(settings)
    running.on_stop.insert(0, shutdown_tracing)  # stopped last (callbacks run in reverse): spans of the drain go out
    # What start-up built (modules, schemas, caches) lives as long as the process: freeze it out of
    # the collector, whose full passes would otherwise walk it all and stall every call meanwhile.
    gc.collect()
    gc.freeze()
    write_port_file(settings.port_file, running.port)
    serve_until_signalled(running)
    return 0


# ---- the supervisor's dispatch ----------------------------------------------------------------------
# The only imports of service packages in the shared core, allowed by name in the import-linter
# contract (pyproject.toml): each service's bootstrap, to run it as this process, and each
# service's own CLI module, whose subcommands it adds. Nothing else of a service is reached from here.
def run_hq(args: argparse.Namespace) -> int:
    from hq_service.bootstrap import start_hq

    return _serve("hq", start_hq, _service_settings(args))


def run_region(args: argparse.Namespace) -> int:
    if not args.code:
        print("chaincard region: the region service needs --code (e.g. --code E)", file=sys.stderr)
        return 2
    from region_service.bootstrap import start_region

    return _serve(f"region-{args.code}", start_region, _service_settings(args, region_code=args.code))


def run_relay(args: argparse.Namespace) -> int:
    from region_service.bootstrap import start_relay

    return _serve(f"relay-{args.code}", start_relay, _service_settings(args, region_code=args.code))


def run_store(args: argparse.Namespace) -> int:
    from store_agent.bootstrap import start_store

    settings = _service_settings(args, store_id=args.id, region_endpoint=args.region)
    return _serve(f"store-{args.id}", start_store, settings)


def run_settlement(args: argparse.Namespace) -> int:
    from settlement.bootstrap import start_settlement

    return _serve("settlement", start_settlement, _service_settings(args))


def _add_service_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser], hq: argparse.ArgumentParser,
                          region: argparse.ArgumentParser, events: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Each service's CLI module adds its own subcommands, written beside that service's code:
    top-level ones (``add_commands``), and its operations under ``chaincard hq …`` / ``chaincard
    region …``. ``chaincard events replay`` is the regions' replay (``chaincard region replay``)
    run for every region of the chain."""
    from hq_service import cli as hq_cli
    from region_service import cli as region_cli
    from settlement import cli as settlement_cli
    from store_agent import cli as store_cli

    for module in (hq_cli, settlement_cli, store_cli, region_cli):
        module.add_commands(commands)
    hq_cli.add_hq_commands(hq.add_subparsers(dest="hq_command", metavar="{bootstrap-admin}",
                                             title="HQ's own operations (without one: run the service)"))
    region_cli.add_region_commands(region.add_subparsers(dest="region_command", metavar="{replay,overdrawn,postings,coupons}",
                                                         title="the region's own operations (without one: run the service)"))
    replay = events.add_parser(
        "replay", help="publish again every region event since a moment (after a broker lost data); consumers drop duplicates")
    region_cli.add_replay_flags(replay)


# ---- a whole chain ---------------------------------------------------------------------------------
def _print_chain(state: ChainState) -> None:
    print(f"ChainCard is up. Data in {state.data_dir}")
    print(f"  {'kafka broker':<22} {state.kafka_bootstrap}")
    for process in state.processes:
        metrics = f"metrics: http://{process.metrics}/metrics  " if process.metrics else ""
        print(f"  {process.name:<22} {process.endpoint:<22} {metrics}log: {process.log}")
    print("  Every process serves Prometheus metrics at its metrics: address (`chaincard status` sums the headline figures)")
    if state.insecure:
        print("  INSECURE: plaintext gRPC, nobody is authenticated (development only)")
    else:
        print(f"  mutual TLS with the certificates in {state.tls_dir}; logged in as admin (token in {state.token_file},"
              f" valid 1 hour;\n  log in again: chaincard login admin --password-file {Path(state.data_dir) / 'admin-password'})")


def run_up(args: argparse.Namespace) -> int:
    from chaincard.local import demo_data
    from chaincard.local.chain import Chain

    configure_logging("up")
    if args.region_replicas < 1:
        raise SystemExit("--region-replicas must be at least 1")
    chain = Chain(Path(args.data_dir), pg_dsn=args.pg, kafka_bootstrap=args.kafka, base_port=args.base_port,
                  insecure=args.insecure, level_rules=demo_data.LEVEL_RULES, region_replicas=args.region_replicas)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    state = chain.start()
    _print_chain(state)
    console = console_cli.serve_in_thread(state, args.console) if args.console else None
    print("Press Ctrl-C to stop every process.")
    try:
        stop.wait()
    finally:
        print("\nStopping the chain…")
        if console is not None:
            console.stop()
        chain.stop()
        print("Stopped.")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from chaincard.local import demo_data
    from chaincard.local.chain import Chain
    from chaincard.local.demo import (
        run_cross_region_sale,
        run_nightly_settlement,
        run_offline_store,
        run_reports,
        run_slice,
    )
    from chaincard.local.demo_campaign import run_wake_up_campaign
    from chaincard.local.demo_cards import run_count_card, run_level_and_qr, run_monthly_card
    from chaincard.local.demo_golive import run_company_purchase, run_import, run_recharge_approval
    from chaincard.local.mailbox import LocalMailbox

    configure_logging("demo", "WARNING")
    # HQ's e-mail goes to a local SMTP server the demo starts, and prints from (issue 16 item 9).
    mailbox = LocalMailbox().start()
    chain = Chain(Path(args.data_dir), pg_dsn=args.pg, kafka_bootstrap=args.kafka, base_port=0, insecure=args.insecure,
                  level_rules=demo_data.LEVEL_RULES, hq_env=mailbox.hq_env())
    print("Starting a whole chain: PostgreSQL, Kafka-protocol broker, HQ, 2 regions, 4 stores, settlement…")
    print(f"HQ sends its e-mail to a local SMTP server at {mailbox.host}:{mailbox.port}")
    try:
        state = chain.start()
        _print_chain(state)
        run_slice(state)
        run_cross_region_sale(state)
        run_count_card(state)
        run_monthly_card(state)
        run_level_and_qr(state)
        run_import(state)
        run_company_purchase(state)
        run_offline_store(state, chain)
        run_recharge_approval(state)  # lists S-E-002's staff: its tills name their operator from then on
        run_nightly_settlement(state)
        run_reports(state)
        run_wake_up_campaign(state, mailbox)
    finally:
        chain.stop()
        mailbox.stop()
        print("\nChain stopped.")
    return 0


def run_status_one(args: argparse.Namespace) -> int:
    """``chaincard status --one HOST:PORT``: the gRPC health of one process, for a container's
    probes (Kubernetes' own gRPC probe cannot present the client certificate our servers demand)."""
    from chaincard.rpc.channels import check_health
    from chaincard.rpc.transport import PLAINTEXT, Transport

    settings = load_settings(args.config, tls_dir=args.tls_dir, insecure=args.insecure or None)
    if settings.insecure:
        transport = PLAINTEXT
    elif not args.as_name:
        print("chaincard status --one: name the certificate to present with --as (e.g. --as region:E), "
              "or pass --insecure for a plaintext process", file=sys.stderr)
        return 2
    else:
        transport = Transport.for_service(settings, args.as_name)
    status = check_health(args.one, args.service, deadline=args.deadline, transport=transport)
    print(f"{args.one} {status}")
    return 0 if status == "SERVING" else 1
def run_chaos(args: argparse.Namespace) -> int:
    from chaincard.local.chaos.cli import run_chaos_command

    configure_logging("chaos", "WARNING")
    return run_chaos_command(args)


def run_status(args: argparse.Namespace) -> int:
    from chaincard.chain_state import ChainState
    from chaincard.rpc.channels import check_health

    if args.one:
        return run_status_one(args)
    try:
        state = ChainState.load(Path(args.data_dir))
    except FileNotFoundError:
        print(f"no chain is running from {args.data_dir} (start one with `chaincard up`)")
        return 1
    failing = 0
    for process in state.processes:
        status = check_health(process.endpoint, transport=state.operator_transport(token=""))
        failing += status != "SERVING"
        print(f"{process.name:<22} {process.endpoint:<22} {status}")
    # The headline figures, summed over every process's /metrics (docs/adr/0051).
    from chaincard.observability.headline import headline

    served = [(process.name, process.metrics) for process in state.processes if process.metrics]
    if served:
        figures = headline(served)
        for line in figures.lines():
            print(f"{'metrics':<22} {line}")
        if figures.unreachable:
            print(f"{'metrics':<22} not answering: {', '.join(figures.unreachable)}")
    # Consumer lag: records each group has not committed yet (committed offsets vs the topics' ends).
    from chaincard.chain_state import deployment_of, region_codes_of
    from chaincard.events.lag import consumer_lag

    try:
        for group in consumer_lag(state.kafka_bootstrap, deployment_of(state), timeout=3.0, region_codes=region_codes_of(state)):
            print(f"{'consumer group':<22} {group.group_id:<44} lag {group.lag} (records not yet committed)")
    except Exception as error:  # noqa: BLE001 - status must print whatever the broker does
        print(f"{'consumer lag':<22} unknown: the broker at {state.kafka_bootstrap} did not answer ({type(error).__name__})")
    return 1 if failing else 0


# ---- schemas, before the code that needs them -----------------------------------------------------
# `chaincard migrate SERVICE`: the package whose migrations/ that service's database follows.
MIGRATED_PACKAGES = {"hq": "hq_service", "region": "region_service", "settlement": "settlement", "store": "store_agent"}


def run_migrate(args: argparse.Namespace) -> int:
    """``chaincard migrate SERVICE``: upgrade one service's database to this release's schema, alone
    (a Kubernetes Job before the Deployments roll; every service also does it when it starts)."""
    from chaincard.db.migrate import upgrade_to_head

    settings = load_settings(args.config, database_url=args.database_url)
    if not settings.database_url:
        print("chaincard migrate: give the database (--database-url or CHAINCARD_DATABASE_URL)", file=sys.stderr)
        return 2
    configure_logging(f"migrate-{args.service}", settings.log_level)
    upgrade_to_head(MIGRATED_PACKAGES[args.service], settings.database_url)
    print(f"{args.service}: the schema is at this release's head")
    return 0


# ---- the event pipeline, chain-wide --------------------------------------------------------------
def run_events_lag(args: argparse.Namespace) -> int:
    from chaincard.chain_state import deployment_of, region_codes_of
    from chaincard.events.connection import KafkaConnection, use_connection
    from chaincard.events.lag import consumer_lag
    from chaincard.security.cli import chain_state

    state = chain_state(args.data_dir)
    settings = load_settings(args.config)
    use_connection(KafkaConnection.from_settings(settings))
    kafka = args.kafka or (state.kafka_bootstrap if state else settings.kafka_bootstrap)
    deployment = args.deployment or (deployment_of(state) if state else settings.deployment)
    for group in consumer_lag(kafka, deployment, region_codes=region_codes_of(state) if state else []):
        print(f"{group.group_id:<40} lag {group.lag:>8}   ({group.end} records in its topics)")
    return 0


# ---- asking a running chain --------------------------------------------------------------------
def run_member_show(args: argparse.Namespace) -> int:
    import grpc

    from chaincard.local.demo import print_member_view
    from chaincard.rpc.channels import call
    from chaincard.security.cli import hq_endpoint, operator_channel
    from chaincard.v1 import member_view_pb2, member_view_pb2_grpc

    with operator_channel(hq_endpoint(args), args.data_dir, expected_server="hq") as channel:
        stub = member_view_pb2_grpc.MemberViewServiceStub(channel)
        request = member_view_pb2.GetMemberViewRequest()
        if is_ascii_digits(args.key) and len(args.key) >= 15:
            request.card_number = args.key
        else:
            request.phone = args.key
        try:
            view = call(stub.GetMemberView, request)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    print_member_view(view)
    return 0


# ---- argument parsing ------------------------------------------------------------------------------
def _add_service_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML settings file (also CHAINCARD_CONFIG)")
    parser.add_argument("--listen", help="host:port to serve gRPC on")
    parser.add_argument("--database-url", help="SQLAlchemy URL of this service's database")
    parser.add_argument("--kafka", help="Kafka bootstrap servers host:port")
    parser.add_argument("--hq", help="HQ endpoint host:port")
    parser.add_argument("--port-file", help="write the bound port to this file once serving")
    parser.add_argument("--tls-dir", help="the chain's certificates directory (`chaincard certs init`; also CHAINCARD_TLS_DIR)")
    parser.add_argument("--insecure", action="store_true",
                        help="plaintext gRPC without certificates or authentication of services: development only")




def _add_status_flags(status: argparse.ArgumentParser) -> None:
    status.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    # One process, not a local chain: what a container's liveness and readiness probes run.
    status.add_argument("--one", metavar="HOST:PORT", help="check only the gRPC health of the process at HOST:PORT "
                        "(exit 0 if SERVING): a container's probe")
    status.add_argument("--as", dest="as_name", metavar="NAME",
                        help="with --one: the certificate to present, e.g. hq or region:E (from --tls-dir)")
    status.add_argument("--service", default="", help="with --one: the gRPC service to ask about (default: the whole server)")
    status.add_argument("--deadline", type=float, default=2.0, help="with --one: seconds to wait for the answer")
    status.add_argument("--tls-dir", help="with --one: the certificates directory (also CHAINCARD_TLS_DIR)")
    status.add_argument("--insecure", action="store_true", help="with --one: plaintext gRPC (development only)")
    status.add_argument("--config", help="with --one: TOML settings file (also CHAINCARD_CONFIG)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chaincard", description="ChainCard: one member card for every store of a chain.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run a whole demo chain on this machine until Ctrl-C")
    demo = commands.add_parser("demo", help="bring a chain up, run the scripted demo, stop it")
    for sub, default_dir in ((up, DEFAULT_DATA_DIR), (demo, DEFAULT_DATA_DIR / "demo")):
        sub.add_argument("--data-dir", default=str(default_dir), help=f"where the chain keeps its data (default {default_dir})")
        sub.add_argument("--pg", help="use this PostgreSQL server (DSN) instead of an embedded one")
        sub.add_argument("--kafka", help="use this Kafka bootstrap host:port instead of the local broker")
        sub.add_argument("--insecure", action="store_true",
                         help="plaintext gRPC, no certificates and no log-in: development only")
    up.add_argument("--base-port", type=int, default=47100, help="first port of the chain's services (0: any free ports)")
    up.add_argument("--region-replicas", type=int, default=1, metavar="N",
                    help="region_service processes per region over its one database, each on its own port; store "
                         "agents and other regions balance over them and fail over when one dies (default 1)")
    up.add_argument("--console", nargs="?", const=console_cli.DEFAULT_LISTEN, metavar="HOST:PORT",
                    help=f"also serve the web console (default address {console_cli.DEFAULT_LISTEN}); "
                         "or run `chaincard console` beside it")
    up.set_defaults(handler=run_up)
    demo.set_defaults(handler=run_demo)

    chaos = commands.add_parser("chaos", help="a seeded chaos run: load and injected faults on a whole chain, then its invariants")
    from chaincard.local.chaos.cli import add_chaos_arguments

    add_chaos_arguments(chaos)
    chaos.set_defaults(handler=run_chaos)

    status = commands.add_parser("status", help="health of every process of the running chain; non-zero if any is not serving")
    _add_status_flags(status)
    status.set_defaults(handler=run_status)

    hq = commands.add_parser("hq", help="run hq_service (or one of HQ's own operations)")
    _add_service_flags(hq)
    hq.set_defaults(handler=run_hq)
    region = commands.add_parser("region", help="run one region_service (or one of the region's own operations)")
    _add_service_flags(region)
    region.add_argument("--code", help="region code, e.g. E (required to run the service)")
    region.set_defaults(handler=run_region)
    relay = commands.add_parser("relay", help="run the outbox relay of one region alone (its region then runs with "
                                             "CHAINCARD_RELAY_IN_PROCESS=0)")
    _add_service_flags(relay)
    relay.add_argument("--code", required=True, help="region code, e.g. E")
    relay.set_defaults(handler=run_relay)
    store = commands.add_parser("store", help="run one store agent")
    _add_service_flags(store)
    store.add_argument("--id", required=True, help="store id, e.g. S-E-001")
    store.add_argument("--region", required=True,
                       help="the store's region: host:port, several replicas' ip:port comma-separated, "
                            "or dns:///name:port (calls balanced round robin)")
    store.set_defaults(handler=run_store)
    settlement = commands.add_parser("settlement", help="run the settlement service")
    _add_service_flags(settlement)
    settlement.set_defaults(handler=run_settlement)

    migrate = commands.add_parser("migrate", help="upgrade one service's database schema to this release "
                                                 "(before rolling out the code; services also do it at start)")
    migrate.add_argument("service", choices=sorted(MIGRATED_PACKAGES), help="whose schema")
    migrate.add_argument("--database-url", help="the service's database (also CHAINCARD_DATABASE_URL)")
    migrate.add_argument("--config", help="TOML settings file (also CHAINCARD_CONFIG)")
    migrate.set_defaults(handler=run_migrate)

    member = commands.add_parser("member", help="members in HQ's chain-wide view")
    member_commands = member.add_subparsers(dest="member_command", required=True)
    show = member_commands.add_parser("show", help="a member's cards, balances and recent transactions")
    show.add_argument("key", help="phone number or card number")
    show.add_argument("--hq", help="HQ endpoint (default: the running local chain's)")
    show.add_argument("--config")
    show.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    show.set_defaults(handler=run_member_show)

    events = commands.add_parser("events", help="the event pipeline: replay retained outbox events, consumer lag")
    event_commands = events.add_subparsers(dest="events_command", required=True)
    lag = event_commands.add_parser("lag", help="records each consumer group has not yet committed")
    lag.add_argument("--kafka")
    lag.add_argument("--deployment", help="deployment name (Settings.deployment)")
    lag.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    lag.add_argument("--config")
    lag.set_defaults(handler=run_events_lag)

    console_cli.add_command(commands)
    security_cli.add_commands(commands)
    _add_service_commands(commands, hq, region, event_commands)
    return parser


def _traced(args: argparse.Namespace) -> int:
    """Run a one-off command (a till's sale, an operator's tool) in a span of its own when an OTLP
    endpoint is configured, so the till → store agent hop starts the trace; a ``TRACEPARENT``
    environment variable (OpenTelemetry's environment carrier) makes it part of a caller's trace."""
    import os

    from chaincard.observability import tracing

    endpoint = tracing.otlp_endpoint(os.environ.get("CHAINCARD_OTLP_ENDPOINT", ""))
    if not tracing.configure_tracing("cli", endpoint):
        return int(args.handler(args))
    from opentelemetry.trace import SpanKind

    try:
        with tracing.tracer().start_as_current_span(
                f"chaincard {args.command}", context=tracing.context_of(os.environ.get("TRACEPARENT", "")), kind=SpanKind.CLIENT):
            return int(args.handler(args))
    finally:
        tracing.shutdown_tracing()  # flush before the process ends


# Long-running processes: each sets up its own tracing (``_serve``) or none (the local supervisor).
_LONG_RUNNING = frozenset({run_hq, run_region, run_relay, run_store, run_settlement, run_up, run_demo, console_cli.run_console})


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] == ["status"] and "--one" in arguments:
        # A container's probe runs this every few seconds: parse `status` alone, without importing
        # every service's commands (half the probe's CPU).
        status = argparse.ArgumentParser(prog="chaincard status")
        _add_status_flags(status)
        return run_status(status.parse_args(arguments[1:]))
    args = build_parser().parse_args(arguments)
    if args.handler in _LONG_RUNNING:
        return int(args.handler(args))
    return _traced(args)


if __name__ == "__main__":
    sys.exit(main())
