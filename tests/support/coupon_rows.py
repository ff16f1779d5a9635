"""Coupons for the redemption tests: templates set at HQ, coupons put on a card, and what a region's
database holds of them afterwards (rows, events, the coupon ledger flow), read with plain SQL.

A coupon is put on a card by inserting its row into the card's home region, as issuing would leave
it (the tests of redemption do not depend on how a coupon was issued)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from chaincard.coupons.codes import new_coupon_code
from chaincard.db.base import utc_now
from chaincard.ids import new_id
from chaincard.v1 import program_config_pb2 as pc
from chaincard.v1 import transactions_pb2
from tests.support.sql import execute, rows, scalar

# Region prefixes of the demo chain (chaincard.local.demo_data).
CARD_PREFIX = {"E": "11", "W": "21"}


def cash_voucher(code: str, face_value_fen: int, *, min_spend_fen: int = 0, **fields: Any) -> pc.CouponTemplate:
    return pc.CouponTemplate(code=code, name=code, kind=pc.COUPON_KIND_CASH_VOUCHER, face_value_fen=face_value_fen,
                             min_spend_fen=min_spend_fen, validity_days=30, active=True, **fields)


def percent_off(code: str, discount_bp: int, *, max_discount_fen: int = 0, **fields: Any) -> pc.CouponTemplate:
    return pc.CouponTemplate(code=code, name=code, kind=pc.COUPON_KIND_DISCOUNT, discount_bp=discount_bp,
                             max_discount_fen=max_discount_fen, validity_days=30, active=True, **fields)


def upsert_templates(config: Any, templates: list[pc.CouponTemplate]) -> None:
    """Set ``templates`` at HQ through ``config`` (a ProgramConfigService stub)."""
    for template in templates:
        config.UpsertCouponTemplate(pc.UpsertCouponTemplateRequest(request_id=new_id(), coupon_template=template), timeout=10)


def wait_until_priced(quote: Callable[[transactions_pb2.QuoteCheckoutRequest], transactions_pb2.QuoteCheckoutResponse],
                      request: transactions_pb2.QuoteCheckoutRequest, timeout: float = 30.0) -> None:
    """Until ``quote`` uses every coupon of ``request`` (a region reads HQ's new templates within its
    snapshot's age): the templates have reached the region that answers."""
    deadline = time.monotonic() + timeout
    while True:
        answer = quote(request)
        if len(answer.coupons) == len(request.coupon_codes):
            return
        assert time.monotonic() < deadline, f"the region never priced the coupons: {list(answer.rejected_coupons)}"
        time.sleep(0.5)


def put_coupon(database_url: str, region: str, card_number: str, template_code: str, *,
               valid_from: datetime | None = None, valid_until: datetime | None = None, state: str = "AVAILABLE") -> str:
    """A coupon of ``template_code`` on the card, homed in ``region`` (whose database is given)."""
    now = utc_now()
    code = new_coupon_code(CARD_PREFIX[region])
    execute(database_url, (
        "INSERT INTO coupons (coupon_code, template_code, card_number, state, valid_from, valid_until, issued_at, "
        "issued_reason, issue_key, updated_at) VALUES (:code, :template, :card, :state, :valid_from, :valid_until, :now, "
        "'test', :key, :now)"
    ), code=code, template=template_code, card=card_number, state=state, valid_from=valid_from or now - timedelta(hours=1),
        valid_until=valid_until or now + timedelta(days=30), now=now, key=f"test:{uuid.uuid4()}")
    return code


def coupon(database_url: str, code: str) -> Any:
    """The coupon's row (state, redeemed_transaction_id, redeemed_at, valid_until …)."""
    found = rows(database_url, "SELECT * FROM coupons WHERE coupon_code = :code", code=code)
    assert len(found) == 1, f"no coupon {code}"
    return found[0]


def state_changes(database_url: str, card_number: str) -> int:
    """How many CouponStateChanged events the region wrote for the card's coupons."""
    return int(scalar(database_url, "SELECT COUNT(*) FROM outbox WHERE message_key = :card AND event_type LIKE '%.CouponStateChanged'",
                      card=card_number))


def ledger_transactions(database_url: str, card_number: str) -> list[Any]:
    return rows(database_url, "SELECT transaction_id, type, request_id, details FROM ledger_transactions "
                "WHERE card_number = :card ORDER BY created_at", card=card_number)


def coupon_flow(database_url: str, transaction_ids: list[str]) -> dict[str, int]:
    """Net COUPON_VALUE per (purpose, franchisee) posted by these transactions (credit positive)."""
    if not transaction_ids:
        return {}
    found = rows(database_url, (
        "SELECT a.purpose || ':' || a.franchisee_id AS holder, "
        "SUM(CASE WHEN p.direction = 'CREDIT' THEN p.amount ELSE -p.amount END) AS net "
        "FROM postings p JOIN ledger_accounts a ON a.account_id = p.account_id "
        "WHERE p.asset = 'COUPON_VALUE' AND p.transaction_id = ANY(:ids) GROUP BY holder"
    ), ids=transaction_ids)
    return {row.holder: int(row.net) for row in found}
