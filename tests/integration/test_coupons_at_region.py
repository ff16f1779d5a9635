"""Coupons at the card's home region over real gRPC (issue 13, Q2–Q4): IssueCoupon and
ListCardCoupons at the region, through another region and through a store agent; recharge-tier
and registration coupons; transfer; what closing and replacing a card does to its coupons."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
import pytest

from chaincard.config import Settings
from chaincard.errors import PermissionDenied
from chaincard.ids import make_card_number, new_id
from chaincard.rpc.channels import open_channel
from chaincard.security.identity import Principal, Role, Scope, acting_as
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    events_pb2,
    program_config_pb2_grpc,
    transactions_pb2,
)
from chaincard.v1 import program_config_pb2 as pc
from region_service.coupons.manual import issue_coupon
from store_agent.bootstrap import start_store
from tests.support.cards import DEADLINE, assert_refused, open_card, random_phone, recharge_card
from tests.support.coupons import coupon_rows, outbox_events, upsert_template
from tests.support.sql import scalar

AVAILABLE = common_pb2.COUPON_STATE_AVAILABLE


@pytest.fixture(scope="module")
def program(regions) -> str:  # type: ignore[no-untyped-def]
    """Templates, a recharge promotion with coupons, registration coupons; then one issue that makes
    region E read the new configuration at once (a template it does not know forces a refresh)."""
    hq = regions.hq_endpoint
    upsert_template(hq, "CP-10", validity_days=30)
    upsert_template(hq, "CP-SOON", validity_days=3)
    upsert_template(hq, "CP-GIFT", validity_days=10, transferable=True, transfer_reward_points=25)
    upsert_template(hq, "CP-OFF", validity_days=10, active=False)
    upsert_template(hq, "CP-REG", validity_days=7, name="Welcome voucher")
    with open_channel(hq) as channel:
        config = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        settings = config.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=DEADLINE).snapshot.settings
        settings.registration_coupon_template_codes[:] = ["CP-REG"]
        config.SetChainSettings(pc.SetChainSettingsRequest(request_id=new_id(), settings=settings), timeout=DEADLINE)
        config.UpsertRechargePromotion(pc.UpsertRechargePromotionRequest(request_id=new_id(), promotion=pc.RechargePromotion(
            code="CP-PROMO", name="coupons for ¥888", card_type_codes=["SV"], store_ids=["S-E-002"], priority=50, active=True,
            tiers=[pc.RechargeTier(min_amount_fen=88_800, bonus_fen=800, coupon_template_codes=["CP-10", "CP-10", "CP-SOON"])],
        )), timeout=DEADLINE)
    upsert_template(hq, "CP-LAST", validity_days=1)
    for code in ("E", "W"):
        probe = open_card(regions.clients[code], f"S-{code}-001")
        regions.clients[code].cards.IssueCoupon(_issue_request(probe, "CP-LAST", store=f"S-{code}-001"), timeout=DEADLINE)
    return "CP-10"


def _issue_request(card: str, template: str, *, quantity: int = 1, store: str = "S-E-001", reason: str = "goodwill",
                   request_id: str = "") -> cards_pb2.IssueCouponRequest:
    return cards_pb2.IssueCouponRequest(request_id=request_id or new_id(), store_id=store, card_number=card,
                                        template_code=template, quantity=quantity, reason=reason, operator_id="ST-9")


def _list(cards, card: str, **fields) -> list[common_pb2.Coupon]:  # type: ignore[no-untyped-def]
    coupons: list[common_pb2.Coupon] = []
    token = ""
    while True:
        page = cards.ListCardCoupons(cards_pb2.ListCardCouponsRequest(card_number=card, page_token=token, **fields), timeout=DEADLINE)
        coupons += page.coupons
        token = page.next_page_token
        if not token:
            return coupons


# ---- IssueCoupon, ListCardCoupons ------------------------------------------------------------------

def test_issue_is_audited_listed_soonest_first_and_exactly_once_on_retry(regions, program):
    east = regions.clients["E"]
    card = open_card(east)
    request = _issue_request(card, "CP-10", quantity=3)
    first = east.cards.IssueCoupon(request, timeout=DEADLINE)
    again = east.cards.IssueCoupon(request, timeout=DEADLINE)  # a retry: the same answer, nothing new
    assert [c.coupon_code for c in again.coupons] == [c.coupon_code for c in first.coupons]
    soon = east.cards.IssueCoupon(_issue_request(card, "CP-SOON"), timeout=DEADLINE).coupons[0]

    listed = _list(east.cards, card)
    assert [c.template_code for c in listed] == ["CP-SOON", "CP-REG", "CP-10", "CP-10", "CP-10"]
    assert listed[0].coupon_code == soon.coupon_code
    assert {c.issued_reason for c in listed if c.template_code == "CP-10"} == {"goodwill"}
    audited = scalar(regions.database_urls["E"], "SELECT count(*) FROM audit_log WHERE action = 'coupon.issue' AND target_id = :card",
                     card=card)
    assert audited == 2  # one per issue, none for the retry


def test_list_pages_through_every_coupon_once(regions, program):
    east = regions.clients["E"]
    card = open_card(east)
    issued = east.cards.IssueCoupon(_issue_request(card, "CP-10", quantity=7), timeout=DEADLINE).coupons
    pages = []
    token = ""
    while True:
        page = east.cards.ListCardCoupons(cards_pb2.ListCardCouponsRequest(card_number=card, page_size=3, page_token=token),
                                          timeout=DEADLINE)
        pages.append(len(page.coupons))
        token = page.next_page_token
        if not token:
            break
    assert pages == [3, 3, 2]  # seven issued and the registration coupon
    codes = [c.coupon_code for c in _list(east.cards, card, page_size=3)]
    assert len(codes) == len(set(codes)) == 8
    assert {c.coupon_code for c in issued} <= set(codes)


def test_refusals_name_the_field_or_say_why(regions, program):
    east = regions.clients["E"]
    card = open_card(east)
    issue = east.cards.IssueCoupon
    assert_refused(issue, _issue_request(card, "CP-10", quantity=0), grpc.StatusCode.INVALID_ARGUMENT, "quantity")
    assert_refused(issue, _issue_request(card, "CP-10", quantity=101), grpc.StatusCode.INVALID_ARGUMENT, "quantity")
    assert_refused(issue, _issue_request(card, "CP-10", reason=""), grpc.StatusCode.INVALID_ARGUMENT, "reason")
    assert_refused(issue, _issue_request(card, ""), grpc.StatusCode.INVALID_ARGUMENT, "template_code")
    assert_refused(issue, _issue_request("12", "CP-10"), grpc.StatusCode.INVALID_ARGUMENT, "card_number")
    assert_refused(issue, _issue_request(card, "NO-SUCH"), grpc.StatusCode.FAILED_PRECONDITION, "NO-SUCH")
    assert_refused(issue, _issue_request(card, "CP-OFF"), grpc.StatusCode.FAILED_PRECONDITION, "not active")
    assert_refused(issue, _issue_request(make_card_number("11", 99_999_999), "CP-10"), grpc.StatusCode.NOT_FOUND)
    # A store of another franchisee (Aurora) cannot issue to a card issued at HQ's own store.
    assert_refused(issue, _issue_request(card, "CP-10", store="S-E-002"), grpc.StatusCode.PERMISSION_DENIED, "franchisee")
    lister = east.cards.ListCardCoupons
    assert_refused(lister, cards_pb2.ListCardCouponsRequest(card_number=card, page_size=500), grpc.StatusCode.INVALID_ARGUMENT,
                   "page_size")
    assert_refused(lister, cards_pb2.ListCardCouponsRequest(card_number=card, page_token="nonsense"),
                   grpc.StatusCode.INVALID_ARGUMENT, "page_token")
    assert [c.template_code for c in _list(east.cards, card)] == ["CP-REG"]  # nothing was issued


def test_operators_issue_only_inside_their_scope(regions, region_context, program):
    card = open_card(regions.clients["E"], "S-E-002")  # issued by Aurora

    def issue(principal: Principal, store: str) -> int:
        with acting_as(principal):
            answer = region_context.commands.run(issue_coupon, _issue_request(card, "CP-10", store=store))
        return len(answer.coupons)

    aurora_manager = Principal(operator_id="SM-A", role=Role.STORE_MANAGER, scope=Scope.store("S-E-002"))
    hq_manager = Principal(operator_id="SM-H", role=Role.STORE_MANAGER, scope=Scope.store("S-E-001"))
    east = Principal(operator_id="RM-E", role=Role.REGIONAL_MANAGER, scope=Scope.region("E"))
    west = Principal(operator_id="RM-W", role=Role.REGIONAL_MANAGER, scope=Scope.region("W"))
    hq = Principal(operator_id="HA", role=Role.HQ_ADMIN, scope=Scope.chain())
    assert issue(aurora_manager, "S-E-002") == 1
    assert issue(east, "") == 1
    assert issue(hq, "") == 1
    with pytest.raises(PermissionDenied, match="franchisee"):
        issue(hq_manager, "S-E-001")
    with pytest.raises(PermissionDenied, match="outside your scope"):
        issue(west, "")
    with pytest.raises(PermissionDenied, match="outside your scope"):
        issue(aurora_manager, "S-E-001")  # acting from a store not theirs
    assert len([row for row in coupon_rows(region_context, card) if row.template_code == "CP-10"]) == 3


def test_a_card_homed_elsewhere_is_served_at_its_home(regions, program):
    west_card = open_card(regions.clients["W"], "S-W-001")
    issued = regions.clients["E"].cards.IssueCoupon(_issue_request(west_card, "CP-10", store="S-E-001"), timeout=DEADLINE)
    assert issued.coupons[0].coupon_code[1:3] == "21"  # homed in W, with its card
    listed = _list(regions.clients["E"].cards, west_card)
    assert issued.coupons[0].coupon_code in [c.coupon_code for c in listed]
    assert scalar(regions.database_urls["W"], "SELECT count(*) FROM coupons WHERE card_number = :card AND template_code = 'CP-10'",
                  card=west_card) == 1


@pytest.fixture(scope="module")
def store(regions, tmp_path_factory) -> Iterator[cards_pb2_grpc.CardServiceStub]:
    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            pc.GetConfigSnapshotRequest(), timeout=DEADLINE).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == "E")
    running = start_store(Settings(listen="127.0.0.1:0", store_id="S-E-001", region_endpoint=endpoint,
                                   database_url=f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite'}", rpc_deadline_seconds=5.0, insecure=True))
    channel = open_channel(f"127.0.0.1:{running.port}")
    try:
        yield cards_pb2_grpc.CardServiceStub(channel)
    finally:
        channel.close()
        running.stop(grace=1)


def test_issue_and_list_through_the_store_agent(regions, program, store):
    card = open_card(regions.clients["E"])
    request = _issue_request(card, "CP-10", quantity=2, store="")
    issued = store.IssueCoupon(request, timeout=DEADLINE)
    assert len(store.IssueCoupon(request, timeout=DEADLINE).coupons) == 2
    listed = store.ListCardCoupons(cards_pb2.ListCardCouponsRequest(card_number=card), timeout=DEADLINE).coupons
    assert {c.coupon_code for c in issued.coupons} <= {c.coupon_code for c in listed}
    assert len(listed) == 3  # two and the registration coupon
    assert_refused(store.IssueCoupon, _issue_request(card, "CP-10", quantity=0, store=""), grpc.StatusCode.INVALID_ARGUMENT,
                   "quantity")
    gift = store.IssueCoupon(_issue_request(card, "CP-GIFT", store=""), timeout=DEADLINE).coupons[0]
    phone = random_phone()
    recipient = open_card(regions.clients["E"], phone_number=phone)
    given = store.TransferCoupon(cards_pb2.TransferCouponRequest(
        request_id=new_id(), card_number=card, coupon_code=gift.coupon_code, recipient_phone=phone), timeout=DEADLINE)
    assert given.received.card_number == recipient and given.reward_transaction.store_id == "S-E-001"


# ---- coupons issued by rules ------------------------------------------------------------------------

def test_a_recharge_tier_issues_its_coupons_in_the_recharge_once(regions, region_context, program):
    east = regions.clients["E"]
    card = open_card(east, "S-E-002")
    request = transactions_pb2.RechargeCardRequest(request_id=new_id(), store_id="S-E-002", card_number=card, amount_fen=88_800,
                                                   tender=common_pb2.TENDER_TYPE_CASH)
    answer = east.transactions.RechargeCard(request, timeout=DEADLINE)
    retried = east.transactions.RechargeCard(request, timeout=DEADLINE)
    assert answer.promotion_code == "CP-PROMO"
    assert sorted(c.template_code for c in answer.coupons_issued) == ["CP-10", "CP-10", "CP-SOON"]
    assert [c.coupon_code for c in retried.coupons_issued] == [c.coupon_code for c in answer.coupons_issued]
    receipt = "\n".join(line.text for line in answer.receipt)
    assert "Coupon Voucher CP-10" in receipt and "x2" in receipt
    keys = sorted(row.issue_key for row in coupon_rows(region_context, card) if row.template_code != "CP-REG")
    transaction_id = answer.transaction.transaction_id
    assert keys == [f"recharge:{transaction_id}:CP-10:0", f"recharge:{transaction_id}:CP-10:1", f"recharge:{transaction_id}:CP-SOON:0"]
    # A smaller recharge, below the tier, issues none.
    assert not recharge_card(east.transactions, card, 10_000, "S-E-002").coupons_issued


def test_opening_a_card_issues_the_registration_coupons(regions, region_context, program):
    card = open_card(regions.clients["E"])
    rows = coupon_rows(region_context, card)
    assert [(row.template_code, row.issue_key, row.issued_reason) for row in rows] == [
        ("CP-REG", f"registration:{card}:CP-REG:0", "registration")]
    issued = [events_pb2.CouponIssued.FromString(events_pb2.EventEnvelope.FromString(raw).payload)
              for raw in outbox_events(region_context, card, "chaincard.v1.CouponIssued")]
    assert [event.coupon.coupon_code for event in issued] == [rows[0].coupon_code]


# ---- transfer (Q4) ----------------------------------------------------------------------------------

def _member_card(clients, phone: str) -> str:  # type: ignore[no-untyped-def]
    return open_card(clients, phone_number=phone)


def test_transfer_gives_the_coupon_and_rewards_the_giver_once(regions, region_context, program):
    east = regions.clients["E"]
    giver = open_card(east)
    phone = random_phone()
    recipient = _member_card(east, phone)
    gift = east.cards.IssueCoupon(_issue_request(giver, "CP-GIFT"), timeout=DEADLINE).coupons[0]
    request = cards_pb2.TransferCouponRequest(request_id=new_id(), store_id="S-E-001", card_number=giver,
                                              coupon_code=gift.coupon_code, recipient_phone=phone, operator_id="ST-1")
    answer = east.cards.TransferCoupon(request, timeout=DEADLINE)
    assert east.cards.TransferCoupon(request, timeout=DEADLINE) == answer  # a retry: the same answer

    assert answer.given.state == common_pb2.COUPON_STATE_VOIDED
    assert answer.received.card_number == recipient and answer.received.state == AVAILABLE
    assert answer.received.template_code == "CP-GIFT" and answer.received.valid_until == gift.valid_until
    assert answer.reward_points == 25 and answer.reward_transaction.points_delta == 25
    assert answer.recipient_card_masked.endswith(recipient[-4:])
    balance = east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=giver), timeout=DEADLINE).balances
    assert balance.points == 25
    assert gift.coupon_code not in [c.coupon_code for c in _list(east.cards, giver)]
    assert answer.received.coupon_code in [c.coupon_code for c in _list(east.cards, recipient)]
    changes = [events_pb2.CouponStateChanged.FromString(events_pb2.EventEnvelope.FromString(raw).payload)
               for raw in outbox_events(region_context, giver, "chaincard.v1.CouponStateChanged")]
    assert [(c.coupon_code, c.reason) for c in changes] == [(gift.coupon_code, f"transferred to card {recipient}")]
    # Given once: the coupon is gone from the giver.
    again = cards_pb2.TransferCouponRequest(request_id=new_id(), store_id="S-E-001", card_number=giver,
                                            coupon_code=gift.coupon_code, recipient_phone=phone)
    assert_refused(east.cards.TransferCoupon, again, grpc.StatusCode.FAILED_PRECONDITION, "voided")


def test_transfer_refusals_are_precise(regions, program):
    east = regions.clients["E"]
    giver = open_card(east)
    phone = random_phone()
    _member_card(east, phone)
    plain = east.cards.IssueCoupon(_issue_request(giver, "CP-10"), timeout=DEADLINE).coupons[0]
    gift = east.cards.IssueCoupon(_issue_request(giver, "CP-GIFT"), timeout=DEADLINE).coupons[0]
    other = open_card(east)
    others = east.cards.IssueCoupon(_issue_request(other, "CP-GIFT"), timeout=DEADLINE).coupons[0]
    no_card_phone = random_phone()
    no_card = open_card(east, phone_number=no_card_phone)
    east.cards.CloseCard(cards_pb2.CloseCardRequest(request_id=new_id(), store_id="S-E-001", card_number=no_card), timeout=DEADLINE)

    def give(code: str, to: str, **fields):  # type: ignore[no-untyped-def]
        return cards_pb2.TransferCouponRequest(request_id=new_id(), store_id="S-E-001", card_number=giver, coupon_code=code,
                                               recipient_phone=to, **fields)

    refuse = east.cards.TransferCoupon
    assert_refused(refuse, give(plain.coupon_code, phone), grpc.StatusCode.FAILED_PRECONDITION, "not transferable")
    assert_refused(refuse, give(others.coupon_code, phone), grpc.StatusCode.FAILED_PRECONDITION, f"not held by card {giver}")
    assert_refused(refuse, give(gift.coupon_code, random_phone()), grpc.StatusCode.NOT_FOUND, "recipient_phone")
    assert_refused(refuse, give(gift.coupon_code, no_card_phone), grpc.StatusCode.FAILED_PRECONDITION, "no active card")
    assert_refused(refuse, give(gift.coupon_code, "12345"), grpc.StatusCode.INVALID_ARGUMENT, "recipient_phone")
    assert_refused(refuse, give("123", phone), grpc.StatusCode.INVALID_ARGUMENT, "coupon_code")
    assert gift.coupon_code in [c.coupon_code for c in _list(east.cards, giver)]  # nothing changed


def test_transfer_to_a_member_homed_in_another_region(regions, program):
    east, west = regions.clients["E"], regions.clients["W"]
    giver = open_card(east)
    phone = random_phone()
    recipient = open_card(west, "S-W-001", phone_number=phone)
    gift = east.cards.IssueCoupon(_issue_request(giver, "CP-GIFT"), timeout=DEADLINE).coupons[0]
    request = cards_pb2.TransferCouponRequest(request_id=new_id(), store_id="S-E-001", card_number=giver,
                                              coupon_code=gift.coupon_code, recipient_phone=phone)
    answer = east.cards.TransferCoupon(request, timeout=DEADLINE)
    assert east.cards.TransferCoupon(request, timeout=DEADLINE) == answer
    assert answer.received.card_number == recipient and answer.received.coupon_code[1:3] == "21"  # homed in W
    assert answer.received.valid_until == gift.valid_until and answer.given.state == common_pb2.COUPON_STATE_VOIDED
    assert [c.coupon_code for c in _list(west.cards, recipient) if c.template_code == "CP-GIFT"] == [answer.received.coupon_code]
    assert scalar(regions.database_urls["W"], "SELECT count(*) FROM coupons WHERE issue_key = :key",
                  key=f"transfer:{gift.coupon_code}:0") == 1
    assert east.cards.GetBalance(cards_pb2.GetBalanceRequest(card_number=giver), timeout=DEADLINE).balances.points == 25
    # The recipient's region refusing (no active card there) leaves the giver's coupon as it was.
    closed_phone = random_phone()
    closed = open_card(west, "S-W-001", phone_number=closed_phone)
    west.cards.CloseCard(cards_pb2.CloseCardRequest(request_id=new_id(), store_id="S-W-001", card_number=closed), timeout=DEADLINE)
    other = east.cards.IssueCoupon(_issue_request(giver, "CP-GIFT"), timeout=DEADLINE).coupons[0]
    assert_refused(east.cards.TransferCoupon, cards_pb2.TransferCouponRequest(
        request_id=new_id(), store_id="S-E-001", card_number=giver, coupon_code=other.coupon_code, recipient_phone=closed_phone),
        grpc.StatusCode.FAILED_PRECONDITION, "no active card")
    assert other.coupon_code in [c.coupon_code for c in _list(east.cards, giver)]


# ---- closure and replacement ------------------------------------------------------------------------

def test_closing_a_card_voids_its_coupons_and_replacing_moves_them(regions, region_context, program):
    east = regions.clients["E"]
    closing = open_card(east)
    east.cards.IssueCoupon(_issue_request(closing, "CP-10", quantity=2), timeout=DEADLINE)
    east.cards.CloseCard(cards_pb2.CloseCardRequest(request_id=new_id(), store_id="S-E-001", card_number=closing),
                         timeout=DEADLINE)
    assert {row.state for row in coupon_rows(region_context, closing)} == {"VOIDED"}
    assert _list(east.cards, closing) == []

    old = open_card(east)
    kept = east.cards.IssueCoupon(_issue_request(old, "CP-10"), timeout=DEADLINE).coupons[0]
    new = east.cards.ReplaceCard(cards_pb2.ReplaceCardRequest(request_id=new_id(), store_id="S-E-001", card_number=old),
                                 timeout=DEADLINE).new_card.card_number
    moved = _list(east.cards, new)
    assert kept.coupon_code in [c.coupon_code for c in moved] and all(c.card_number == new for c in moved)
    assert _list(east.cards, old) == []
    changes = [events_pb2.CouponStateChanged.FromString(events_pb2.EventEnvelope.FromString(raw).payload)
               for raw in outbox_events(region_context, new, "chaincard.v1.CouponStateChanged")]
    assert {(c.coupon_code, c.previous_card_number) for c in changes} >= {(kept.coupon_code, old)}
    assert datetime.now(UTC) < moved[0].valid_until.ToDatetime(tzinfo=UTC)
