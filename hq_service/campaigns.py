"""Campaigns at HQ (N3, A3, A4; docs/adr/0055): create, schedule, list and report.

A campaign targets a saved segment (its version frozen when scheduled), a notice template of event
CAMPAIGN and optionally a coupon template. HQ's campaign worker (hq_service.campaign_sender) starts
it at ``send_at``. Creating and scheduling run through HQ's command runner (one answer per request
id) and are audited; both are kept within the caller's region (the interceptor fills in
``scope_region`` for a regional manager).
"""

from __future__ import annotations

import secrets
from datetime import UTC, timedelta

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.orm import Session

from chaincard.business_day import business_date
from chaincard.coupons.templates import issuable_template
from chaincard.db.base import utc_now
from chaincard.errors import ChainCardError, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from chaincard.ids import new_id
from chaincard.notifications.templates import DEFAULT_TEMPLATES
from chaincard.security.identity import Place, current_principal
from chaincard.v1 import campaigns_pb2, common_pb2
from chaincard.v1 import program_config_pb2 as pc
from chaincard.validation import optional_text, require_text
from hq_service import audit_log
from hq_service.audit_log import who
from hq_service.bulk_issue_models import BulkIssueCard
from hq_service.campaign_models import CampaignRecipient, CampaignRow
from hq_service.campaign_report import lift
from hq_service.coupon_views import CouponView
from hq_service.models import ConfigItem, MemberDailyFigures, Notice
from hq_service.segments import segment_version
from hq_service.unit_of_work import HqUnitOfWork

SERVICE = "CampaignService"
MAX_CONTROL_PERCENT = 50
DEFAULT_REPORT_DAYS = 30
MAX_REPORT_DAYS = 365
DEFAULT_LIST = 50
MAX_LIST = 500
S = campaigns_pb2.CampaignState
STATES = {"DRAFT": S.CAMPAIGN_STATE_DRAFT, "SCHEDULED": S.CAMPAIGN_STATE_SCHEDULED,
          "SENDING": S.CAMPAIGN_STATE_SENDING, "SENT": S.CAMPAIGN_STATE_SENT}


def to_proto(row: CampaignRow) -> campaigns_pb2.Campaign:
    campaign = campaigns_pb2.Campaign(
        campaign_id=row.campaign_id, name=row.name, description=row.description, segment_name=row.segment_name,
        segment_version=row.segment_version, message_template_code=row.message_template_code,
        coupon_template_code=row.coupon_template_code, coupon_card_type_code=row.coupon_card_type_code,
        control_percent=row.control_percent, control_seed=row.control_seed, report_days=row.report_days,
        state=STATES[row.state], scope_region=row.scope_region, created_by=row.created_by)
    campaign.created_at.FromDatetime(row.created_at)
    for name, value in (("send_at", row.send_at), ("started_at", row.started_at), ("finished_at", row.finished_at)):
        if value is not None:
            getattr(campaign, name).FromDatetime(value)
    return campaign


def place_of(row: CampaignRow) -> Place:
    return Place(region=row.scope_region)


def message_template(session: Session, code: str, field: str = "campaign.message_template_code") -> pc.NotificationTemplate:
    """The campaign's notice template: configured at HQ with event CAMPAIGN and active, or the default."""
    item = session.get(ConfigItem, ("notification_template", code))
    if item is None:
        default = DEFAULT_TEMPLATES[pc.NOTIFICATION_EVENT_CAMPAIGN]
        if code == default.code:
            return default
        raise InvalidArgument(field, f"no notification template {code!r}")
    template = pc.NotificationTemplate.FromString(item.definition)
    if template.event != pc.NOTIFICATION_EVENT_CAMPAIGN:
        raise InvalidArgument(field, f"template {code!r} is not for event CAMPAIGN")
    if not template.active:
        raise InvalidArgument(field, f"template {code!r} is not active")
    return template


def coupon_template(session: Session, code: str, field: str = "campaign.coupon_template_code") -> pc.CouponTemplate:
    """The campaign's coupon template, which must exist and be active."""
    item = session.get(ConfigItem, ("coupon_template", code))
    template = pc.CouponTemplate.FromString(item.definition) if item is not None else None
    try:
        issuable_template(pc.ConfigSnapshot(coupon_templates=[template] if template else []), code, field)
    except ChainCardError as refused:
        raise InvalidArgument(field, str(refused).removeprefix(f"{field}: ")) from None
    assert template is not None
    return template


def _in_scope(row_region: str, caller_region: str, what: str) -> None:
    if caller_region and caller_region != row_region:
        raise PermissionDenied(f"{what} is not kept within your region ({caller_region})")


def create_campaign(uow: HqUnitOfWork, request: campaigns_pb2.CreateCampaignRequest) -> campaigns_pb2.CreateCampaignResponse:
    session, wanted = uow.session, request.campaign
    name = require_text("campaign.name", wanted.name, max_length=100)
    description = optional_text("campaign.description", wanted.description, max_length=256)
    segment_name = require_text("campaign.segment_name", wanted.segment_name, max_length=64)
    if wanted.segment_version < 0:
        raise InvalidArgument("campaign.segment_version", "must not be negative")
    require_text("campaign.message_template_code", wanted.message_template_code, max_length=64)
    if not 0 <= wanted.control_percent <= MAX_CONTROL_PERCENT:
        raise InvalidArgument("campaign.control_percent", f"must be 0 to {MAX_CONTROL_PERCENT}")
    if wanted.control_seed < 0:
        raise InvalidArgument("campaign.control_seed", "must not be negative")
    if not 0 <= wanted.report_days <= MAX_REPORT_DAYS:
        raise InvalidArgument("campaign.report_days", f"must be 0 to {MAX_REPORT_DAYS}")
    message_template(session, wanted.message_template_code)
    if wanted.coupon_template_code:
        coupon_template(session, wanted.coupon_template_code)
    if wanted.coupon_card_type_code:
        if not wanted.coupon_template_code:
            raise InvalidArgument("campaign.coupon_card_type_code", "needs coupon_template_code")
        if session.get(ConfigItem, ("card_type", wanted.coupon_card_type_code)) is None:
            raise InvalidArgument("campaign.coupon_card_type_code", f"no card type {wanted.coupon_card_type_code!r}")
    segment = segment_version(session, segment_name, wanted.segment_version or None)  # NOT_FOUND when unknown
    _in_scope(segment.scope_region, request.scope_region, f"segment {segment_name!r}")
    row = CampaignRow(
        campaign_id=new_id(), name=name, description=description, segment_name=segment_name,
        segment_version=wanted.segment_version, message_template_code=wanted.message_template_code,
        coupon_template_code=wanted.coupon_template_code, coupon_card_type_code=wanted.coupon_card_type_code,
        control_percent=wanted.control_percent, control_seed=wanted.control_seed or secrets.randbelow(2**62) + 1,
        report_days=wanted.report_days or DEFAULT_REPORT_DAYS, state="DRAFT", send_at=None,
        scope_region=request.scope_region or segment.scope_region, created_by=who(current_principal()).actor,
        created_at=utc_now(), coupon_job_id="", last_error="")
    session.add(row)
    session.flush()
    created = to_proto(row)
    audit_log.record(session, action=audit_log.rpc(SERVICE, "CreateCampaign"), target_type="campaign",
                     target_id=row.campaign_id, place=place_of(row), after=created, request_id=request.request_id)
    return campaigns_pb2.CreateCampaignResponse(campaign=created)


def _campaign(session: Session, campaign_id: str, caller_region: str, *, lock: bool = False) -> CampaignRow:
    if not campaign_id:
        raise InvalidArgument("campaign_id", "is required")
    row = session.get(CampaignRow, campaign_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"no campaign {campaign_id!r}")
    _in_scope(row.scope_region, caller_region, f"campaign {campaign_id!r}")
    return row


def schedule_campaign(uow: HqUnitOfWork, request: campaigns_pb2.ScheduleCampaignRequest) -> campaigns_pb2.ScheduleCampaignResponse:
    session = uow.session
    row = _campaign(session, request.campaign_id, request.scope_region, lock=True)
    if row.state != "DRAFT":
        raise FailedPrecondition(f"campaign {row.campaign_id!r} is {row.state}: a campaign is scheduled once")
    before = to_proto(row)
    # The segment version is frozen now: a later save of the segment changes nothing of this campaign.
    row.segment_version = segment_version(session, row.segment_name, row.segment_version or None).version
    row.send_at = request.send_at.ToDatetime(tzinfo=UTC) if request.HasField("send_at") else utc_now()
    row.state = "SCHEDULED"
    session.flush()
    scheduled = to_proto(row)
    audit_log.record(session, action=audit_log.rpc(SERVICE, "ScheduleCampaign"), target_type="campaign",
                     target_id=row.campaign_id, place=place_of(row), before=before, after=scheduled,
                     request_id=request.request_id)
    return campaigns_pb2.ScheduleCampaignResponse(campaign=scheduled)


def list_campaigns(session: Session, request: campaigns_pb2.ListCampaignsRequest) -> campaigns_pb2.ListCampaignsResponse:
    if request.limit < 0:
        raise InvalidArgument("limit", "must not be negative")
    query = select(CampaignRow).order_by(CampaignRow.created_at.desc(), CampaignRow.campaign_id)
    if request.scope_region:
        query = query.where(CampaignRow.scope_region == request.scope_region)
    rows = session.execute(query.limit(min(request.limit or DEFAULT_LIST, MAX_LIST))).scalars()
    return campaigns_pb2.ListCampaignsResponse(campaigns=[to_proto(row) for row in rows])


def report(session: Session, row: CampaignRow, *, time_zone: str, cutoff: str) -> campaigns_pb2.CampaignReport:
    """What the campaign did, from its recipients, their notices, the coupons of its bulk issue and
    HQ's member daily figures over the report window."""
    answer = campaigns_pb2.CampaignReport()
    if row.started_at is None:
        return answer
    recipients = CampaignRecipient
    targeted = ~recipients.in_control
    counts = session.execute(
        select(func.count().filter(targeted), func.count().filter(recipients.in_control),
               func.count().filter(targeted, Notice.status == "SENT"),
               func.count().filter(targeted, Notice.status == "FAILED"),
               func.count().filter(targeted, Notice.status == "OPTED_OUT"))
        .select_from(recipients).outerjoin(Notice, Notice.notice_id == recipients.notice_id)
        .where(recipients.campaign_id == row.campaign_id)
    ).one()
    answer.targeted, answer.control, answer.delivered, answer.failed, answer.opted_out = (int(n) for n in counts)
    answer.sent = answer.delivered + answer.failed
    answer.pending = answer.targeted - answer.sent - answer.opted_out
    if row.coupon_job_id:
        issued, redeemed = session.execute(
            select(func.count(CouponView.coupon_code),
                   func.count().filter(CouponView.state == int(common_pb2.COUPON_STATE_REDEEMED)))
            .select_from(BulkIssueCard)
            .join(CouponView, and_(CouponView.coupon_code == BulkIssueCard.coupon_code, BulkIssueCard.coupon_code != ""))
            .where(BulkIssueCard.job_id == row.coupon_job_id)).one()
        answer.coupons_issued, answer.coupons_redeemed = int(issued), int(redeemed)
    first = business_date(row.started_at, time_zone, cutoff)
    last = first + timedelta(days=row.report_days - 1)
    answer.window_from_date, answer.window_to_date = first.isoformat(), last.isoformat()
    spend = (select(MemberDailyFigures.member_id, func.sum(MemberDailyFigures.spend_fen).label("spend"))
             .where(MemberDailyFigures.business_date.between(first, last))
             .group_by(MemberDailyFigures.member_id).subquery())
    control_flag = cast(recipients.in_control, Integer)
    revenue: dict[int, int] = {int(group): int(total) for group, total in session.execute(
        select(control_flag, func.coalesce(func.sum(spend.c.spend), 0))
        .select_from(recipients).join(spend, spend.c.member_id == recipients.member_id)
        .where(recipients.campaign_id == row.campaign_id).group_by(control_flag))}
    answer.targeted_revenue_fen = int(revenue.get(0, 0))
    answer.control_revenue_fen = int(revenue.get(1, 0))
    figures = lift(answer.targeted_revenue_fen, answer.targeted, answer.control_revenue_fen, answer.control)
    answer.targeted_revenue_per_member_fen = figures.targeted_per_member_fen
    answer.control_revenue_per_member_fen = figures.control_per_member_fen
    answer.lift_basis_points, answer.lift_defined = figures.lift_basis_points, figures.defined
    return answer


def get_report(session: Session, request: campaigns_pb2.GetCampaignReportRequest, *, time_zone: str,
               cutoff: str) -> campaigns_pb2.GetCampaignReportResponse:
    row = _campaign(session, request.campaign_id, request.scope_region)
    return campaigns_pb2.GetCampaignReportResponse(campaign=to_proto(row),
                                                    report=report(session, row, time_zone=time_zone, cutoff=cutoff))

