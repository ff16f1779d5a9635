"""The client side: logging in (``chaincard login``), keeping the token, sending it on every call."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import grpc

from chaincard.ids import new_id
from chaincard.security.tls import TlsFiles, channel_credentials
from chaincard.v1 import operators_pb2, operators_pb2_grpc

DEFAULT_TOKEN_FILE = Path("~/.config/chaincard/token.json")


def bearer_metadata(token: str) -> tuple[tuple[str, str], ...]:
    """Per-call metadata carrying ``token``: ``stub.Method(request, metadata=bearer_metadata(t))``."""
    return (("authorization", f"Bearer {token}"),)


class _BearerToken(grpc.AuthMetadataPlugin):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback) -> None:
        callback(bearer_metadata(self._token), None)


def operator_channel_credentials(files: TlsFiles, token: str) -> grpc.ChannelCredentials:
    """mTLS with the client's certificate plus the token on every call of the channel."""
    return grpc.composite_channel_credentials(
        channel_credentials(files), grpc.metadata_call_credentials(_BearerToken(token), name="chaincard-operator")
    )


def issue_token(
    channel: grpc.Channel, login_name: str, password: str, *, request_id: str | None = None, deadline: float = 10.0
) -> operators_pb2.IssueTokenResponse:
    """Log in at HQ: exchange a login name and password for a signed token (UNAUTHENTICATED on
    bad credentials). Retrying with the same ``request_id`` returns the same token."""
    stub = operators_pb2_grpc.OperatorServiceStub(channel)
    request = operators_pb2.IssueTokenRequest(request_id=request_id or new_id(), login_name=login_name, password=password)
    return stub.IssueToken(request, timeout=deadline)


@dataclass(frozen=True)
class SavedToken:
    token: str
    token_id: str
    expires_at: int
    operator_id: str

    def expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at


def save_token(response: operators_pb2.IssueTokenResponse, path: str | os.PathLike[str] = DEFAULT_TOKEN_FILE) -> Path:
    """Keep the token for later commands, readable by its owner only (mode 0600)."""
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"token": response.token, "token_id": response.token_id,
                       "expires_at": response.expires_at.seconds, "operator_id": response.operator.operator_id})
    temporary = target.with_name(target.name + ".tmp")
    if temporary.exists():
        temporary.unlink()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(body)
    temporary.replace(target)
    return target


def load_token(path: str | os.PathLike[str] = DEFAULT_TOKEN_FILE) -> SavedToken | None:
    """The saved token, or None when there is none or it has expired."""
    target = Path(path).expanduser()
    if not target.exists():
        return None
    raw = json.loads(target.read_text())
    saved = SavedToken(token=raw["token"], token_id=raw["token_id"], expires_at=int(raw["expires_at"]),
                       operator_id=raw.get("operator_id", ""))
    return None if saved.expired() else saved
