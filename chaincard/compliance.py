"""Prepaid-card compliance (V9) and recharge rules (V5): what a recharge must satisfy, pure (no
database, no gRPC), from HQ's CardType. docs/adr/0038-prepaid-compliance.md, docs/adr/0039-recharge-rules.md.

The region's RechargeCard calls :func:`check_recharge`, and PurchaseCountUses paid from outside the
card :func:`check_purchase`, under the card's lock and before anything is written; the store agent never takes a recharge offline (store_agent.region_link.OFFLINE_REFUSED),
so no second copy of these rules runs there. Each refusal names the rule and the limit:
FAILED_PRECONDITION for the V9 rules and the approval, PERMISSION_DENIED for a store or role the
card type does not allow.

Defaults follow 《单用途商业预付卡管理办法（试行）》 (MOFCOM order 2012 No. 9); a CardType field of 0
means the national figure, a positive value is the chain's own. Balances compare principal only:
the regulation caps the prepaid funds (资金限额), and a promotion's bonus is the issuer's gift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chaincard.errors import FailedPrecondition, PermissionDenied
from chaincard.money import format_fen
from chaincard.v1 import directory_pb2
from chaincard.v1 import program_config_pb2 as pc

# National defaults, in fen (docs/adr/0038 names the article of each).
NAMED_BALANCE_CAP_FEN = 500_000  # ¥5,000 on a named card (记名卡)
ANONYMOUS_BALANCE_CAP_FEN = 100_000  # ¥1,000 on a bearer card (不记名卡)
REAL_NAME_THRESHOLD_FEN = 1_000_000  # ¥10,000 at once: real-name registration
NON_CASH_THRESHOLD_FEN = 5_000_000  # ¥50,000 at once by an individual: no cash
# Records (ledger, audit log, registrations) are kept at least 5 years; 1,827 days covers any five
# calendar years, leap days included.
MIN_RECORD_RETENTION = timedelta(days=5 * 365 + 2)

_ROLE_NAMES: dict[int, str] = {directory_pb2.STAFF_ROLE_CASHIER: "cashier", directory_pb2.STAFF_ROLE_STORE_MANAGER: "store manager"}


class ComplianceRefused(FailedPrecondition):
    """A V9 rule (or the V5 approval) refuses the recharge; ``rule`` names it, ``limit_fen`` its limit."""

    def __init__(self, rule: str, limit_fen: int, message: str) -> None:
        super().__init__(f"{message} ({rule})")
        self.rule = rule
        self.limit_fen = limit_fen


class RechargeNotAllowed(PermissionDenied):
    """A V5 rule: the card type may not be recharged at this store or by this role."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} ({rule})")
        self.rule = rule


@dataclass(frozen=True)
class Limits:
    """A card type's limits with the national defaults filled in."""

    card_type_code: str
    anonymous: bool
    balance_cap_fen: int
    real_name_threshold_fen: int
    non_cash_threshold_fen: int
    approval_threshold_fen: int  # 0: no approval needed
    store_ids: frozenset[str]  # empty: every store
    roles: frozenset[int]  # StaffRole values; empty: every till role

    @property
    def kind(self) -> str:
        return "anonymous-card" if self.anonymous else "named-card"


def limits(card_type: pc.CardType) -> Limits:
    """``card_type``'s limits; each field of 0 takes the national default."""
    default_cap = ANONYMOUS_BALANCE_CAP_FEN if card_type.anonymous else NAMED_BALANCE_CAP_FEN
    return Limits(
        card_type_code=card_type.code, anonymous=card_type.anonymous,
        balance_cap_fen=card_type.balance_cap_fen or default_cap,
        real_name_threshold_fen=card_type.real_name_threshold_fen or REAL_NAME_THRESHOLD_FEN,
        non_cash_threshold_fen=card_type.non_cash_threshold_fen or NON_CASH_THRESHOLD_FEN,
        approval_threshold_fen=card_type.recharge_approval_threshold_fen,
        store_ids=frozenset(card_type.recharge_store_ids), roles=frozenset(card_type.recharge_roles),
    )


@dataclass(frozen=True)
class Recharge:
    """One recharge as the rules see it."""

    amount_fen: int
    # The card's principal before and after (what lands on it: a debt it owes is paid first).
    principal_before_fen: int
    principal_after_fen: int
    cash: bool
    # A holder registered by name: a member whose name is on file (not a bearer card, not erased).
    real_name: bool
    store_id: str
    # The role the till's operator holds at the store; None when the store vouches for its staff
    # (it lists none at HQ) and the role is unknown here.
    role: int | None
    # Whether a store manager approved this recharge (the manager's own token or staff role).
    manager_approved: bool


def check_recharge(card_type: pc.CardType, recharge: Recharge) -> None:
    """Refuse ``recharge`` of a card of ``card_type`` when a rule forbids it: the store and role
    (V5), the balance cap, real-name registration and non-cash payment (V9), then the approval (V5)."""
    rules = limits(card_type)
    amount = format_fen(recharge.amount_fen)
    if rules.store_ids and recharge.store_id not in rules.store_ids:
        raise RechargeNotAllowed("V5 recharge stores", f"card type {rules.card_type_code} may not be recharged at store "
                                 f"{recharge.store_id} (allowed: {', '.join(sorted(rules.store_ids))})")
    if rules.roles and recharge.role is not None and recharge.role not in rules.roles:
        allowed = ", ".join(sorted(_ROLE_NAMES.get(role, str(role)) for role in rules.roles))
        raise RechargeNotAllowed("V5 recharge roles", f"a {_ROLE_NAMES.get(recharge.role, 'staff member')} may not "
                                 f"recharge card type {rules.card_type_code} (allowed: {allowed})")
    if recharge.principal_after_fen > rules.balance_cap_fen:
        raise ComplianceRefused("V9 balance cap", rules.balance_cap_fen,
                                f"recharge of {amount} exceeds the {rules.kind} balance cap {format_fen(rules.balance_cap_fen)}: "
                                f"the card would hold {format_fen(recharge.principal_after_fen)}")
    if recharge.amount_fen >= rules.real_name_threshold_fen and not recharge.real_name:
        holder = "a bearer card" if rules.anonymous else "the holder's name is not on file"
        raise ComplianceRefused("V9 real-name registration", rules.real_name_threshold_fen,
                                f"recharge of {amount} reaches the real-name threshold "
                                f"{format_fen(rules.real_name_threshold_fen)} and {holder}: register the holder by name")
    if recharge.cash and recharge.amount_fen >= rules.non_cash_threshold_fen:
        raise ComplianceRefused("V9 non-cash payment", rules.non_cash_threshold_fen,
                                f"recharge of {amount} reaches the non-cash threshold "
                                f"{format_fen(rules.non_cash_threshold_fen)}: cash is refused, pay by bank card or mobile pay")
    if rules.approval_threshold_fen and recharge.amount_fen > rules.approval_threshold_fen and not recharge.manager_approved:
        raise ComplianceRefused("V5 manager approval", rules.approval_threshold_fen,
                                f"recharge of {amount} exceeds the approval threshold "
                                f"{format_fen(rules.approval_threshold_fen)}: a store manager must approve it at the till")


def check_purchase(card_type: pc.CardType, *, amount_fen: int, cash: bool, real_name: bool, what: str) -> None:
    """Refuse a purchase of prepaid uses onto a card of ``card_type`` (count-card packs, K1) paid from
    outside the card, by the real-name and non-cash rules (V9): a count card is a prepaid card too.
    The balance cap is about stored value, and the V5 rules about recharges: neither applies."""
    rules = limits(card_type)
    amount = format_fen(amount_fen)
    if amount_fen >= rules.real_name_threshold_fen and not real_name:
        holder = "a bearer card" if rules.anonymous else "the holder's name is not on file"
        raise ComplianceRefused("V9 real-name registration", rules.real_name_threshold_fen,
                                f"{what} of {amount} reaches the real-name threshold "
                                f"{format_fen(rules.real_name_threshold_fen)} and {holder}: register the holder by name")
    if cash and amount_fen >= rules.non_cash_threshold_fen:
        raise ComplianceRefused("V9 non-cash payment", rules.non_cash_threshold_fen,
                                f"{what} of {amount} reaches the non-cash threshold "
                                f"{format_fen(rules.non_cash_threshold_fen)}: cash is refused, pay by bank card or mobile pay")


def needs_approval(card_type: pc.CardType, amount_fen: int) -> bool:
    """Whether a recharge of ``amount_fen`` needs a store manager's approval (V5)."""
    threshold = card_type.recharge_approval_threshold_fen
    return bool(threshold) and amount_fen > threshold


def require_record_retention(name: str, retention: timedelta) -> None:
    """Refuse a retention setting of records shorter than five years (V9)."""
    if retention < MIN_RECORD_RETENTION:
        raise ValueError(f"{name}: records are kept at least {MIN_RECORD_RETENTION.days} days (5 years, V9 record "
                         f"retention); {retention.days} days is too short")
