"""HQ's campaign worker (N3, docs/adr/0055): starts due campaigns and hands their messages to the
notice queue, each step one transaction, so a crash anywhere leaves a state the next step resumes.

1. **Start** (one transaction): lock a SCHEDULED campaign whose ``send_at`` has come (``FOR UPDATE
   SKIP LOCKED``); draw its recipients with ONE ``INSERT … SELECT`` over the frozen segment version
   (member search's SQL): per member, whether it is in the control group (the first
   ``members × percent // 100`` by md5(seed:member id): deterministic from the stored seed), the
   card that gets the coupon, and the notice id (md5 of campaign:member, unique); create the bulk
   coupon issue of the targeted members' cards (docs/adr/0024: idempotent per card, resumable);
   mark the campaign SENDING. Committed together or not at all.
2. **Hand off** (one transaction per chunk): once the coupons are issued (the bulk issue is no
   longer RUNNING), insert the next chunk of targeted members' notices into ``notices`` (``ON
   CONFLICT DO NOTHING`` on the notice id) and mark those recipients handed off; the last chunk
   marks the campaign SENT. The notice dispatcher sends each notice at most once and honours
   opt-outs (docs/adr/0053); quiet hours set each notice's ``send_after``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from typing import cast as cast_any

from sqlalchemy import String, and_, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import table_of, utc_now
from chaincard.errors import ChainCardError
from chaincard.notifications.quiet_hours import QuietHours
from chaincard.v1 import common_pb2
from chaincard.v1 import program_config_pb2 as pc
from chaincard.workers import Backoff, Worker
from hq_service import audit_log, member_search
from hq_service.bulk_issue_models import BulkIssueCard, BulkIssueCursor, BulkIssueJobRow
from hq_service.campaign_models import CampaignRecipient, CampaignRow
from hq_service.campaigns import coupon_template, message_template, place_of
from hq_service.models import CardView, ConfigItem, Notice
from hq_service.segments import criteria_of, scope_of, segment_version

log = logging.getLogger(__name__)

CHUNK_SIZE = 2000
IDLE_SECONDS = 1.0
NOTICE_EVENT = "CAMPAIGN"


def control_group(seed: int, member_ids: Sequence[str], percent: int) -> set[str]:
    """The control group the start statement draws (the same rule, in Python): the first
    ``len × percent // 100`` members ordered by md5("<seed>:<member id>"), then member id."""
    ranked = sorted(member_ids, key=lambda member: (hashlib.md5(f"{seed}:{member}".encode()).hexdigest(), member))  # noqa: S324 - a shuffle, not security
    return set(ranked[:len(ranked) * percent // 100])


def coupon_job_id(campaign_id: str) -> str:
    """The campaign's bulk coupon issue (one per campaign: its request id is unique)."""
    return hashlib.md5(f"campaign-coupons:{campaign_id}".encode()).hexdigest()  # noqa: S324 - an id, not security


class CampaignSender(Worker):
    def __init__(self, session_factory: sessionmaker[Session], quiet_hours: QuietHours | None, *,
                 chunk_size: int = CHUNK_SIZE, idle_seconds: float = IDLE_SECONDS) -> None:
        super().__init__("campaign-sender", idle_seconds=idle_seconds, backoff=Backoff(1.0, 30.0))
        self.session_factory = session_factory
        self.quiet_hours = quiet_hours
        self.chunk_size = chunk_size

    def step(self) -> bool:
        return self.start_due() or self.hand_off()

    # ---- 1. start ----------------------------------------------------------------------------------
    def start_due(self, now: datetime | None = None) -> bool:
        """Start one SCHEDULED campaign due at ``now`` (default: the clock); False when none is."""
        due_at = now or utc_now()
        with self.session_factory.begin() as session:
            row = session.execute(
                select(CampaignRow).where(CampaignRow.state == "SCHEDULED", CampaignRow.send_at <= due_at)
                .order_by(CampaignRow.send_at, CampaignRow.campaign_id).limit(1).with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if row is None:
                return False
            drawn = draw_recipients(session, row)
            row.coupon_job_id = _issue_coupons(session, row)
            row.state, row.started_at = "SENDING", utc_now()
            audit_log.record(session, action="campaign.started", target_type="campaign", target_id=row.campaign_id,
                             place=place_of(row), after={"recipients": drawn, "segment": row.segment_name,
                                                         "segment_version": row.segment_version,
                                                         "coupon_job_id": row.coupon_job_id})
            log.info("campaign started", extra={"fields": {"campaign_id": row.campaign_id, "recipients": drawn}})
        return True

    # ---- 2. hand off -------------------------------------------------------------------------------
    def hand_off(self, now: datetime | None = None) -> bool:
        """Queue the next chunk of one SENDING campaign (due at ``now``, default: the clock) whose
        coupons are issued; False when there was none."""
        due_at = now or utc_now()
        with self.session_factory.begin() as session:
            running_jobs = select(BulkIssueJobRow.job_id).where(BulkIssueJobRow.state == "RUNNING")
            row = session.execute(
                select(CampaignRow).where(CampaignRow.state == "SENDING", CampaignRow.send_at <= due_at,
                                          CampaignRow.coupon_job_id.not_in(running_jobs))
                .order_by(CampaignRow.started_at, CampaignRow.campaign_id).limit(1).with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if row is None:
                return False
            recipients = session.execute(
                select(CampaignRecipient).where(CampaignRecipient.campaign_id == row.campaign_id,
                                                CampaignRecipient.in_control.is_(False),
                                                CampaignRecipient.handed_off.is_(False))
                .order_by(CampaignRecipient.member_id).limit(self.chunk_size)
            ).scalars().all()
            if recipients:
                self._queue(session, row, list(recipients))
            if len(recipients) < self.chunk_size:
                row.state, row.finished_at = "SENT", utc_now()
                audit_log.record(session, action="campaign.sent", target_type="campaign", target_id=row.campaign_id,
                                 place=place_of(row))
        return True

    def _queue(self, session: Session, row: CampaignRow, recipients: list[CampaignRecipient]) -> None:
        template = message_template(session, row.message_template_code)
        coupon_name, issued = "", set[str]()
        if row.coupon_job_id:
            item = session.get(ConfigItem, ("coupon_template", row.coupon_template_code))
            coupon_name = (pc.CouponTemplate.FromString(item.definition).name if item else "") or row.coupon_template_code
            issued = set(session.execute(select(BulkIssueCard.card_number).where(
                BulkIssueCard.job_id == row.coupon_job_id, BulkIssueCard.coupon_code != "")).scalars())
        now = utc_now()
        send_after = self.quiet_hours.release_time(now) if self.quiet_hours else now
        channel = channel_name(template.channel)
        notices = []
        for recipient in recipients:
            notices.append({
                "notice_id": recipient.notice_id, "event_id": row.campaign_id, "member_id": recipient.member_id,
                "card_number": recipient.card_number, "notification_event": NOTICE_EVENT, "channel": channel,
                "template_code": template.code, "template_body": template.body,
                "variables": {"campaign_name": row.name,
                              "coupon_name": coupon_name if recipient.card_number in issued else "",
                              "card_last4": recipient.card_number[-4:]},
                "status": "PENDING", "created_at": now, "send_after": send_after, "rendered": "", "attempts": 0,
                "last_error": "",
            })
        session.execute(insert(table_of(Notice)).on_conflict_do_nothing(index_elements=["notice_id"]), notices)
        session.execute(update(CampaignRecipient).where(
            CampaignRecipient.campaign_id == row.campaign_id,
            CampaignRecipient.member_id.in_([recipient.member_id for recipient in recipients])).values(handed_off=True))


def channel_name(channel: int) -> str:
    return pc.NotificationChannel.Name(channel).removeprefix("NOTIFICATION_CHANNEL_")


def draw_recipients(session: Session, row: CampaignRow) -> int:
    """Every member of the campaign's frozen segment version, one row each, in ONE statement."""
    segment = segment_version(session, row.segment_name, row.segment_version)
    members = member_search.matching(session, criteria_of(segment), scope_of(segment)).subquery()
    shuffle = func.md5(literal(f"{row.control_seed}:") + members.c.member_id).collate("C")
    ranked = select(
        members.c.member_id,
        func.row_number().over(order_by=(shuffle, members.c.member_id)).label("rank"),
        func.count().over().label("total"),
    ).subquery()
    card: Any = literal("")
    if row.coupon_template_code:
        cards = table_of(CardView)
        conditions = [cards.c.member_id == ranked.c.member_id, cards.c.state == int(common_pb2.CARD_STATE_ACTIVE)]
        if row.coupon_card_type_code:
            conditions.append(cards.c.card_type_code == row.coupon_card_type_code)
        card = func.coalesce(select(cards.c.card_number).where(and_(*conditions)).order_by(cards.c.card_number)
                             .limit(1).scalar_subquery(), "")
    notice_id = cast(cast(func.md5(literal(f"{row.campaign_id}:") + ranked.c.member_id), UUID), String)
    chosen = select(literal(row.campaign_id), ranked.c.member_id,
                    # rank ≤ total × percent // 100, in integers
                    ranked.c.rank * 100 <= ranked.c.total * row.control_percent, card, notice_id, literal(False))
    statement = insert(table_of(CampaignRecipient)).from_select(
        ["campaign_id", "member_id", "in_control", "card_number", "notice_id", "handed_off"], chosen
    ).on_conflict_do_nothing()
    return int(cast_any(Any, session.execute(statement)).rowcount or 0)  # a CursorResult: INSERT … SELECT


def _issue_coupons(session: Session, row: CampaignRow) -> str:
    """The bulk coupon issue of the targeted members' cards (docs/adr/0024), created with the
    recipients; "" when the campaign has no coupon, or its template can no longer issue."""
    if not row.coupon_template_code:
        return ""
    try:
        coupon_template(session, row.coupon_template_code)
    except ChainCardError as refused:
        row.last_error = f"no coupons: {refused}"[:500]
        return ""
    job_id = coupon_job_id(row.campaign_id)
    if session.get(BulkIssueJobRow, job_id) is not None:
        return job_id  # a start redone after its record was lost: the job (and its coupons) stand
    job = BulkIssueJobRow(
        job_id=job_id, request_id=f"campaign:{row.campaign_id}", fingerprint=job_id,
        template_code=row.coupon_template_code, reason=f"campaign {row.name}"[:500], filter_name="", state="RUNNING",
        operator_id=row.created_by[:64], region_code=row.scope_region, cards_total=0, cards_issued=0,
        cards_skipped_unknown=0, cards_skipped_not_active=0, last_error="", created_at=utc_now())
    session.add(job)
    session.flush()
    cards, recipients = table_of(CardView), table_of(CampaignRecipient)
    chosen = (select(literal(job_id), recipients.c.card_number, cards.c.home_region, literal(""), literal(""),
                     literal(""))
              .join(cards, cards.c.card_number == recipients.c.card_number)
              .where(recipients.c.campaign_id == row.campaign_id, recipients.c.in_control.is_(False),
                     recipients.c.card_number != ""))
    total = cast_any(Any, session.execute(insert(table_of(BulkIssueCard)).from_select(
        ["job_id", "card_number", "region_code", "outcome", "coupon_code", "detail"], chosen))).rowcount or 0
    regions = session.execute(select(BulkIssueCard.region_code).where(BulkIssueCard.job_id == job_id)
                              .distinct().order_by(BulkIssueCard.region_code)).scalars().all()
    for code in regions:
        session.add(BulkIssueCursor(job_id=job_id, region_code=code, last_card_number="", done=False))
    job.cards_total = int(total)
    if not regions:
        job.state, job.finished_at = "COMPLETED", utc_now()
    audit_log.record(session, action="coupon.bulk_issue.started", target_type="bulk_coupon_issue", target_id=job_id,
                     place=place_of(row), reason=job.reason,
                     after={"template_code": row.coupon_template_code, "campaign_id": row.campaign_id,
                            "cards_total": job.cards_total, "regions": list(regions)})
    return job_id

