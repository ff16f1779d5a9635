"""Transaction history with paging (newest first) and receipt text."""

from __future__ import annotations

import base64
from datetime import datetime

from sqlalchemy import and_, or_, select

from chaincard.errors import InvalidArgument
from chaincard.v1 import transactions_pb2
from region_service import validation
from region_service.context import RegionContext
from region_service.handlers.cards import load_card
from region_service.models import LedgerTransaction
from region_service.translate import transaction_message

DEFAULT_PAGE = 20
MAX_PAGE = 200


def _decode_token(token: str) -> tuple[str, str] | None:
    if not token:
        return None
    try:
        created_at, transaction_id = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidArgument("page_token", "is not a token this service issued") from error
    return created_at, transaction_id


def list_transactions(ctx: RegionContext, request: transactions_pb2.ListTransactionsRequest) -> transactions_pb2.ListTransactionsResponse:
    number = validation.card_number(request.card_number)
    if request.page_size < 0 or request.page_size > MAX_PAGE:
        raise InvalidArgument("page_size", f"must be between 0 and {MAX_PAGE}")
    size = request.page_size or DEFAULT_PAGE
    after = _decode_token(request.page_token)
    with ctx.session_factory() as session:
        load_card(session, number)
        statement = select(LedgerTransaction).where(LedgerTransaction.card_number == number)
        if after is not None:
            created_at = datetime.fromisoformat(after[0])
            statement = statement.where(
                or_(
                    LedgerTransaction.created_at < created_at,
                    and_(LedgerTransaction.created_at == created_at, LedgerTransaction.transaction_id < after[1]),
                )
            )
        rows = session.execute(
            statement.order_by(LedgerTransaction.created_at.desc(), LedgerTransaction.transaction_id.desc()).limit(size + 1)
        ).scalars().all()
    page, more = rows[:size], len(rows) > size
    token = ""
    if more:
        last = page[-1]
        token = base64.urlsafe_b64encode(f"{last.created_at.isoformat()}|{last.transaction_id}".encode()).decode()
    return transactions_pb2.ListTransactionsResponse(
        transactions=[transaction_message(row, ctx.region_code) for row in page], next_page_token=token
    )
