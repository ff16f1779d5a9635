"""``chaincard console``: serve the web console (uvicorn) for a chain.

Where the chain is: ``--hq`` and ``--settlement`` (and the regions from HQ's directory, or
``--region CODE=HOST:PORT``), with the certificates of ``--tls-dir`` (``--client-cert``, default
``client:ops``); or, with neither, the running local chain of ``--data-dir`` (``chaincard up``).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from chaincard.console.backend import ConsoleTargets
from chaincard.rpc.transport import PLAINTEXT, Transport
from chaincard.signed_manifests import load_trusted_keys

if TYPE_CHECKING:
    import uvicorn

    from chaincard.chain_state import ChainState

DEFAULT_LISTEN = "127.0.0.1:8700"
DEFAULT_CLIENT_CERT = "client:ops"
# Where a local chain's settlement service keeps its signing key (settlement.manifests: beside statements/).
LOCAL_SETTLEMENT_KEY_DIR = "settlement-keys"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--listen", default=DEFAULT_LISTEN, help=f"host:port to serve the console on (default {DEFAULT_LISTEN})")
    parser.add_argument("--hq", help="HQ endpoint host:port (default: the running local chain's)")
    parser.add_argument("--settlement", help="settlement endpoint host:port (default: the running local chain's)")
    parser.add_argument("--region", action="append", default=[], metavar="CODE=HOST:PORT",
                        help="a region's endpoint (default: as HQ's directory lists it); repeatable")
    parser.add_argument("--tls-dir", help="the chain's certificates directory (also CHAINCARD_TLS_DIR)")
    parser.add_argument("--client-cert", default=os.environ.get("CHAINCARD_CLIENT_CERT", DEFAULT_CLIENT_CERT),
                        help=f"the certificate the console presents (default {DEFAULT_CLIENT_CERT})")
    parser.add_argument("--insecure", action="store_true", help="plaintext gRPC to a development chain")
    parser.add_argument("--data-dir", default=".chaincard", help="a local chain's data directory (chain.json)")
    parser.add_argument("--settlement-public-key", action="append", default=[], metavar="PEM",
                        help="the settlement service's manifest signing key to trust (its published "
                             "manifest-public-key.pem); repeatable across key changes. Default: a local chain's own "
                             "key; otherwise none, and statement pages say the signature's key is not trusted")
    parser.add_argument("--https-cert", help="serve HTTPS with this certificate (PEM); cookies are then Secure")
    parser.add_argument("--https-key", help="the private key of --https-cert (PEM)")
    parser.add_argument("--secure-cookies", action="store_true",
                        help="mark cookies Secure (behind a TLS-terminating proxy); implied by --https-cert")
    parser.add_argument("--public-origin", action="append", default=[], metavar="URL",
                        help="the origin browsers reach the console at, e.g. https://console.example.com "
                             "(POSTs from any other are refused); default: the request's own Host")


def targets_from_args(args: argparse.Namespace) -> ConsoleTargets:
    from chaincard.chain_state import ChainState

    state = None
    if not (args.hq and args.settlement):
        try:
            state = ChainState.load(Path(args.data_dir))
        except FileNotFoundError:
            raise SystemExit(f"no running chain in {args.data_dir}: give --hq and --settlement (and --tls-dir)") from None
    hq = args.hq or (state.hq_endpoint if state else "")
    settlement = args.settlement or (state.endpoint_of("settlement") if state else "")
    tls_dir = args.tls_dir or os.environ.get("CHAINCARD_TLS_DIR") or (state.tls_dir if state else "")
    insecure = args.insecure or (state is not None and state.insecure)
    transport: Transport
    if insecure:
        transport = PLAINTEXT
    elif tls_dir:
        transport = Transport.from_directory(tls_dir, args.client_cert)
    else:
        raise SystemExit("mutual TLS is on: give the certificates directory (--tls-dir), or --insecure (development only)")
    regions = {}
    for item in args.region:
        code, _, endpoint = item.partition("=")
        if not code or not endpoint:
            raise SystemExit(f"--region {item!r}: write CODE=HOST:PORT")
        regions[code] = endpoint
    try:
        pinned = load_trusted_keys(args.settlement_public_key)
    except (OSError, ValueError) as error:
        raise SystemExit(f"--settlement-public-key: {error}") from None
    local_keys = str(Path(state.data_dir) / LOCAL_SETTLEMENT_KEY_DIR) if state is not None and not pinned else ""
    return ConsoleTargets(hq_endpoint=hq, settlement_endpoint=settlement, transport=transport, region_endpoints=regions,
                          settlement_public_keys=pinned, local_settlement_key_dir=local_keys)


def run_console(args: argparse.Namespace) -> int:
    import uvicorn

    from chaincard.console.app import create_app
    from chaincard.console.backend import Backend

    host, _, port = args.listen.rpartition(":")
    secure = bool(args.https_cert) or args.secure_cookies
    app = create_app(Backend(targets_from_args(args)), secure_cookies=secure, public_origins=set(args.public_origin))
    scheme = "https" if args.https_cert else "http"
    print(f"ChainCard console on {scheme}://{host or '127.0.0.1'}:{port}/", flush=True)
    uvicorn.run(app, host=host or "127.0.0.1", port=int(port), ssl_certfile=args.https_cert, ssl_keyfile=args.https_key,
                log_level="warning", proxy_headers=False, server_header=False)
    return 0


class ConsoleThread:
    """The console served from a thread of another process (``chaincard up --console``)."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def serve_in_thread(state: ChainState, listen: str) -> ConsoleThread:
    """Serve the console for the local chain ``state`` on ``listen`` in a daemon thread."""
    import uvicorn

    from chaincard.console.app import create_app
    from chaincard.console.backend import Backend

    transport = PLAINTEXT if state.insecure else Transport.from_directory(state.tls_dir, DEFAULT_CLIENT_CERT)
    targets = ConsoleTargets(hq_endpoint=state.hq_endpoint, settlement_endpoint=state.endpoint_of("settlement"),
                             transport=transport,
                             local_settlement_key_dir=str(Path(state.data_dir) / LOCAL_SETTLEMENT_KEY_DIR))
    host, _, port = listen.rpartition(":")
    server = uvicorn.Server(uvicorn.Config(create_app(Backend(targets)), host=host or "127.0.0.1", port=int(port),
                                           log_level="warning", server_header=False))
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    print(f"  {'web console':<22} http://{host or '127.0.0.1'}:{port}/  (log in as admin, password in "
          f"{Path(state.data_dir) / 'admin-password'})", flush=True)
    return ConsoleThread(server, thread)


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001
    parser = commands.add_parser("console", help="serve the web console (HQ, regions, franchisees, store managers)")
    add_arguments(parser)
    parser.set_defaults(handler=run_console)
