"""Who may call the settlement service: its authorising interceptor, with a resolver that places a
statement id at its franchisee (so a franchisee asks for its own statements only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.security.authz import PEERS_OF_SETTLEMENT, AuthorizationInterceptor, Directory
from chaincard.security.guard import hq_token_keys, service_guard
from chaincard.security.identity import Place
from settlement.models import Statement


def statement_place(session_factory: sessionmaker[Session]) -> Callable[[str], Place | None]:
    """statement id → its franchisee; None for an unknown id (the handler then answers NOT_FOUND,
    after the scope check has already refused anyone outside the chain scope)."""

    def place(statement_id: str) -> Place | None:
        with session_factory() as session:
            franchisee = session.scalar(select(Statement.franchisee_id).where(Statement.statement_id == statement_id))
        return Place(franchisee=franchisee) if franchisee else None

    return place


def settlement_guard(settings: Any, session_factory: sessionmaker[Session], hq_channel: grpc.Channel) -> AuthorizationInterceptor:
    return service_guard(
        settings, accepted_peers=PEERS_OF_SETTLEMENT, keys=hq_token_keys(hq_channel, settings),
        directory=Directory(resolvers={"statement": statement_place(session_factory)}),
    )
