"""A chunk of HQ's bulk coupon issue (coupon_issue.proto CouponBatchService, docs/adr/0024): one coupon
of a template to each card of the chunk, exactly once per (job, card).

Each coupon's issue key is ``issue_key_of(job, card)``: the key ``issue_coupons``
(region_service.coupons.issuing) gives the first coupon of the cause ``"bulk:<job id>:<card>"``
(``<cause>:<n>``, n = 0), so a chunk sent again after a crash, or an issue_coupons call for the
same cause, finds the coupon already there. The rows (the fields issue_coupons writes) and their
CouponIssued events (issuing's ``coupon_message``) are written a chunk at a time, one executemany
INSERT each, rather than through issue_coupons a card at a time (a SELECT, an INSERT and an ORM
event per card): 100,000 cards must take well under a few minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from chaincard.coupons.codes import new_coupon_code
from chaincard.coupons.templates import CouponTemplateTerms, issuable_template, validity
from chaincard.db.base import table_of, utc_now
from chaincard.db.dialects import insert_for
from chaincard.db.outbox import outbox_row
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.events import topics
from chaincard.events.envelope import wrap
from chaincard.v1 import coupon_issue_pb2, events_pb2
from region_service import card_states
from region_service.coupons.issuing import AVAILABLE, MAX_REASON, coupon_message
from region_service.models import Card, Coupon, OutboxMessage
from region_service.unit_of_work import RegionUnitOfWork
from region_service.validation import card_number, require_text

MAX_CARDS_PER_CHUNK = 1000
# A fresh code that collides with an existing one (13 random digits) is drawn again, at most this often.
MAX_CODE_DRAWS = 5

SKIP_UNKNOWN = coupon_issue_pb2.BULK_ISSUE_SKIP_REASON_UNKNOWN_CARD
SKIP_NOT_ACTIVE = coupon_issue_pb2.BULK_ISSUE_SKIP_REASON_CARD_NOT_ACTIVE


def bulk_cause(job_id: str, card: str) -> str:
    """The issuing cause of a bulk job's coupon on ``card`` (the coupons table's key family)."""
    return f"bulk:{job_id}:{card}"


def issue_key_of(job_id: str, card: str) -> str:
    """The issue key of that coupon: the cause's first (and only) coupon, as issue_coupons numbers them."""
    return f"{bulk_cause(job_id, card)}:0"


@dataclass(frozen=True)
class _Chunk:
    job_id: str
    template_code: str
    reason: str
    operator_id: str
    cards: tuple[str, ...]


def _read(uow: RegionUnitOfWork, request: coupon_issue_pb2.IssueCouponBatchRequest) -> _Chunk:
    job_id = require_text("job_id", request.job_id, max_length=36)
    template = require_text("template_code", request.template_code)
    reason = require_text("reason", request.reason, max_length=MAX_REASON)
    if not request.card_numbers:
        raise InvalidArgument("card_numbers", "is required (1 to 1000 cards)")
    if len(request.card_numbers) > MAX_CARDS_PER_CHUNK:
        raise InvalidArgument("card_numbers", f"at most {MAX_CARDS_PER_CHUNK} cards per chunk")
    here = uow.region.region_code
    cards = []
    seen = set()
    for index, text in enumerate(request.card_numbers):
        field = f"card_numbers[{index}]"
        number = card_number(text, field)
        if number in seen:
            raise InvalidArgument(field, f"card {number} is named twice in the chunk")
        seen.add(number)
        home = uow.region.home_region_of(number)
        if home != here:
            raise InvalidArgument(field, f"card {number} is homed in region {home}, not {here}")
        cards.append(number)
    return _Chunk(job_id, template, reason, request.operator_id, tuple(cards))


def issue_coupon_batch(uow: RegionUnitOfWork, request: coupon_issue_pb2.IssueCouponBatchRequest) -> coupon_issue_pb2.IssueCouponBatchResponse:
    """Handler of IssueCouponBatch (through the region's command pipeline)."""
    chunk = _read(uow, request)
    terms = _template(uow, chunk.template_code)
    session = uow.session
    # Locked, in card-number order, as every writer of a card's events does (docs/adr/0005): its
    # CouponIssued then sits in the outbox in commit order with the card's other events.
    locked = session.execute(select(Card.card_number, Card.state).where(Card.card_number.in_(chunk.cards))
                             .order_by(Card.card_number).with_for_update()).all()
    states = {card: state for card, state in locked}
    keys = {card: issue_key_of(chunk.job_id, card) for card in chunk.cards}
    held = _held_codes(session, keys.values())
    wanted = [card for card in chunk.cards if keys[card] not in held and states.get(card) == card_states.ACTIVE]
    if wanted:
        held.update(_insert_coupons(uow, chunk, terms, wanted, keys))
    results = []
    for card in chunk.cards:
        code = held.get(keys[card])
        if code is not None:  # issued now or by an earlier send, whatever the card's state since
            results.append(coupon_issue_pb2.CouponBatchResult(card_number=card, coupon_code=code))
        elif card not in states:
            results.append(coupon_issue_pb2.CouponBatchResult(card_number=card, skip_reason=SKIP_UNKNOWN,
                                                              detail=f"no card {card} in region {uow.region.region_code}"))
        else:
            results.append(coupon_issue_pb2.CouponBatchResult(card_number=card, skip_reason=SKIP_NOT_ACTIVE,
                                                              detail=f"card is {states[card]}"))
    return coupon_issue_pb2.IssueCouponBatchResponse(results=results)


def _template(uow: RegionUnitOfWork, code: str) -> CouponTemplateTerms:
    """The template from the cached snapshot; read afresh from HQ once before refusing, since HQ
    starts a job on a template it has just been given, which a snapshot up to 10 s old may lack."""
    try:
        return issuable_template(uow.region.program.snapshot(), code)
    except FailedPrecondition:
        return issuable_template(uow.region.program.snapshot(force=True), code)


def _held_codes(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """issue key → coupon code of the coupons already issued under ``keys``."""
    rows = session.execute(select(Coupon.issue_key, Coupon.coupon_code).where(Coupon.issue_key.in_(list(keys))))
    return {key: code for key, code in rows.all()}


def _insert_coupons(uow: RegionUnitOfWork, chunk: _Chunk, terms: CouponTemplateTerms, cards: Sequence[str],
                    keys: dict[str, str]) -> dict[str, str]:
    """Insert one AVAILABLE coupon per card and its CouponIssued event; returns issue key → code.

    ``ON CONFLICT DO NOTHING``: a row not inserted either lost its issue key to a twin send of the
    same chunk committing first (that coupon is then read back, and no event is written twice) or
    drew a code already taken (drawn again)."""
    session = uow.session
    now = utc_now()
    valid_from, valid_until = validity(terms, now)
    prefix = uow.region.program.region(uow.region.region_code).card_prefix
    # One executemany INSERT of plain rows (Core): an ORM object or a multi-row VALUES statement per
    # coupon costs more than the database's work for 1000 rows.
    statement = (insert_for(session)(table_of(Coupon)).on_conflict_do_nothing()
                 .returning(Coupon.issue_key, Coupon.coupon_code))
    issued: dict[str, str] = {}
    events = []
    pending = list(cards)
    for _ in range(MAX_CODE_DRAWS):
        rows = {keys[card]: _row(card, chunk, keys[card], new_coupon_code(prefix), valid_from, valid_until, now)
                for card in pending}
        for key, code in session.execute(statement, list(rows.values())).all():
            issued[key] = code
            events.append(_event(uow, chunk, rows[key]))
        missing = [card for card in pending if keys[card] not in issued]
        taken = _held_codes(session, [keys[card] for card in missing]) if missing else {}
        issued.update(taken)
        pending = [card for card in missing if keys[card] not in taken]
        if not pending:
            if events:
                session.execute(insert(table_of(OutboxMessage)), events)
            return issued
    raise RuntimeError(f"could not draw free coupon codes for {len(pending)} cards")


def _row(card: str, chunk: _Chunk, key: str, code: str, valid_from: datetime, valid_until: datetime,
         now: datetime) -> dict[str, object]:
    """The same row issue_coupons writes for one coupon (its fields, AVAILABLE, the reason cut alike)."""
    return {"coupon_code": code, "template_code": chunk.template_code, "card_number": card,
            "state": AVAILABLE, "valid_from": valid_from, "valid_until": valid_until, "issued_at": now,
            "issued_reason": chunk.reason[:MAX_REASON], "issue_key": key, "updated_at": now}


def _event(uow: RegionUnitOfWork, chunk: _Chunk, row: dict[str, object]) -> dict[str, object]:
    """The outbox row of the coupon's CouponIssued (topic chaincard.cards.v1, keyed by its card), its
    coupon read by issuing's own ``coupon_message`` from the row as inserted."""
    card = str(row["card_number"])
    envelope = wrap(events_pb2.CouponIssued(coupon=coupon_message(Coupon(**row)), operator_id=chunk.operator_id),
                    producer=uow.region.producer_name, aggregate_id=card)
    return outbox_row(envelope, topic=topics.CARDS, key=card)
