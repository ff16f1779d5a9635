"""Referral awards, the referrer's side (M5, docs/adr/0044): the region's consumer of
chaincard.referrals.v1 posts REFERRAL_POINTS for its own members' referrals, each event once (the
consumer's inbox row commits with the posting), and audits it.

An award goes to the referrer's first active card (opened first) whose type carries points, from
the card's issuer's REFERRAL_EXPENSE account; points the card owes are paid first, as any points
issued are (issue 21). A referrer with no such card earns nothing for that event: the skip is
audited (``referral.points_skipped``) and not kept for a later card. A claw-back takes the points
back from the card of the award it names, as a new posting pointing at it: what the card no longer
holds is owed, as a refunded sale's points are (region_service.handlers.refunds).
"""

from __future__ import annotations

import logging
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard import card_types
from chaincard.db.base import utc_now
from chaincard.errors import ChainCardError
from chaincard.events import topics
from chaincard.events.consumer import IdempotentConsumer
from chaincard.events.lag import region_referrals_group
from chaincard.ids import new_id
from chaincard.ledger import Asset, Posting, SystemAccount, transfer
from chaincard.receipts import ReceiptItem
from chaincard.v1 import events_pb2
from region_service import audit, card_states, receivables
from region_service.context import RegionContext
from region_service.ledger_store import system_account_id
from region_service.models import Card, LedgerTransaction, Member, ProcessedEvent
from region_service.posting import record_transaction
from region_service.repository import LockedAccounts, load_card, lock_card_accounts

log = logging.getLogger(__name__)

TRANSACTION_TYPE = "REFERRAL_POINTS"
# The actor of the audit entries: the region's consumer, not an operator.
ACTOR = "system:referral-points"
Kind = events_pb2.ReferralPointsEarned.Kind


def consumer_name(ctx: RegionContext) -> str:
    """The consumer group (and inbox consumer) of a region: one per region of a deployment."""
    return f"{ctx.settings.deployment}.{region_referrals_group(ctx.region_code)}"


def referral_consumer(ctx: RegionContext) -> IdempotentConsumer:
    """The region's consumer of the referral topic (not started)."""
    return IdempotentConsumer(name=consumer_name(ctx), bootstrap=ctx.settings.kafka_bootstrap, topics=[topics.REFERRALS],
                              session_factory=ctx.session_factory, processed_model=ProcessedEvent,
                              handle=ReferralPoster(ctx))


def request_id_of(event_id: str) -> str:
    """The REFERRAL_POINTS transaction's request id: a claw-back finds its award by it."""
    return f"referral:{event_id}"


class ReferralPoster:
    """Applies one ReferralPointsEarned in the consumer's transaction (it never commits)."""

    def __init__(self, ctx: RegionContext) -> None:
        self.ctx = ctx

    def __call__(self, session: Session, envelope: events_pb2.EventEnvelope, payload: Message) -> None:
        # Every region reads the topic; only the referrer's home region acts.
        if not isinstance(payload, events_pb2.ReferralPointsEarned) or payload.referrer_home_region != self.ctx.region_code:
            return
        if payload.points <= 0:
            return
        referrer = session.get(Member, payload.referrer_member_id)
        if referrer is None:  # not a member here (another deployment's event on a shared broker)
            log.warning("referral event %s names no member %s here", envelope.event_id, payload.referrer_member_id)
            return
        if payload.kind == Kind.KIND_CLAWBACK:
            self._claw_back(session, envelope.event_id, payload)
        elif payload.kind in (Kind.KIND_CARD_OPENING, Kind.KIND_SPEND):
            self._award(session, envelope.event_id, payload, erased=referrer.erased_at is not None)

    # ---- award ------------------------------------------------------------------------------------
    def _first_card(self, session: Session, member_id: str) -> Card | None:
        """The member's first active, unexpired card that carries points, locked."""
        snapshot, now = self.ctx.program.snapshot(), utc_now()
        numbers = list(session.execute(select(Card.card_number).where(
            Card.member_id == member_id, Card.state == card_states.ACTIVE).order_by(Card.opened_at, Card.card_number)).scalars())
        for number in numbers:
            card = load_card(session, number, for_update=True)
            if card.state == card_states.ACTIVE and not card_states.is_expired(card, now) and \
                    card_types.rules_of(snapshot, card.card_type_code).points:
                return card
        return None

    def _award(self, session: Session, event_id: str, payload: events_pb2.ReferralPointsEarned, *, erased: bool) -> None:
        card = None if erased else self._first_card(session, payload.referrer_member_id)
        facts = _facts(event_id, payload)
        if card is None:
            self._audit(session, "referral.points_skipped", "member", payload.referrer_member_id, event_id,
                        reason="the referrer is erased" if erased else "the referrer has no active card with points",
                        after=facts)
            return
        locked = lock_card_accounts(session, [card.card_number])
        expense = system_account_id(session, card.issuing_franchisee_id, SystemAccount.REFERRAL_EXPENSE, Asset.POINTS)
        owed_paid = receivables.collectable(locked, card.card_number, Asset.POINTS, payload.points)
        postings = [
            *receivables.collect(locked, card.card_number, Asset.POINTS, owed_paid, debit=expense),
            *transfer(Asset.POINTS, payload.points - owed_paid, debit=expense, credit=locked.ids(card.card_number)[Asset.POINTS]),
        ]
        label = "Referral: new card" if payload.kind == Kind.KIND_CARD_OPENING else "Referral: friend's spend"
        self._post(session, card, locked, event_id, postings, points_delta=payload.points, original=None,
                   details={**facts, "points_owed_paid": owed_paid},
                   items=[ReceiptItem(label[:22], f"+{payload.points}")], points_earned=payload.points)
        self._audit(session, "referral.points_awarded", "card", card.card_number, event_id,
                    after={**facts, "card_number": card.card_number, "points_owed_paid": owed_paid})

    # ---- claw-back --------------------------------------------------------------------------------
    def _claw_back(self, session: Session, event_id: str, payload: events_pb2.ReferralPointsEarned) -> None:
        facts = _facts(event_id, payload)
        award = session.execute(select(LedgerTransaction).where(
            LedgerTransaction.request_id == request_id_of(payload.award_event_id))).scalar_one_or_none()
        if award is None:  # the award was skipped (no card then): nothing to take back
            self._audit(session, "referral.points_skipped", "member", payload.referrer_member_id, event_id,
                        reason="the award it takes back was not posted", after=facts)
            return
        card = load_card(session, award.card_number, for_update=True)
        try:
            card_states.require_points_adjustable(card)
        except ChainCardError as refused:
            self._audit(session, "referral.points_skipped", "card", card.card_number, event_id, reason=refused.message, after=facts)
            return
        locked = lock_card_accounts(session, [card.card_number])
        expense = system_account_id(session, card.issuing_franchisee_id, SystemAccount.REFERRAL_EXPENSE, Asset.POINTS)
        taken = min(payload.points, locked.balances(card.card_number).points)
        owed = payload.points - taken
        postings = [
            *transfer(Asset.POINTS, taken, debit=locked.ids(card.card_number)[Asset.POINTS], credit=expense),
            # What the card no longer holds is owed, paid from the next points it earns (issue 21).
            *receivables.owe(session, locked, card.card_number, Asset.POINTS, owed, credit=expense),
        ]
        items = [ReceiptItem("Referral points back", f"-{taken}")]
        if owed:
            items.append(ReceiptItem("Points now owed", str(owed)))
        self._post(session, card, locked, event_id, postings, points_delta=-taken, original=award,
                   details={**facts, "points_clawback": taken, "points_clawback_short": owed}, items=items, points_earned=0)
        self._audit(session, "referral.points_clawed_back", "card", card.card_number, event_id,
                    after={**facts, "card_number": card.card_number, "award_transaction_id": award.transaction_id,
                           "points_clawback": taken, "points_clawback_short": owed})

    # ---- shared -----------------------------------------------------------------------------------
    def _post(self, session: Session, card: Card, locked: LockedAccounts, event_id: str, postings: list[Posting], *,
              points_delta: int, original: LedgerTransaction | None, details: dict[str, Any], items: list[ReceiptItem],
              points_earned: int) -> None:
        now = utc_now()
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=request_id_of(event_id), type=TRANSACTION_TYPE, card_number=card.card_number,
            store_id=card.issuing_store_id, acquiring_franchisee_id=card.issuing_franchisee_id,
            business_date=self.ctx.store_business_day("", now), amount_fen=0, principal_delta_fen=0, bonus_delta_fen=0,
            points_delta=points_delta, principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=now,
            original_transaction_id=original.transaction_id if original is not None else None, details=details,
        )
        record_transaction(self.ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=card.issuing_franchisee_id,
                           receipt_title="REFERRAL POINTS", receipt_items=items, points_earned=points_earned, locked=locked)

    def _audit(self, session: Session, action: str, target_type: str, target_id: str, event_id: str, *,
               after: dict[str, Any], reason: str = "") -> None:
        audit.record(session, self.ctx, action=action, target_type=target_type, target_id=target_id, actor=ACTOR,
                     request_id=request_id_of(event_id), reason=reason, after=after,
                     outcome="OK" if action != "referral.points_skipped" else "FAILED_PRECONDITION")


def _facts(event_id: str, payload: events_pb2.ReferralPointsEarned) -> dict[str, Any]:
    """What the ledger row's details and the audit entry say of the event (no PII: member ids only)."""
    return {
        "event_id": event_id, "kind": Kind.Name(payload.kind).removeprefix("KIND_"), "points": payload.points,
        "referee_member_id": payload.referee_member_id, "referee_home_region": payload.referee_home_region,
        "referee_transaction_id": payload.transaction_id, "referee_card_number": payload.card_number,
        "amount_fen": payload.amount_fen, "spend_points_bp": payload.spend_points_bp,
        **({"award_event_id": payload.award_event_id} if payload.award_event_id else {}),
    }
