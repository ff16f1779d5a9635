"""HQ's tables of campaigns (N3, A3, A4; docs/adr/0055), on hq_service.models.Base; the schema
change is revision 0026 (migrations/versions/2026-12-04_campaigns.py).

- ``campaigns``: one row per campaign, its state and what it targets;
- ``campaign_recipients``: one row per (campaign, member), all written by one INSERT … SELECT when
  the campaign starts: whether the member is in the control group, the card that gets the coupon
  and the id of the member's notice (unique: a member's message is queued at most once).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now
from hq_service.models import Base


class CampaignRow(Base):
    """A campaign; its state moves DRAFT → SCHEDULED → SENDING → SENT."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("state IN ('DRAFT', 'SCHEDULED', 'SENDING', 'SENT')", name="state_known"),
        CheckConstraint("control_percent BETWEEN 0 AND 50", name="control_percent_range"),
        Index("ix_campaigns_state_send_at", "state", "send_at"),
    )

    campaign_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(256), default="")
    segment_name: Mapped[str] = mapped_column(String(64))
    # 0 until scheduled when created for "the latest"; frozen by ScheduleCampaign.
    segment_version: Mapped[int] = mapped_column(Integer, default=0)
    message_template_code: Mapped[str] = mapped_column(String(64))
    coupon_template_code: Mapped[str] = mapped_column(String(64), default="")
    coupon_card_type_code: Mapped[str] = mapped_column(String(32), default="")
    control_percent: Mapped[int] = mapped_column(Integer, default=0)
    control_seed: Mapped[int] = mapped_column(BigInteger)
    report_days: Mapped[int] = mapped_column(Integer, default=30)
    # DRAFT, SCHEDULED, SENDING, SENT (campaigns.proto CampaignState without the prefix).
    state: Mapped[str] = mapped_column(String(16), default="DRAFT")
    send_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    scope_region: Mapped[str] = mapped_column(String(8), default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    # The bulk coupon issue of the campaign's coupons (bulk_issue_jobs.job_id); "" for none.
    coupon_job_id: Mapped[str] = mapped_column(String(36), default="")
    last_error: Mapped[str] = mapped_column(String(500), default="")


class CampaignRecipient(Base):
    """One member of a started campaign's segment: targeted or control, and their message."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (Index("ix_campaign_recipients_to_hand_off", "campaign_id", "handed_off"),)

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Set apart at random (from the campaign's seed): receives nothing.
    in_control: Mapped[bool] = mapped_column(Boolean)
    # The card that gets the coupon ("" for none: no coupon, or no fitting ACTIVE card).
    card_number: Mapped[str] = mapped_column(String(32), default="")
    # The id of the member's notice (notices.notice_id), derived from (campaign, member).
    notice_id: Mapped[str] = mapped_column(String(36), unique=True)
    # The notice is in the notice queue (control members: never).
    handed_off: Mapped[bool] = mapped_column(Boolean, default=False)
