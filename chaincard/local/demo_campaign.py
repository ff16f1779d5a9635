"""The demo's last act (issue 16 item 9): members who stopped coming, a wake-up campaign with a
coupon to them (``chaincard campaign wake-up``), the e-mails a local SMTP server caught, and the
campaign's report (docs/adr/0055).

Dormant is the normal data path: members of the tea club card (dormant after 30 days without a
visit, demo_data) who registered at the till and have not bought anything since are dormant; one
who buys today is not. HQ sends its e-mail to ``mailbox`` (``Chain(hq_env=mailbox.hq_env())``)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from chaincard.business_day import business_date
from chaincard.chain_state import ChainState
from chaincard.db.base import utc_now
from chaincard.ids import new_id
from chaincard.local.demo import _chaincard
from chaincard.local.mailbox import CaughtMail, LocalMailbox
from chaincard.rpc.channels import call
from chaincard.v1 import (
    campaigns_pb2,
    campaigns_pb2_grpc,
    cards_pb2,
    cards_pb2_grpc,
    common_pb2,
    member_view_pb2,
    member_view_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    program_config_pb2,
    program_config_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)

STORE = "store-S-E-001"
CARD_TYPE = "CLUB"
MAIL_TEMPLATE = "MAIL-WAKE-UP"
COUPON = "WAKE-UP-20"
CONTROL_PERCENT = 25
NAMES = ["Wang Fang 王芳", "Liu Yang 刘洋", "Zhao Lei 赵磊", "Sun Li 孙丽", "Zhou Jie 周杰", "Wu Xia 吴霞",
         "Zheng Hao 郑浩", "Feng Yu 冯雨"]
VISITOR = "Huang Min 黄敏"
WAIT_SECONDS = 90.0


@dataclass
class WakeUpShown:
    dormant: dict[str, str] = field(default_factory=dict)  # member id → e-mail, this run's dormant members
    visitor: str = ""  # the member who bought today (not dormant)
    segment_line: str = ""
    campaign_id: str = ""
    mails: list[CaughtMail] = field(default_factory=list)  # caught for this run's members
    report: campaigns_pb2.CampaignReport = field(default_factory=campaigns_pb2.CampaignReport)
    report_text: str = ""


def _program(state: ChainState) -> None:
    """The campaign's e-mail template and its coupon (¥20 off ¥100, 14 days), upserted at HQ."""
    with state.channel("hq") as channel:
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        call(program.UpsertCouponTemplate, program_config_pb2.UpsertCouponTemplateRequest(
            request_id=new_id(), coupon_template=program_config_pb2.CouponTemplate(
                code=COUPON, name="满 100 减 20 Welcome back", kind=program_config_pb2.COUPON_KIND_CASH_VOUCHER,
                face_value_fen=2_000, min_spend_fen=10_000, validity_days=14, active=True)))
        call(program.UpsertNotificationTemplate, program_config_pb2.UpsertNotificationTemplateRequest(
            request_id=new_id(), template=program_config_pb2.NotificationTemplate(
                code=MAIL_TEMPLATE, event=program_config_pb2.NOTIFICATION_EVENT_CAMPAIGN,
                channel=program_config_pb2.NOTIFICATION_CHANNEL_EMAIL, active=True,
                body="{member_name}，好久不见！We miss you at the tea house. {campaign_name}: "
                     "your card …{card_last4} now holds a coupon: {coupon_name}.")))


def _register(state: ChainState, run: str) -> WakeUpShown:
    shown = WakeUpShown()
    with state.channel(STORE) as channel:
        members = members_pb2_grpc.MemberServiceStub(channel)
        cards = cards_pb2_grpc.CardServiceStub(channel)
        till = transactions_pb2_grpc.TransactionServiceStub(channel)
        for index, name in enumerate([*NAMES, VISITOR]):
            email = f"{name.split()[0].lower()}.{name.split()[1].lower()}.{run}@member.example"
            member = call(members.RegisterMember, members_pb2.RegisterMemberRequest(
                request_id=new_id(), name=name, phone=f"135{random.randint(0, 99_999_999):08d}", email=email,
                channel=common_pb2.REGISTRATION_CHANNEL_STORE)).member
            card = call(cards.OpenCard, cards_pb2.OpenCardRequest(
                request_id=new_id(), member_id=member.member_id, card_type_code=CARD_TYPE)).card.card_number
            if index < len(NAMES):
                shown.dormant[member.member_id] = email
                continue
            shown.visitor = member.member_id
            call(till.RechargeCard, transactions_pb2.RechargeCardRequest(
                request_id=new_id(), card_number=card, amount_fen=20_000, tender=common_pb2.TENDER_TYPE_CASH))
            call(till.Checkout, transactions_pb2.CheckoutRequest(request_id=new_id(), card_number=card, lines=[
                transactions_pb2.BasketLine(sku="TEA-001", name="Longjing tea 250g", category="tea", quantity=1,
                                            unit_price_fen=8_800)]))
    return shown


def _wait_until_dormant_at_hq(state: ChainState, shown: WakeUpShown) -> None:
    """HQ's views trail the region: wait until its dormant search finds this run's sleepers and not
    the visitor (whose visit has then reached HQ too)."""
    criteria = member_view_pb2.MemberCriteria(dormant_card_type_codes=[CARD_TYPE])
    today = business_date(utc_now()).isoformat()
    deadline = time.monotonic() + WAIT_SECONDS
    with state.channel("hq") as channel:
        views = member_view_pb2_grpc.MemberViewServiceStub(channel)
        while True:
            visited = call(views.SearchMemberViews, member_view_pb2.SearchMemberViewsRequest(
                registered_store_id=STORE.removeprefix("store-"), page_size=500, descending=True,
                criteria=member_view_pb2.MemberCriteria(last_visit_on_or_after=today)))
            found: set[str] = set()
            request = member_view_pb2.SearchMemberViewsRequest(criteria=criteria, page_size=500)
            while True:
                page = call(views.SearchMemberViews, request)
                found |= {member.member_id for member in page.members}
                if not page.next_page_token:
                    break
                request.page_token = page.next_page_token
            if shown.visitor in {member.member_id for member in visited.members} and set(shown.dormant) <= found and shown.visitor not in found:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("HQ's views did not show the new members in time")
            time.sleep(0.3)


def _wait_for_mail(state: ChainState, mailbox: LocalMailbox, shown: WakeUpShown) -> None:
    """Until the campaign is SENT with nothing pending and every delivered e-mail was caught."""
    deadline = time.monotonic() + WAIT_SECONDS
    with state.channel("hq") as channel:
        stub = campaigns_pb2_grpc.CampaignServiceStub(channel)
        while True:
            answer = call(stub.GetCampaignReport, campaigns_pb2.GetCampaignReportRequest(campaign_id=shown.campaign_id))
            report = answer.report
            done = (answer.campaign.state == campaigns_pb2.CAMPAIGN_STATE_SENT and report.targeted > 0
                    and report.pending == 0 and len(mailbox.messages()) >= report.delivered
                    # HQ's coupon views (event-fed) show the coupons the regions issued
                    and report.coupons_issued >= report.targeted)
            if done:
                shown.report = report
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the campaign's e-mails did not all go out in time: {report}")
            time.sleep(0.3)


def run_wake_up_campaign(state: ChainState, mailbox: LocalMailbox) -> WakeUpShown:
    run = f"{random.randint(0, 0xFFFFFF):06x}"
    print("\n== Waking up dormant members: a segment, a campaign with a coupon, the e-mails (A3, N3) ==")
    _program(state)
    shown = _register(state, run)
    print(f"1. At S-E-001, {len(NAMES) + 1} members with e-mail addresses get a tea club card ({CARD_TYPE}: dormant "
          f"after 30 days without a visit). {len(NAMES)} of them never come back; {VISITOR} buys tea today.")
    _wait_until_dormant_at_hq(state, shown)
    print(f"2. HQ's dormant search (SearchMemberViews, criteria dormant_card_type_codes=[{CARD_TYPE}]) finds the "
          f"{len(NAMES)} sleepers, not {VISITOR}")
    woken = _chaincard(state, "campaign", "wake-up", "--card-type", CARD_TYPE, "--template", MAIL_TEMPLATE,
                       "--coupon", COUPON, "--control-percent", str(CONTROL_PERCENT), "--report-days", "14")
    shown.segment_line, campaign_line = woken.strip().splitlines()[-2:]
    shown.campaign_id = campaign_line.split()[0]
    print(f"3. chaincard campaign wake-up --card-type {CARD_TYPE} --template {MAIL_TEMPLATE} --coupon {COUPON} "
          f"--control-percent {CONTROL_PERCENT}")
    print(f"   {shown.segment_line}\n   {campaign_line}")
    _wait_for_mail(state, mailbox, shown)
    ours = set(shown.dormant.values())
    shown.mails = [mail for mail in mailbox.messages() if ours & set(mail.recipients)]
    print(f"4. The local SMTP server ({mailbox.host}:{mailbox.port}) caught {len(shown.mails)} e-mail(s) for this run's "
          f"members; {len(ours) - len(shown.mails)} member(s) drawn into the control group got none:")
    for mail in shown.mails:
        print(f"   To: {', '.join(mail.recipients)}\n   Subject: {mail.subject}\n   {mail.body}\n")
    shown.report_text = _chaincard(state, "campaign", "report", shown.campaign_id)
    print(f"5. The campaign's report (chaincard campaign report {shown.campaign_id}); revenue and lift fill in over "
          f"the next 14 days as members come back:")
    for line in shown.report_text.rstrip().splitlines():
        print(f"   {line}")
    return shown
