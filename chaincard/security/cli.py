"""``chaincard certs init`` and ``chaincard login``, and how every command reaches a chain as an operator.

A command finds its credentials the same way everywhere (:func:`operator_transport`): the running
local chain's state (``<data dir>/chain.json``: its certificates directory, and the token saved in
``<data dir>/token.json``) when there is one; otherwise the environment: ``CHAINCARD_TLS_DIR`` with
the certificate ``CHAINCARD_CLIENT_CERT`` (default ``client:ops``), the token in
``CHAINCARD_TOKEN_FILE`` (default ``~/.config/chaincard/token.json``), or ``CHAINCARD_INSECURE=1``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import grpc

from chaincard.rpc.transport import PLAINTEXT, Transport

if TYPE_CHECKING:
    from chaincard.local.chain import ChainState

DEFAULT_DATA_DIR = Path(".chaincard")
DEFAULT_CLIENT_CERT = "client:ops"


def chain_state(data_dir: str | Path | None) -> ChainState | None:
    """The running local chain's state in ``data_dir`` (default ./.chaincard), or None."""
    from chaincard.chain_state import ChainState

    try:
        return ChainState.load(Path(data_dir or DEFAULT_DATA_DIR))
    except FileNotFoundError:
        return None


def hq_endpoint(args: argparse.Namespace) -> str:
    """HQ's address for a command: ``--hq``, else the running local chain's, else the settings'."""
    if getattr(args, "hq", None):
        return args.hq
    state = chain_state(args.data_dir)
    if state is not None:
        return state.hq_endpoint
    from chaincard.config import load_settings

    return load_settings(args.config).hq_endpoint


def token_file(data_dir: str | Path | None = None) -> Path:
    """Where the operator's token is kept: CHAINCARD_TOKEN_FILE, else the local chain's, else ~/.config."""
    from chaincard.security.client import DEFAULT_TOKEN_FILE

    if os.environ.get("CHAINCARD_TOKEN_FILE"):
        return Path(os.environ["CHAINCARD_TOKEN_FILE"]).expanduser()
    state = chain_state(data_dir)
    return state.token_file if state is not None else DEFAULT_TOKEN_FILE.expanduser()


def operator_transport(data_dir: str | Path | None = None, *, with_token: bool = True) -> Transport:
    """The transport of an operator's command: certificate and saved token (see the module doc)."""
    from chaincard.security.client import load_token

    saved = load_token(token_file(data_dir)) if with_token else None
    token = saved.token if saved is not None else None
    state = chain_state(data_dir)
    if os.environ.get("CHAINCARD_TLS_DIR"):
        return Transport.from_directory(os.environ["CHAINCARD_TLS_DIR"],
                                        os.environ.get("CHAINCARD_CLIENT_CERT", DEFAULT_CLIENT_CERT), token)
    if state is not None and state.tls_dir:
        return Transport.from_directory(state.tls_dir, DEFAULT_CLIENT_CERT, token)
    if (state is not None and state.insecure) or os.environ.get("CHAINCARD_INSECURE", "").lower() in ("1", "true", "yes"):
        return PLAINTEXT.with_token(token)
    raise SystemExit("no certificates to reach the chain: start one with `chaincard up`, or set CHAINCARD_TLS_DIR "
                     "(and CHAINCARD_CLIENT_CERT), or CHAINCARD_INSECURE=1 for a development chain")


def operator_channel(endpoint: str, data_dir: str | Path | None = None, *, expected_server: str | None = None) -> grpc.Channel:
    """A channel to ``endpoint`` as the logged-in operator (see :func:`operator_transport`)."""
    from chaincard.rpc.channels import open_channel

    return open_channel(endpoint, operator_transport(data_dir), expected_server=expected_server)


# ---- chaincard certs init --------------------------------------------------------------------------
def run_certs_init(args: argparse.Namespace) -> int:
    from chaincard.security.certs import DEFAULT_HOSTS, chain_certificate_names, init_certificates

    names = chain_certificate_names(args.region, args.store, clients=args.client or ["ops"])
    names += [f"pos:{store}" for store in args.store]
    # The names stores and tools dial (e.g. the region's load balancer): a store agent checks the
    # region's certificate against the host it dialled. Only newly issued certificates carry them.
    issued = init_certificates(args.dir, names, hosts=(*DEFAULT_HOSTS, *args.host))
    print(f"Chain CA and {len(issued.issued)} certificates in {issued.directory} (existing ones kept):")
    for name, item in issued.issued.items():
        print(f"  {name:<22} {item.certificate}")
    print("Keep ca.key offline once every certificate is issued; give each service only its own files.")
    return 0


# ---- chaincard login -------------------------------------------------------------------------------
def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        return Path(args.password_file).read_text().strip()
    if os.environ.get("CHAINCARD_PASSWORD"):
        return os.environ["CHAINCARD_PASSWORD"]
    if not sys.stdin.isatty():
        raise SystemExit("no password: give --password-file or CHAINCARD_PASSWORD (standard input is not a terminal)")
    return getpass.getpass(f"password for {args.login}: ")


def run_login(args: argparse.Namespace) -> int:
    from chaincard.rpc.channels import open_channel
    from chaincard.security.client import issue_token, save_token

    endpoint = hq_endpoint(args)
    transport = operator_transport(args.data_dir, with_token=False)
    try:
        with open_channel(endpoint, transport, expected_server=None if transport.tls is None else "hq") as channel:
            answer = issue_token(channel, args.login, _password(args))
    except grpc.RpcError as error:
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    path = save_token(answer, token_file(args.data_dir))
    print(f"Logged in as {answer.operator.operator_id} until {answer.expires_at.ToDatetime():%Y-%m-%d %H:%M} UTC; "
          f"token saved in {path}")
    return 0


# ---- chaincard operator add ------------------------------------------------------------------------
def run_operator_add(args: argparse.Namespace) -> int:
    """Create or change an operator account, as the logged-in operator (an HQ or franchisee admin)."""
    from chaincard.errors import ChainCardError
    from chaincard.ids import new_id
    from chaincard.rpc.channels import call
    from chaincard.security.identity import Role, Scope
    from chaincard.v1 import operators_pb2, operators_pb2_grpc

    try:
        role, scope = Role.parse(args.role), Scope.parse(args.scope)
    except (ChainCardError, ValueError) as error:
        print(f"invalid: {error}", file=sys.stderr)
        return 2
    operator = operators_pb2.Operator(operator_id=args.operator_id, login_name=args.login or args.operator_id,
                                      display_name=args.name or args.operator_id, role=role.to_proto(), scope=scope.to_proto(),
                                      active=not args.inactive)
    try:
        with operator_channel(hq_endpoint(args), args.data_dir, expected_server="hq") as channel:
            answer = call(operators_pb2_grpc.OperatorServiceStub(channel).UpsertOperator,
                          operators_pb2.UpsertOperatorRequest(request_id=new_id(), operator=operator,
                                                              initial_password=_password(args)))
    except grpc.RpcError as error:
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    print(f"operator {answer.operator.operator_id} ({answer.operator.login_name}): {role.name} at {scope}"
          f"{'' if answer.operator.active else ', inactive'}")
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    certs = commands.add_parser("certs", help="the chain's certificates (mutual TLS between services)")
    certs_commands = certs.add_subparsers(dest="certs_command", required=True)
    init = certs_commands.add_parser("init", help="make the chain CA (once) and a certificate per service, store and till")
    init.add_argument("--dir", required=True, help="certificates directory (created mode 0700)")
    init.add_argument("--region", action="append", default=[], help="a region code (repeat)")
    init.add_argument("--store", action="append", default=[], help="a store id (repeat): its agent's and tills' certificates")
    init.add_argument("--client", action="append", default=None, help="an operator tool's certificate name (default: ops)")
    init.add_argument("--host", action="append", default=[],
                      help="a DNS name or IP address clients dial, added to the certificates issued now (repeat)")
    init.set_defaults(handler=run_certs_init)

    login = commands.add_parser("login", help="log in at HQ as an operator; the token is saved for later commands")
    login.add_argument("login", help="login name")
    login.add_argument("--password-file", help="read the password from this file (else CHAINCARD_PASSWORD, else a prompt)")
    login.add_argument("--hq", help="HQ endpoint (default: the running local chain's)")
    login.add_argument("--config")
    login.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    login.set_defaults(handler=run_login)

    operator = commands.add_parser("operator", help="operator accounts at HQ (as the logged-in admin)")
    operator_commands = operator.add_subparsers(dest="operator_command", required=True)
    add = operator_commands.add_parser("add", help="create an operator, or change its role, scope or name")
    add.add_argument("operator_id", help="operator id, also the login name unless --login is given")
    add.add_argument("--role", required=True, help="CASHIER, STORE_MANAGER, FRANCHISEE_ADMIN, REGIONAL_MANAGER, "
                                                   "CALL_CENTER, HQ_FINANCE, HQ_ADMIN, AUDITOR, INTEGRATOR or "
                                                   "COMPANY_ADMIN (with --scope company:<id> only)")
    add.add_argument("--scope", required=True, help="chain, region:<code>, franchisee:<id>, store:<id> or company:<id>")
    add.add_argument("--login", help="login name (default: the operator id)")
    add.add_argument("--name", help="display name")
    add.add_argument("--inactive", action="store_true", help="deactivate (revokes the operator's tokens)")
    add.add_argument("--password-file", help="initial password of a new operator (else CHAINCARD_PASSWORD, else a prompt)")
    add.add_argument("--hq", help="HQ endpoint (default: the running local chain's)")
    add.add_argument("--config")
    add.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    add.set_defaults(handler=run_operator_add, login_for_prompt=None)
