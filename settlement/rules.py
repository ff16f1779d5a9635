"""The settlement rules (F2, F5, DESIGN §6) — pure Python: no database, no gRPC.

Money flows, with A the card's issuing franchisee and B the franchisee owning the store:

- a spend of stored value S (principal and bonus alike) from A's card at B's store: A owes B
  S − interchange;
- a recharge of principal R on A's card at B's store: B owes A R − collection fee — all of R, also
  the part that paid what the card owed first (an offline overdraft's receivable on the card, issue
  21): the recharge's principal delta is the holder's position, receivable included, so a receivable
  collected at another franchisee's store clears like stored value (and the overdrawing advice, a
  spend of its full amount, like any spend);
- a coupon whose cost A bears (AppliedCoupon.issuer_franchisee_id: the template's issuer, else the
  card's) redeemed at B's store, whoever issued the card: A owes B the discount less the coupon fee
  (FeeSchedule.coupon_fee_bp) — B gave the member what A promised; a refund or void restoring the
  coupon reverses it;
- count-card uses sold by A (the pack's seller, CountUseConsumption.seller_franchisee_id) consumed
  at B's store, whoever issued the card: A owes B the uses' value less the count-use fee
  (FeeSchedule.count_use_fee_bp) — A took the money for a service B gave; a refund or void returning
  the uses reverses it (docs/adr/0031);
- HQ's platform fee, a share of every cross-franchise flow's gross, is charged to whichever side
  receives the flow's money and credited to the company-owned franchisee (none when that side is
  the company-owned franchisee itself: it would pay itself);
- refunds and voids are the same flows with a negative gross, so they reverse them, fees included;
- flows within one franchisee settle nothing; points, count uses by the card's issuer (the seller's
  flow above settles their value), card closures and the other transaction types are reported
  (memo lines) and settle nothing: the fee schedule prices none.

Rounding happens in exactly one place, :func:`price_flow`: each fee is ``apply_rate`` (half-up to
the fen, symmetric for negative amounts) of one flow's gross — one flow being the day's records of
one kind between one issuing franchisee and one store (and one original day for adjustments).
Both parties' lines show that same flow, so what one is owed the other owes to the fen.

HQ is the central counterparty: every franchisee gets one net figure, paid to or by HQ, and the
figures of a day sum to zero (:func:`assemble_statements` refuses otherwise).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum, StrEnum
from typing import Any, NamedTuple

from chaincard.money import apply_rate


class FlowKind(StrEnum):
    SPEND = "SPEND"
    RECHARGE = "RECHARGE"
    # Coupons redeemed at another franchisee's store than their cost bearer's. Never a clearing
    # record's own flow: a record's coupons are kept per cost bearer (settlement.clearing).
    COUPON = "COUPON"
    # Count-card uses consumed at another franchisee's store than their seller's; like COUPON,
    # never a record's own flow: kept per seller (settlement.clearing, docs/adr/0031).
    COUNT_USES = "COUNT_USES"
    NONE = ""


class LineFlow(IntEnum):
    """Statement line kinds, numbered as chaincard.v1.SettlementFlow (the order of a statement)."""

    SPEND_ACQUIRED = 1
    SPEND_ISSUED = 2
    RECHARGE_ACQUIRED = 3
    RECHARGE_ISSUED = 4
    PLATFORM_FEE = 5
    COUPON_ACQUIRED = 6
    COUPON_ISSUED = 7
    COUNT_USES_ACQUIRED = 8
    COUNT_USES_ISSUED = 9


# A statement lists the flows first, HQ's fee income last (the enum grew coupons and count uses
# after the fee).
_LINE_ORDER = {flow: index for index, flow in enumerate((
    LineFlow.SPEND_ACQUIRED, LineFlow.SPEND_ISSUED, LineFlow.RECHARGE_ACQUIRED, LineFlow.RECHARGE_ISSUED,
    LineFlow.COUPON_ACQUIRED, LineFlow.COUPON_ISSUED, LineFlow.COUNT_USES_ACQUIRED, LineFlow.COUNT_USES_ISSUED,
    LineFlow.PLATFORM_FEE))}

LINE_TITLES = {
    LineFlow.SPEND_ACQUIRED: "Their cards spent at our store",
    LineFlow.SPEND_ISSUED: "Our cards spent at their store",
    LineFlow.RECHARGE_ACQUIRED: "Their cards recharged at our store",
    LineFlow.RECHARGE_ISSUED: "Our cards recharged at their store",
    LineFlow.PLATFORM_FEE: "HQ platform fee income",
    LineFlow.COUPON_ACQUIRED: "Their coupons redeemed at our store",
    LineFlow.COUPON_ISSUED: "Our coupons redeemed at their store",
    LineFlow.COUNT_USES_ACQUIRED: "Their count uses consumed at our store",
    LineFlow.COUNT_USES_ISSUED: "Our count uses consumed at their store",
}

_SPEND_TYPES = frozenset({"SPEND", "OFFLINE_ADVICE"})
_REVERSAL_TYPES = frozenset({"REFUND", "VOID"})
# Purchases at the till that a card may pay from its own stored value (count uses, a paid level):
# paid so, they take the issuer's liability at the acquirer's store exactly as a spend does.
_STORED_VALUE_PURCHASE_TYPES = frozenset({"COUNT_USES_PURCHASE", "LEVEL_PURCHASE"})
# Principal bought at the acquirer's store: at a till, or by a company on invoice (C6, docs/adr/0045),
# whose selling franchisee collects the invoice and owes the card's issuer the principal alike.
_RECHARGE_TYPES = frozenset({"RECHARGE", "COMPANY_RECHARGE"})


def flow_kind_of(transaction_type: str, original_type: str | None, principal_delta_fen: int, bonus_delta_fen: int) -> FlowKind:
    """Which flow a transaction moves (or reverses); NONE for what is reported only."""
    if transaction_type in _SPEND_TYPES:
        return FlowKind.SPEND
    if transaction_type in _RECHARGE_TYPES:
        return FlowKind.RECHARGE
    if transaction_type in _STORED_VALUE_PURCHASE_TYPES and principal_delta_fen + bonus_delta_fen < 0:
        return FlowKind.SPEND
    if transaction_type in _REVERSAL_TYPES:
        if original_type in _STORED_VALUE_PURCHASE_TYPES:
            # A refund or void of such a purchase follows it: a spend reversed when stored value
            # comes back, a memo item when it paid in cash (docs/adr/0035).
            return FlowKind.SPEND if principal_delta_fen + bonus_delta_fen > 0 else FlowKind.NONE
        if original_type in _RECHARGE_TYPES:
            return FlowKind.RECHARGE
        if original_type in _SPEND_TYPES:
            return FlowKind.SPEND
        # Original unknown to the clearing ledger: a reversal giving stored value back reverses a
        # spend; one taking principal away reverses a recharge.
        return FlowKind.RECHARGE if principal_delta_fen < 0 else FlowKind.SPEND
    return FlowKind.NONE


class CouponUse(NamedTuple):
    """One coupon of a posting as the clearing ledger keeps it: its discount signed by the posting."""

    coupon_code: str
    template_code: str
    issuer_franchisee_id: str  # the franchisee bearing its cost
    discount_fen: int  # the sale's discount; its negative when a refund or void restored it


def coupon_uses(transaction_type: str, coupons: Iterable[tuple[str, str, int, str]]) -> list[CouponUse]:
    """The coupons of one posting, ``(code, template, discount, cost bearer)`` as AppliedCoupon has
    them, one per code. The sign comes from the type, not the event: a refund or void lists the
    coupons it restored and takes their discounts back, however it signed them."""
    sign = -1 if transaction_type in _REVERSAL_TYPES else 1
    uses: dict[str, CouponUse] = {}
    for code, template, discount, issuer in coupons:
        amount = sign * abs(discount)
        seen = uses.get(code)
        uses[code] = (CouponUse(code, template, issuer, amount) if seen is None
                      else seen._replace(discount_fen=seen.discount_fen + amount))
    return list(uses.values())


class CountUseGroup(NamedTuple):
    """Uses of one item sold by one franchisee that a posting consumed (or returned), signed by it."""

    item_code: str
    seller_franchisee_id: str
    uses: int  # negative when a refund or void returned them
    value_fen: int  # likewise


def count_use_groups(transaction_type: str, consumptions: Iterable[tuple[str, int, str, int]]) -> list[CountUseGroup]:
    """The count-use consumptions of one posting, ``(item, uses, seller, value)`` as
    CountUseConsumption has them, one per item and seller. As for coupons, the sign comes from the
    type: a refund or void returns the uses and takes their value back."""
    sign = -1 if transaction_type in _REVERSAL_TYPES else 1
    groups: dict[tuple[str, str], CountUseGroup] = {}
    for item, uses, seller, value in consumptions:
        seen = groups.get((item, seller))
        groups[(item, seller)] = (CountUseGroup(item, seller, sign * abs(uses), sign * abs(value)) if seen is None
                                  else seen._replace(uses=seen.uses + sign * abs(uses), value_fen=seen.value_fen + sign * abs(value)))
    return list(groups.values())


def gross_of(kind: FlowKind, principal_delta_fen: int, bonus_delta_fen: int) -> int:
    """The flow's gross in fen from the card's deltas: stored value taken for spends (principal and
    bonus), principal collected for recharges; negative for reversals."""
    if kind is FlowKind.SPEND:
        return -(principal_delta_fen + bonus_delta_fen)
    if kind is FlowKind.RECHARGE:
        return principal_delta_fen
    return 0


@dataclass(frozen=True)
class FeeRates:
    """A FeeSchedule in domain terms: rates in basis points, from a first business day."""

    effective_from: date
    interchange_bp: int
    collection_fee_bp: int
    platform_fee_bp: int = 0
    coupon_fee_bp: int = 0
    count_use_fee_bp: int = 0


def effective_rates(schedules: Iterable[FeeRates], business_day: date) -> FeeRates | None:
    """The latest schedule whose first day is on or before ``business_day``."""
    candidates = [s for s in schedules if s.effective_from <= business_day]
    return max(candidates, key=lambda s: s.effective_from) if candidates else None


# The value types below are named tuples, not dataclasses: a run of a busy day builds tens of
# thousands of each, and a tuple is several times cheaper to make.


class ClearingGroup(NamedTuple):
    """The sums of one business day's clearing records sharing issuer, acquirer, store, flow, type
    and (for late records) original day — what the run's aggregate query returns per row."""

    issuing_franchisee_id: str
    acquiring_franchisee_id: str
    store_id: str
    flow_kind: FlowKind
    # The type of what is only reported (flow NONE: the memo's item). For SPEND and RECHARGE it may
    # be empty: the run sums a flow's spends, refunds and voids together, as the rules would.
    transaction_type: str
    original_business_date: date | None  # set for late records settled as adjustments
    transaction_count: int
    principal_fen: int
    bonus_fen: int
    points: int = 0
    count_uses: int = 0
    # Coupon discounts, signed (restored coupons negative). Only COUPON groups have them, and for
    # those ``issuing_franchisee_id`` is the coupons' cost bearer, not the cards' issuer.
    coupon_fen: int = 0
    # Value of count uses consumed, signed (returned uses negative). Only COUNT_USES groups have it,
    # and for those ``issuing_franchisee_id`` is the uses' seller, not the cards' issuer.
    count_use_fen: int = 0


class Flow(NamedTuple):
    issuing_franchisee_id: str
    acquiring_franchisee_id: str
    store_id: str
    kind: FlowKind
    original_business_date: date | None
    transaction_count: int
    gross_fen: int


class PricedFlow(NamedTuple):
    flow: Flow
    counterparty_fee_fen: int  # interchange (spend), collection fee (recharge), coupon or count-use fee
    platform_fee_fen: int
    receiver: str  # the franchisee receiving the flow's money (pays the platform fee)
    payer: str


class Line(NamedTuple):
    flow: LineFlow
    counterparty_franchisee_id: str
    store_id: str
    original_business_date: date | None
    transaction_count: int
    gross_fen: int
    counterparty_fee_fen: int
    platform_fee_fen: int
    net_fen: int

    def sort_key(self) -> tuple[int, str, str, date]:
        """Statement order: flow, counterparty, store, the day's own records before adjustments."""
        return (_LINE_ORDER[self.flow], self.counterparty_franchisee_id, self.store_id, self.original_business_date or date.min)


class MemoLine(NamedTuple):
    """Reported, not settled: what moved on cards of one franchisee at another's store."""

    item: str  # POINTS, COUNT_USES, or a transaction type the schedule does not price
    role: str  # ISSUER (our cards at their store) or ACQUIRER (their cards at our store)
    counterparty_franchisee_id: str
    store_id: str
    original_business_date: date | None
    transaction_count: int
    principal_fen: int = 0
    bonus_fen: int = 0
    points: int = 0
    count_uses: int = 0

    def sort_key(self) -> tuple[str, str, str, str, date]:
        return (self.item, self.role, self.counterparty_franchisee_id, self.store_id, self.original_business_date or date.min)

    def as_dict(self) -> dict[str, object]:
        return {
            "item": self.item, "role": self.role, "counterparty_franchisee_id": self.counterparty_franchisee_id,
            "store_id": self.store_id,
            "original_business_date": self.original_business_date.isoformat() if self.original_business_date else "",
            "transaction_count": self.transaction_count, "principal_fen": self.principal_fen, "bonus_fen": self.bonus_fen,
            "points": self.points, "count_uses": self.count_uses,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> MemoLine:
        original = raw.get("original_business_date") or ""
        return cls(
            item=raw["item"], role=raw["role"], counterparty_franchisee_id=raw["counterparty_franchisee_id"],
            store_id=raw["store_id"], original_business_date=date.fromisoformat(original) if original else None,
            transaction_count=raw["transaction_count"], principal_fen=raw["principal_fen"], bonus_fen=raw["bonus_fen"],
            points=raw["points"], count_uses=raw["count_uses"],
        )


class CompanyReceivableLine(NamedTuple):
    """A company's receivable on its selling franchisee's statement (C6, docs/adr/0045): reported
    beside the lines, never netted (a company is not a franchisee and pays by bank transfer)."""

    company_id: str
    invoiced_fen: int  # COMPANY_RECHARGE principal invoiced on the day (late postings settled with it too)
    paid_fen: int  # COMPANY_PAYMENT received on the day (likewise)
    outstanding_fen: int  # everything invoiced less everything paid, up to the run


@dataclass
class StatementDraft:
    franchisee_id: str
    lines: list[Line] = field(default_factory=list)
    memo: list[MemoLine] = field(default_factory=list)
    company_receivables: list[CompanyReceivableLine] = field(default_factory=list)

    @property
    def net_fen(self) -> int:
        return sum([line.net_fen for line in self.lines])

    @property
    def receivable_fen(self) -> int:
        return sum([line.net_fen for line in self.lines if line.net_fen > 0])

    @property
    def payable_fen(self) -> int:
        return -sum([line.net_fen for line in self.lines if line.net_fen < 0])

    @property
    def fees_fen(self) -> int:
        """HQ platform fees charged to this franchisee (interchange and collection fees are inside
        the line nets already)."""
        return sum([line.platform_fee_fen for line in self.lines if line.flow is not LineFlow.PLATFORM_FEE])


class NettingError(Exception):
    """The statements of a run do not net to zero: the run must not finish."""


class MissingFeeSchedule(Exception):
    def __init__(self, business_day: date) -> None:
        super().__init__(f"no fee schedule is effective on {business_day.isoformat()}; HQ must set one first")
        self.business_day = business_day


def is_cross_franchise(issuing: str, acquiring: str) -> bool:
    return bool(issuing) and bool(acquiring) and issuing != acquiring


def flows_from_groups(groups: Iterable[ClearingGroup]) -> list[Flow]:
    """Merge the groups of one flow (spends, refunds and voids together) before any fee is taken."""
    sums: dict[tuple[str, str, str, FlowKind, date | None], list[int]] = defaultdict(lambda: [0, 0])
    for issuing, acquiring, store, kind, _type, original, count, principal, bonus, _points, _uses, coupon, use_value in groups:
        if kind is FlowKind.NONE or not is_cross_franchise(issuing, acquiring):
            continue
        totals = sums[(issuing, acquiring, store, kind, original)]
        totals[0] += count
        totals[1] += (coupon if kind is FlowKind.COUPON else use_value if kind is FlowKind.COUNT_USES
                      else gross_of(kind, principal, bonus))
    return [
        Flow(issuing, acquiring, store, kind, original, count, gross)
        for (issuing, acquiring, store, kind, original), (count, gross) in sums.items()
    ]


def price_flow(flow: Flow, rates: FeeRates, company_franchisee_id: str) -> PricedFlow:
    """The one place fees are rounded: each fee once per flow, half-up to the fen."""
    if flow.kind is FlowKind.SPEND:
        counterparty_fee = apply_rate(flow.gross_fen, rates.interchange_bp)
        receiver, payer = flow.acquiring_franchisee_id, flow.issuing_franchisee_id
    elif flow.kind is FlowKind.COUPON:  # the cost bearer reimburses the store that gave the discount
        counterparty_fee = apply_rate(flow.gross_fen, rates.coupon_fee_bp)
        receiver, payer = flow.acquiring_franchisee_id, flow.issuing_franchisee_id
    elif flow.kind is FlowKind.COUNT_USES:  # the seller took the money; the store gave the service
        counterparty_fee = apply_rate(flow.gross_fen, rates.count_use_fee_bp)
        receiver, payer = flow.acquiring_franchisee_id, flow.issuing_franchisee_id
    else:
        counterparty_fee = apply_rate(flow.gross_fen, rates.collection_fee_bp)
        receiver, payer = flow.issuing_franchisee_id, flow.acquiring_franchisee_id
    platform_fee = 0 if receiver == company_franchisee_id else apply_rate(flow.gross_fen, rates.platform_fee_bp)
    return PricedFlow(flow, counterparty_fee, platform_fee, receiver, payer)


def lines_of(priced: PricedFlow) -> list[tuple[str, Line]]:
    """The flow as each party's statement shows it: (franchisee, line) pairs whose nets sum to 0."""
    flow = priced.flow
    receiving_flow, paying_flow = _LINE_FLOWS[flow.kind]
    owed = flow.gross_fen - priced.counterparty_fee_fen
    store, original, count, gross, fee = (flow.store_id, flow.original_business_date, flow.transaction_count, flow.gross_fen,
                                          priced.counterparty_fee_fen)
    return [
        (priced.receiver, Line(receiving_flow, priced.payer, store, original, count, gross, fee, priced.platform_fee_fen,
                               owed - priced.platform_fee_fen)),
        (priced.payer, Line(paying_flow, priced.receiver, store, original, count, gross, fee, 0, -owed)),
    ]


_LINE_FLOWS = {  # flow kind → (the receiver's line, the payer's line)
    FlowKind.SPEND: (LineFlow.SPEND_ACQUIRED, LineFlow.SPEND_ISSUED),
    FlowKind.RECHARGE: (LineFlow.RECHARGE_ISSUED, LineFlow.RECHARGE_ACQUIRED),
    FlowKind.COUPON: (LineFlow.COUPON_ACQUIRED, LineFlow.COUPON_ISSUED),
    FlowKind.COUNT_USES: (LineFlow.COUNT_USES_ACQUIRED, LineFlow.COUNT_USES_ISSUED),
}


class _PlatformFees:
    """HQ's income lines: one per (payer, store, original day), summing the flows' own fees."""

    def __init__(self) -> None:
        self._sums: dict[tuple[str, str, date | None], list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, priced: PricedFlow) -> None:
        flow = priced.flow
        totals = self._sums[(priced.receiver, flow.store_id, flow.original_business_date)]
        totals[0] += flow.transaction_count
        totals[1] += flow.gross_fen
        totals[2] += priced.platform_fee_fen

    def lines(self) -> list[Line]:
        return [
            Line(LineFlow.PLATFORM_FEE, payer, store, original, count, gross, 0, fee, fee)
            for (payer, store, original), (count, gross, fee) in self._sums.items()
        ]


_SELLER_FLOWS = frozenset({FlowKind.COUPON, FlowKind.COUNT_USES})  # kept per cost bearer or seller, not per card


def memo_lines(groups: Iterable[ClearingGroup]) -> list[tuple[str, MemoLine]]:
    """What is reported on both parties' statements without settling (franchisee, memo line)."""
    sums: dict[tuple[str, str, str, str, str, date | None], list[int]] = {}

    def add(key: tuple[str, str, str, str, str, date | None], values: tuple[int, int, int, int, int]) -> None:
        totals = sums.get(key)
        if totals is None:
            sums[key] = list(values)
        else:
            for index, value in enumerate(values):
                totals[index] += value

    for issuer, acquirer, store, kind, reported_type, original, count, principal, bonus, points, uses, _coupon, _value in groups:
        if kind in _SELLER_FLOWS or not is_cross_franchise(issuer, acquirer):
            continue
        if kind is FlowKind.NONE:
            items = [(reported_type, (count, principal, bonus, points, uses))]
        else:  # the flow settles the money; its points and count uses are only reported
            items = []
            if points:
                items.append(("POINTS", (count, 0, 0, points, 0)))
            if uses:
                items.append(("COUNT_USES", (count, 0, 0, 0, uses)))
        for item, values in items:
            add((issuer, item, "ISSUER", acquirer, store, original), values)
            add((acquirer, item, "ACQUIRER", issuer, store, original), values)
    return [(key[0], MemoLine(*key[1:], *values)) for key, values in sums.items()]


def assemble_statements(
    groups: list[ClearingGroup],
    *,
    business_day: date,
    rates_for: Callable[[date], FeeRates | None],
    company_franchisee_id: str,
    franchisee_ids: Iterable[str] = (),
) -> dict[str, StatementDraft]:
    """One statement per franchisee (every one in ``franchisee_ids``, and every one with flows),
    lines in statement order; raises NettingError unless the nets sum to zero."""
    lines: dict[str, list[Line]] = defaultdict(list)
    rates_by_day: dict[date, FeeRates] = {}  # a run prices thousands of flows on a day or two
    platform = _PlatformFees()
    for flow in flows_from_groups(groups):
        day = flow.original_business_date or business_day
        rates = rates_by_day.get(day) or rates_by_day.setdefault(day, _rates_on(rates_for, day))
        priced = price_flow(flow, rates, company_franchisee_id)
        for owner, line in lines_of(priced):
            lines[owner].append(line)
        if priced.platform_fee_fen:
            platform.add(priced)
    lines[company_franchisee_id] += platform.lines()
    memo: dict[str, list[MemoLine]] = defaultdict(list)
    for owner, item in memo_lines(groups):
        memo[owner].append(item)

    drafts = {fid: StatementDraft(fid) for fid in (*franchisee_ids, *lines, *memo)}
    for owner, owned in lines.items():
        drafts[owner].lines = sorted(owned, key=Line.sort_key)
    for owner, items in memo.items():
        drafts[owner].memo = sorted(items, key=MemoLine.sort_key)
    total = sum(draft.net_fen for draft in drafts.values())
    if total != 0:
        raise NettingError(f"statements of {business_day.isoformat()} net to {total} fen, not 0")
    return dict(sorted(drafts.items()))


def _rates_on(rates_for: Callable[[date], FeeRates | None], day: date) -> FeeRates:
    rates = rates_for(day)
    if rates is None:
        raise MissingFeeSchedule(day)
    return rates
