"""Transaction PINs at the region (C4): verification against the stored hash, and lockout after
repeated failures. Hashing itself lives in chaincard.pins.

A PIN is 6 digits. Only its scrypt hash is stored (``scrypt$n$r$p$salt$hash``, base64 parts); a
PIN never appears in a log, an event, an audit entry or a response. Because a 6-digit PIN has
only a million values, fingerprints and journals carry a memory-hard digest of it instead
(chaincard.pins.mask_pins, applied by chaincard.db.idempotency for every request).

Wrong PINs are counted per card; after ``ChainSettings.pin_max_failed_attempts`` (default 5)
consecutive failures the PIN is locked for ``ChainSettings.pin_lock_minutes`` (default
:data:`LOCK_DURATION`), in every store and region: only the home region checks it. A failure is
counted in a transaction that commits even though the call is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.errors import ChainCardError, FailedPrecondition, NotFound, PermissionDenied
from chaincard.observability import metrics
from chaincard.pins import pin_matches, validate_pin
from region_service import audit
from region_service.context import RegionContext
from region_service.models import Card

DEFAULT_MAX_FAILED_ATTEMPTS = 5
LOCK_DURATION = timedelta(minutes=30)


# ---- lock state ------------------------------------------------------------------------------------

def _chain_setting(ctx: RegionContext, name: str) -> int:
    """A number of HQ's ChainSettings; 0 (use the default) when unset or HQ was never reached."""
    try:
        return int(getattr(ctx.program.snapshot().settings, name))
    except ChainCardError:  # HQ never reached: the safe default still applies
        return 0


def max_failed_attempts(ctx: RegionContext) -> int:
    """ChainSettings.pin_max_failed_attempts from HQ's snapshot when set, else 5."""
    configured = _chain_setting(ctx, "pin_max_failed_attempts")
    return configured if configured > 0 else DEFAULT_MAX_FAILED_ATTEMPTS


def lock_duration(ctx: RegionContext) -> timedelta:
    """ChainSettings.pin_lock_minutes from HQ's snapshot when set, else :data:`LOCK_DURATION`."""
    minutes = _chain_setting(ctx, "pin_lock_minutes")
    return timedelta(minutes=minutes) if minutes > 0 else LOCK_DURATION


def is_locked(card: Card, now: datetime | None = None) -> bool:
    return card.pin_locked_until is not None and card.pin_locked_until > (now or utc_now())


def _utc_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def require_not_locked(card: Card, now: datetime | None = None) -> None:
    if is_locked(card, now):
        assert card.pin_locked_until is not None
        raise FailedPrecondition(
            f"the PIN of card {card.card_number} is locked after too many wrong attempts until "
            f"{_utc_text(card.pin_locked_until)}; wait until then or have staff reset it (ResetPin)"
        )


def pin_state(card: Card, now: datetime | None = None) -> dict[str, Any]:
    """What an audit entry may say about a card's PIN: never the PIN or its hash."""
    return {
        "pin_set": card.pin_hash is not None,
        "failed_pin_attempts": card.failed_pin_attempts,
        "pin_locked": is_locked(card, now),
        "pin_locked_until": card.pin_locked_until.isoformat() if card.pin_locked_until else None,
    }


def _forget_expired_lock(card: Card, now: datetime) -> None:
    """A lock that has run out gives the holder a fresh set of attempts."""
    if card.pin_locked_until is not None and card.pin_locked_until <= now:
        card.pin_locked_until = None
        card.failed_pin_attempts = 0


def clear_failures(card: Card) -> None:
    if card.failed_pin_attempts or card.pin_locked_until is not None:
        card.failed_pin_attempts = 0
        card.pin_locked_until = None


# ---- verification ----------------------------------------------------------------------------------

def check_pin(
    ctx: RegionContext,
    session: Session,
    card: Card,
    pin: str,
    *,
    field: str = "pin",
    purpose: str,
    store_id: str = "",
    operator_id: str = "",
    request_id: str = "",
    now: datetime | None = None,
) -> PermissionDenied | None:
    """Check ``pin`` against the card, locked FOR UPDATE in the caller's ``session``.

    Returns None when the card has no PIN or the PIN is right (the failure count is reset). Raises
    FAILED_PRECONDITION while locked, PERMISSION_DENIED "PIN required" for an empty PIN and
    INVALID_ARGUMENT for a malformed one: nothing is counted for those. For a wrong PIN the failure
    is counted (and audited) in ``session`` and the PERMISSION_DENIED to raise is *returned*: the
    caller commits its transaction first, writing nothing else, then raises it.
    """
    now = now or utc_now()
    if card.pin_hash is None:
        return None
    require_not_locked(card, now)
    if not pin:
        raise PermissionDenied("PIN required")
    validate_pin(field, pin)
    # Throttle guessing (RESOURCE_EXHAUSTED, nothing counted or written); the lock stops it.
    ctx.pin_attempts.check(card_number=card.card_number, store_id=store_id)
    _forget_expired_lock(card, now)
    if pin_matches(pin, card.pin_hash):
        clear_failures(card)
        return None
    before = pin_state(card, now)
    limit = max_failed_attempts(ctx)
    card.failed_pin_attempts += 1
    left = max(limit - card.failed_pin_attempts, 0)
    message = f"wrong PIN ({left} attempt{'' if left == 1 else 's'} left)"
    if left == 0:
        card.pin_locked_until = now + lock_duration(ctx)
        metrics.PIN_LOCKOUTS.labels(ctx.region_code).inc()
        message += f"; the PIN is locked until {_utc_text(card.pin_locked_until)}"
    audit.record(
        session, ctx, action="pin.lock" if left == 0 else "pin.wrong_attempt", target_type="card",
        target_id=card.card_number, operator_id=operator_id, store_id=store_id,
        franchisee_id=card.issuing_franchisee_id, request_id=request_id, reason=f"wrong PIN during {purpose}",
        before=before, after=pin_state(card, now), outcome="PERMISSION_DENIED",
    )
    return PermissionDenied(message)


def verify_pin_for_payment(ctx: RegionContext, card_number: str, pin: str) -> None:
    """Check a payment's PIN in this function's own transaction, which commits a failure count.

    No PIN set → nothing to check. PIN set and ``pin`` empty → PERMISSION_DENIED "PIN required".
    Wrong → PERMISSION_DENIED "wrong PIN (n attempts left)", counted even though the payment is
    refused. Locked → FAILED_PRECONDITION saying until when. Right → the failure count is reset.

    Call it *before* the payment's own transaction locks the card row (it locks that row itself
    and would wait for the caller's lock forever). Checkout does not: it checks with
    :func:`check_pin` on the row its own transaction locks (docs/adr/0013).
    """
    refusal: PermissionDenied | None = None
    with ctx.session_factory() as session, session.begin():
        # Not handlers.cards.load_card: the card handlers may import this module (OpenCard's PIN).
        card = session.execute(select(Card).where(Card.card_number == card_number).with_for_update()).scalar_one_or_none()
        if card is None:
            raise NotFound(f"no card {card_number}")
        refusal = check_pin(ctx, session, card, pin, purpose="payment")
    if refusal is not None:
        raise refusal
