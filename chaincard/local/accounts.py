"""Operator accounts of a local chain: made by its HQ admin, logged in over gRPC like anyone else.

The demo and the tests act as a finance officer, a franchisee's admin, an auditor … this way. Each
account's password is generated once and kept in ``<data dir>/operator-passwords/<id>`` (0600), so
a restarted chain logs the same accounts in again.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import grpc

from chaincard.chain_state import ChainState
from chaincard.ids import new_id
from chaincard.rpc.channels import call
from chaincard.security.client import issue_token
from chaincard.security.identity import Role, Scope
from chaincard.v1 import operators_pb2, operators_pb2_grpc

PASSWORDS_DIR = "operator-passwords"


def _password_of(data_dir: str, operator_id: str) -> str:
    folder = Path(data_dir) / PASSWORDS_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / operator_id
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(18))
    return path.read_text().strip()


def ensure_operator(state: ChainState, operator_id: str, role: Role, scope: Scope, *, display_name: str = "") -> str:
    """Create or update the operator as the chain's HQ admin (the saved admin token); returns its password."""
    return _ensure(state, operator_id, role, scope, display_name)[0]


def operator_token(state: ChainState, operator_id: str, role: Role, scope: Scope, *, display_name: str = "") -> str:
    """A fresh token of the operator (created first if need be), from HQ's IssueToken."""
    return _ensure(state, operator_id, role, scope, display_name)[1]


def _ensure(state: ChainState, operator_id: str, role: Role, scope: Scope, display_name: str) -> tuple[str, str]:
    """Upsert the operator, log it in; returns (password, token)."""
    password = _password_of(state.data_dir, operator_id)
    operator = operators_pb2.Operator(operator_id=operator_id, login_name=operator_id, display_name=display_name or operator_id,
                                      role=role.to_proto(), scope=scope.to_proto(), active=True)
    with state.channel("hq") as channel:
        operators = operators_pb2_grpc.OperatorServiceStub(channel)
        call(operators.UpsertOperator,
             operators_pb2.UpsertOperatorRequest(request_id=new_id(), operator=operator, initial_password=password))
        token = _log_in(state, operator_id, password)
        if token is None:
            # The account outlived an older data directory (a chain on a lasting PostgreSQL): the
            # admin sets the password this directory holds.
            call(operators.SetOperatorPassword, operators_pb2.SetOperatorPasswordRequest(
                request_id=new_id(), operator_id=operator_id, new_password=password))
            token = _log_in(state, operator_id, password)
    assert token is not None, f"{operator_id} cannot log in with the password just set"
    return password, token


def _log_in(state: ChainState, operator_id: str, password: str) -> str | None:
    """The operator's token, or None when HQ refuses the password."""
    with state.channel("hq", token="") as channel:
        try:
            return issue_token(channel, operator_id, password).token
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAUTHENTICATED:
                raise
            return None
