"""Property (hypothesis): for random postings taken in through the consumer's intake and settled by
the real run on PostgreSQL, the nets sum to zero and every franchisee's net equals a recomputation
made independently, straight from the postings as the home regions sent them — coupons included
(issue 13: a sale's coupon borne by any franchisee, restored by the refund or void of that sale), and
count uses (issue 14 item 9: a sale's uses sold by any franchisee, returned by its refund or void)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events.envelope import wrap
from chaincard.v1 import common_pb2, directory_pb2, events_pb2, program_config_pb2, transactions_pb2
from settlement.clearing import record_posting
from settlement.hq import StaticConfigSource
from settlement.statements import load_statement

FRANCHISEES = ["F-HQ", "F-A", "F-B", "F-C"]
STORES = {"S-1": "F-HQ", "S-2": "F-A", "S-3": "F-B", "S-4": "F-C", "S-5": "F-A", "S-6": "F-HQ"}
RATES = {"interchange": 137, "collection": 45, "platform": 23, "coupon": 311, "count_use": 419}
SNAPSHOT = program_config_pb2.ConfigSnapshot(
    franchisees=[directory_pb2.Franchisee(franchisee_id=f, name=f, company_owned=f == "F-HQ") for f in FRANCHISEES],
    fee_schedules=[program_config_pb2.FeeSchedule(effective_from_business_date="2020-01-01", interchange_bp=RATES["interchange"],
                                                  collection_fee_bp=RATES["collection"], platform_fee_bp=RATES["platform"],
                                                  coupon_fee_bp=RATES["coupon"], count_use_fee_bp=RATES["count_use"])],
)
_days = itertools.count()

posting = st.tuples(
    st.sampled_from(["RECHARGE", "SPEND", "OFFLINE_ADVICE", "REFUND", "VOID", "CARD_CLOSURE", "POINTS_ADJUSTMENT"]),
    st.sampled_from(FRANCHISEES),  # issuer of the card
    st.sampled_from(sorted(STORES)),
    st.integers(min_value=1, max_value=2_000_000),  # principal
    st.integers(min_value=0, max_value=300_000),  # bonus
    st.one_of(st.none(), st.tuples(st.sampled_from(FRANCHISEES), st.integers(min_value=1, max_value=50_000))),  # a coupon
    st.one_of(st.none(), st.tuples(st.sampled_from(FRANCHISEES), st.integers(min_value=1, max_value=10),  # count uses:
                                   st.integers(min_value=0, max_value=90_000))),  # seller, uses, value
)
Uses = tuple[str, int, int] | None


def _half_up(amount: int, rate_bp: int) -> int:
    """Independent of chaincard.money: integer arithmetic, ties away from zero."""
    quotient, remainder = divmod(abs(amount) * rate_bp, 10_000)
    rounded = quotient + (1 if 2 * remainder >= 10_000 else 0)
    return rounded if amount >= 0 else -rounded


def _events(draws: list[tuple[str, str, str, int, int, tuple[str, int] | None, Uses]], day: date) -> list[events_pb2.TransactionPosted]:
    """Turn draws into postings as a region would send them; a refund reverses (part of) the card's
    last spend, a void its last spend or recharge, at that transaction's store."""
    events, last = [], {}
    for index, (kind, issuer, store, principal, bonus, coupon, uses) in enumerate(draws):
        card = f"card-{issuer}"
        transaction_id = f"{day.isoformat()}-{index}"
        original = ""
        sign = {"SPEND": -1, "OFFLINE_ADVICE": -1, "RECHARGE": 1, "CARD_CLOSURE": -1, "POINTS_ADJUSTMENT": 0}.get(kind, 0)
        if kind in ("REFUND", "VOID"):
            wanted = ("SPEND",) if kind == "REFUND" else ("SPEND", "RECHARGE")
            previous = next((last[(card, w)] for w in wanted if (card, w) in last), None)
            if previous is None:
                kind, sign = "SPEND", -1
            else:
                # Restores the sale's coupon and gives back its uses, as the region lists them.
                original, store, reversed_kind, p, b, coupon, uses = previous
                principal, bonus = min(principal, p), min(bonus, b)
                sign = 1 if reversed_kind == "SPEND" else -1
        if kind not in ("SPEND", "OFFLINE_ADVICE", "REFUND", "VOID"):
            coupon = None
        if kind not in ("SPEND", "REFUND", "VOID"):  # never offline (docs/adr/0029)
            uses = None
        events.append(events_pb2.TransactionPosted(
            transaction=common_pb2.Transaction(
                transaction_id=transaction_id, type=common_pb2.TransactionType.Value("TRANSACTION_TYPE_" + kind),
                card_number=card, store_id=store, principal_delta_fen=sign * principal, bonus_delta_fen=sign * bonus,
                points_delta=7 if kind == "POINTS_ADJUSTMENT" else 0, business_date=day.isoformat(),
                original_transaction_id=original, home_region="E",
                count_use_consumptions=[common_pb2.CountUseConsumption(item_code="WASH", uses=uses[1], seller_franchisee_id=uses[0],
                                                                       value_fen=uses[2])] if uses else []),
            issuing_franchisee_id=issuer, acquiring_store_id=store, acquiring_franchisee_id=STORES[store],
            coupons=[transactions_pb2.AppliedCoupon(coupon_code=f"{original or transaction_id}-C", template_code="T",
                                                    discount_fen=coupon[1], issuer_franchisee_id=coupon[0])] if coupon else [],
        ))
        if kind in ("SPEND", "RECHARGE"):
            last[(card, kind)] = (transaction_id, store, kind, principal, bonus, coupon, uses)
    return events


def _expected_nets(events: list[events_pb2.TransactionPosted]) -> dict[str, int]:
    """Straight from the postings: who owes whom, flow by flow, with HQ taking the platform fee."""
    types = {e.transaction.transaction_id: common_pb2.TransactionType.Name(e.transaction.type)[17:] for e in events}
    flows: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for event in events:
        t = event.transaction
        kind = common_pb2.TransactionType.Name(t.type)[17:]
        if kind in ("REFUND", "VOID"):
            kind = "RECHARGE" if types.get(t.original_transaction_id) == "RECHARGE" else "SPEND"
        if kind == "OFFLINE_ADVICE":
            kind = "SPEND"
        for coupon in event.coupons:  # the bearer reimburses the store; a reversal takes it back
            if coupon.issuer_franchisee_id != event.acquiring_franchisee_id:
                restored = t.original_transaction_id != ""
                flows[(coupon.issuer_franchisee_id, event.acquiring_franchisee_id, event.acquiring_store_id, "COUPON")] += (
                    -coupon.discount_fen if restored else coupon.discount_fen)
        for used in t.count_use_consumptions:  # the seller pays the store; a reversal takes it back
            if used.seller_franchisee_id != event.acquiring_franchisee_id:
                returned = t.original_transaction_id != ""
                flows[(used.seller_franchisee_id, event.acquiring_franchisee_id, event.acquiring_store_id, "COUNT_USES")] += (
                    -used.value_fen if returned else used.value_fen)
        if kind not in ("SPEND", "RECHARGE") or event.issuing_franchisee_id == event.acquiring_franchisee_id:
            continue
        gross = -(t.principal_delta_fen + t.bonus_delta_fen) if kind == "SPEND" else t.principal_delta_fen
        flows[(event.issuing_franchisee_id, event.acquiring_franchisee_id, event.acquiring_store_id, kind)] += gross
    nets: dict[str, int] = defaultdict(int)
    for (issuer, acquirer, _store, kind), gross in flows.items():
        if kind == "SPEND":
            receiver, payer, fee = acquirer, issuer, _half_up(gross, RATES["interchange"])
        elif kind == "COUPON":
            receiver, payer, fee = acquirer, issuer, _half_up(gross, RATES["coupon"])
        elif kind == "COUNT_USES":
            receiver, payer, fee = acquirer, issuer, _half_up(gross, RATES["count_use"])
        else:
            receiver, payer, fee = issuer, acquirer, _half_up(gross, RATES["collection"])
        platform = 0 if receiver == "F-HQ" else _half_up(gross, RATES["platform"])
        nets[payer] -= gross - fee
        nets[receiver] += gross - fee - platform
        nets["F-HQ"] += platform
    return {franchisee: nets.get(franchisee, 0) for franchisee in FRANCHISEES}


@pytest.fixture(scope="module")
def database(postgres):
    import uuid

    name = f"cctest_settlement_props_{uuid.uuid4().hex[:8]}"
    url = postgres.url_for(name)
    upgrade_to_head("settlement", url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()
    postgres.drop_database(name)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draws=st.lists(posting, min_size=0, max_size=25))
def test_nets_sum_to_zero_and_match_an_independent_recomputation(database, tmp_path, draws):
    from settlement.runs import SettlementRunner

    day = date(2030, 1, 1) + timedelta(days=next(_days))  # a fresh business day per example
    events = _events(draws, day)
    with database() as session, session.begin():
        for event in events:
            record_posting(session, wrap(event, producer="test", aggregate_id=event.transaction.card_number), event)
    runner = SettlementRunner(database, StaticConfigSource(SNAPSHOT), statements_dir=tmp_path, render_files=False,
                              clock=lambda: datetime(2040, 1, 1, tzinfo=UTC))
    run = runner.run(day)
    assert run.manifest.net_total_fen == 0
    nets = {entry.franchisee_id: entry.net_fen for entry in run.manifest.entries}
    assert nets == _expected_nets(events)
    with database() as session:
        for franchisee in FRANCHISEES:
            statement = load_statement(session, franchisee_id=franchisee, business_date=day)
            assert statement.net_fen == sum(line.net_fen for line in statement.lines) == nets[franchisee]
            assert statement.receivable_fen - statement.payable_fen == statement.net_fen
