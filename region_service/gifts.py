"""Gift stock for points redemption (P2, docs/adr/0022): what a store of this region holds of each
gift, set by its manager, taken by RedeemPoints of a GIFT offer at that store.

The stock lives in the region that serves the store (the gifts are on its shelves, and its agent
talks only to that region). A redemption takes it in the store's region, keyed by the request id
(``gift_stock_takings``), so a retried request takes it once:

- card homed here too: in the redemption's own transaction (region_service.handlers.redemption);
- card homed in another region: here, in a transaction of its own, before the call is forwarded to
  the card's home region; a definite refusal from there puts it back, an answer in doubt
  (UNAVAILABLE, DEADLINE_EXCEEDED) keeps it taken until a retry with the same request id settles it
  (a gift may stay held a while; never handed over twice or without its points).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from chaincard.v1 import directory_pb2
from region_service import audit, validation
from region_service.context import RegionContext
from region_service.models import GiftStock, GiftStockTaking

TAKEN = "TAKEN"
RETURNED = "RETURNED"
MAX_STOCK = 1_000_000
# Refusals that mean the home region wrote nothing: the gift goes back on the shelf.
DEFINITE_REFUSALS = frozenset({"INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION", "PERMISSION_DENIED",
                               "OUT_OF_RANGE", "UNAUTHENTICATED", "RESOURCE_EXHAUSTED"})


def require_own_store(ctx: RegionContext, store: directory_pb2.Store) -> None:
    if store.region_code and store.region_code != ctx.region_code:
        raise FailedPrecondition(f"gifts of store {store.store_id} are kept by its own region {store.region_code}; "
                                 "redeem or stock them through that region")


def set_gift_stock(ctx: RegionContext, *, store_id: str, sku: str, quantity: int, operator_id: str = "") -> int:
    """Set a store's stock of a gift (a manager's count); audited. Returns the stock before."""
    store = ctx.program.store(store_id)
    require_own_store(ctx, store)
    sku = validation.require_text("sku", sku, max_length=64)
    if not 0 <= quantity <= MAX_STOCK:
        raise InvalidArgument("quantity", f"must be between 0 and {MAX_STOCK}")
    with ctx.session_factory.begin() as session:
        row = session.execute(select(GiftStock).where(GiftStock.store_id == store_id, GiftStock.sku == sku)
                              .with_for_update()).scalar_one_or_none()
        before = row.quantity if row is not None else 0
        if row is None:
            session.add(GiftStock(store_id=store_id, sku=sku, quantity=quantity, updated_at=utc_now()))
        else:
            row.quantity, row.updated_at = quantity, utc_now()
        audit.record(session, ctx, action="gift_stock.set", target_type="gift_stock", target_id=f"{store_id}:{sku}",
                     operator_id=operator_id, store_id=store_id, franchisee_id=store.franchisee_id,
                     before={"quantity": before}, after={"quantity": quantity})
    return before


def gift_stock(session: Session, store_id: str, sku: str) -> int:
    held = session.execute(select(GiftStock.quantity).where(GiftStock.store_id == store_id, GiftStock.sku == sku)).scalar()
    return int(held or 0)


def take_gift(session: Session, *, request_id: str, store_id: str, sku: str, quantity: int) -> None:
    """Take ``quantity`` of the gift for this request, once: a request that took it already takes
    nothing more. FAILED_PRECONDITION when the store has too few."""
    existing = session.get(GiftStockTaking, request_id, with_for_update=True)
    if existing is not None and (existing.store_id, existing.sku, existing.quantity) != (store_id, sku, quantity):
        raise AlreadyExists(f"request_id {request_id} already took {existing.quantity} of gift {existing.sku} "
                            f"at {existing.store_id}; use a new request_id for another redemption")
    if existing is not None and existing.state == TAKEN:
        return
    left = session.execute(
        update(GiftStock).where(GiftStock.store_id == store_id, GiftStock.sku == sku, GiftStock.quantity >= quantity)
        .values(quantity=GiftStock.quantity - quantity, updated_at=utc_now()).returning(GiftStock.quantity)
    ).first()
    if left is None:
        raise FailedPrecondition(f"store {store_id} has {gift_stock(session, store_id, sku)} of gift {sku} left; "
                                 f"{quantity} wanted")
    session.execute(
        pg_insert(GiftStockTaking).values(request_id=request_id, store_id=store_id, sku=sku, quantity=quantity, state=TAKEN,
                                          updated_at=utc_now())
        .on_conflict_do_update(index_elements=["request_id"], set_={"state": TAKEN, "updated_at": utc_now()})
    )


def return_gift(ctx: RegionContext, request_id: str) -> None:
    """Put back what ``request_id`` took (its redemption was refused); nothing if it took nothing."""
    with ctx.session_factory.begin() as session:
        taking = session.get(GiftStockTaking, request_id, with_for_update=True)
        if taking is None or taking.state != TAKEN:
            return
        session.execute(update(GiftStock).where(GiftStock.store_id == taking.store_id, GiftStock.sku == taking.sku)
                        .values(quantity=GiftStock.quantity + taking.quantity, updated_at=utc_now()))
        taking.state, taking.updated_at = RETURNED, utc_now()
