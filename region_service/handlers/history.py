"""Transaction history with paging (newest first) and receipt text."""

from __future__ import annotations

import base64
from datetime import datetime

from sqlalchemy import and_, or_, select

from chaincard.errors import InvalidArgument, NotFound
from chaincard.receipts import WIDTH_58MM, WIDTH_80MM, render_document
from chaincard.v1 import common_pb2, transactions_pb2
from region_service import coupon_redemption, validation
from region_service.context import RegionContext
from region_service.models import LedgerTransaction, PostingRecord, ReceiptRecord
from region_service.posting import applied_tender
from region_service.repository import load_card
from region_service.translate import enum_value, transaction_message

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


def get_receipt(ctx: RegionContext, request: transactions_pb2.GetReceiptRequest) -> transactions_pb2.GetReceiptResponse:
    """Reprint (X2) at the requested paper width (58 mm by default)."""
    validation.card_number(request.card_number)
    if not request.transaction_id:
        raise InvalidArgument("transaction_id", "is required")
    width = WIDTH_80MM if request.paper_width == common_pb2.PAPER_WIDTH_80_MM else WIDTH_58MM
    with ctx.session_factory() as session:
        row = session.get(LedgerTransaction, request.transaction_id)
        if row is None or row.card_number != request.card_number:
            raise NotFound(f"no transaction {request.transaction_id} on card {request.card_number}")
        receipt = session.get(ReceiptRecord, request.transaction_id)
        if receipt is None:
            raise NotFound(f"transaction {request.transaction_id} has no receipt")
        lines = render_document(receipt.lines, width)
    return transactions_pb2.GetReceiptResponse(receipt=[common_pb2.ReceiptLine(text=line) for line in lines])


def get_transaction(ctx: RegionContext, request: transactions_pb2.GetTransactionRequest) -> transactions_pb2.GetTransactionResponse:
    validation.card_number(request.card_number)
    if not request.transaction_id:
        raise InvalidArgument("transaction_id", "is required")
    with ctx.session_factory() as session:
        row = session.get(LedgerTransaction, request.transaction_id)
        if row is None or row.card_number != request.card_number:
            raise NotFound(f"no transaction {request.transaction_id} on card {request.card_number}")
        postings = session.execute(
            select(PostingRecord).where(PostingRecord.transaction_id == row.transaction_id).order_by(PostingRecord.posting_id)
        ).scalars()
        return transactions_pb2.GetTransactionResponse(
            transaction=transaction_message(row, ctx.region_code),
            postings=[
                common_pb2.Posting(
                    account_id=posting.account_id,
                    asset=enum_value(common_pb2.Asset, "ASSET_", posting.asset.partition(":")[0]),
                    asset_item=posting.asset.partition(":")[2],
                    direction=enum_value(common_pb2.PostingDirection, "POSTING_DIRECTION_", posting.direction),
                    amount=posting.amount,
                )
                for posting in postings
            ],
            tenders=[applied_tender(tender) for tender in row.details.get("tenders", [])],
            coupons=coupon_redemption.coupon_messages(coupon_redemption.recorded_coupons(row)),
        )
