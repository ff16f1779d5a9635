"""RechargeCard's compliance and recharge rules (V9, V5) at the region: gathers what
chaincard.compliance needs (the card's principal, its holder's name, the operator's role, whether a
store manager approves) and records the approval in the audit log. docs/adr/0038, docs/adr/0039.

Who approves: the call's own credential, as for refunds (docs/adr/0014). A store manager's token at
the till makes the store agent name that manager in ``operator_id``; the region reads the role
from HQ's staff list for the store (or from the token itself when the manager calls the region
directly). A store that lists no staff at HQ vouches for its operators, as for every till call: the
role is then unknown here and the role rule cannot refuse, but the approval still needs a manager
the region can see (a token, or listed staff)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard import card_types, compliance
from chaincard.security.authz import staff_roles_from_snapshot
from chaincard.security.identity import Role, current_principal
from chaincard.v1 import directory_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service import audit
from region_service.context import RegionContext
from region_service.models import Member

_STAFF_ROLES = {Role.CASHIER: directory_pb2.STAFF_ROLE_CASHIER, Role.STORE_MANAGER: directory_pb2.STAFF_ROLE_STORE_MANAGER}


def operator_role(snapshot: pc.ConfigSnapshot, store_id: str, operator_id: str) -> int | None:
    """The StaffRole of whoever recharges: the calling operator's token role, else the named
    operator's role in the store's staff list; None when the store vouches (lists no staff)."""
    principal = current_principal()
    if principal is not None and principal.role is not None:
        return _STAFF_ROLES.get(principal.role, directory_pb2.STAFF_ROLE_UNSPECIFIED)
    found = staff_roles_from_snapshot(snapshot)(store_id, operator_id)
    if isinstance(found, Role):
        return _STAFF_ROLES.get(found, directory_pb2.STAFF_ROLE_UNSPECIFIED)
    if found is None:  # listed staff, not this one: the interceptor refuses first; least rights here
        return directory_pb2.STAFF_ROLE_CASHIER
    return None


def has_real_name(session: Session, member_id: str | None) -> bool:
    """A holder registered by name: a member with a name on file, not erased (a bearer card has none)."""
    if member_id is None:
        return False
    row = session.execute(select(Member.name, Member.erased_at).where(Member.member_id == member_id)).one_or_none()
    return row is not None and row.erased_at is None and bool(row.name.strip())


def check(ctx: RegionContext, session: Session, *, card_type_code: str, member_id: str | None, store_id: str,
          operator_id: str, amount_fen: int, cash: bool, principal_before_fen: int, principal_after_fen: int) -> bool:
    """Refuse the recharge when a rule forbids it (chaincard.compliance.check_recharge); True when
    it needed and has a store manager's approval (the caller then audits it with :func:`audit_approval`).
    A card type the snapshot does not list (a transient state) is held to the national defaults."""
    snapshot = ctx.program.snapshot()
    card_type = card_types.find(snapshot.card_types, card_type_code) or pc.CardType(code=card_type_code)
    needs = compliance.needs_approval(card_type, amount_fen)
    # The role only when a rule reads it: the staff look-up is not on every recharge's path.
    role = operator_role(snapshot, store_id, operator_id) if needs or card_type.recharge_roles else None
    real_name = has_real_name(session, member_id) if amount_fen >= compliance.limits(card_type).real_name_threshold_fen else True
    compliance.check_recharge(card_type, compliance.Recharge(
        amount_fen=amount_fen, principal_before_fen=principal_before_fen, principal_after_fen=principal_after_fen,
        cash=cash, real_name=real_name, store_id=store_id, role=role,
        manager_approved=role == directory_pb2.STAFF_ROLE_STORE_MANAGER,
    ))
    return needs


def check_purchase(ctx: RegionContext, session: Session, *, card_type_code: str, member_id: str | None,
                   amount_fen: int, cash: bool, what: str) -> None:
    """The V9 real-name and non-cash rules for prepaid uses bought onto a card (PurchaseCountUses)."""
    card_type = card_types.find(ctx.program.snapshot().card_types, card_type_code) or pc.CardType(code=card_type_code)
    real_name = has_real_name(session, member_id) if amount_fen >= compliance.limits(card_type).real_name_threshold_fen else True
    compliance.check_purchase(card_type, amount_fen=amount_fen, cash=cash, real_name=real_name, what=what)


def audit_approval(ctx: RegionContext, session: Session, *, card_number: str, card_type_code: str, franchisee_id: str,
                   store_id: str, operator_id: str, request_id: str, amount_fen: int, transaction_id: str) -> None:
    """The manager's approval of a recharge above the threshold, in the recharge's transaction (V5)."""
    card_type = card_types.find(ctx.program.snapshot().card_types, card_type_code) or pc.CardType(code=card_type_code)
    audit.record(
        session, ctx, action="recharge.approve", target_type="card", target_id=card_number, operator_id=operator_id,
        store_id=store_id, franchisee_id=franchisee_id, request_id=request_id, amount_fen=amount_fen,
        reason=f"recharge above the approval threshold {card_type.recharge_approval_threshold_fen} fen (V5)",
        after={"transaction_id": transaction_id, "card_type_code": card_type_code,
               "approval_threshold_fen": card_type.recharge_approval_threshold_fen},
    )
