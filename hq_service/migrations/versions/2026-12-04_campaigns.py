"""campaigns (N3, A3, A4; docs/adr/0055): campaigns and their recipients

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("segment_name", sa.String(length=64), nullable=False),
        sa.Column("segment_version", sa.Integer(), nullable=False),
        sa.Column("message_template_code", sa.String(length=64), nullable=False),
        sa.Column("coupon_template_code", sa.String(length=64), nullable=False),
        sa.Column("coupon_card_type_code", sa.String(length=32), nullable=False),
        sa.Column("control_percent", sa.Integer(), nullable=False),
        sa.Column("control_seed", sa.BigInteger(), nullable=False),
        sa.Column("report_days", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("send_at", UtcTimestamp(), nullable=True),
        sa.Column("scope_region", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.Column("started_at", UtcTimestamp(), nullable=True),
        sa.Column("finished_at", UtcTimestamp(), nullable=True),
        sa.Column("coupon_job_id", sa.String(length=36), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.CheckConstraint("state IN ('DRAFT', 'SCHEDULED', 'SENDING', 'SENT')", name=op.f("ck_campaigns_state_known")),
        sa.CheckConstraint("control_percent BETWEEN 0 AND 50", name=op.f("ck_campaigns_control_percent_range")),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaigns")),
    )
    op.create_index("ix_campaigns_state_send_at", "campaigns", ["state", "send_at"])
    op.create_table(
        "campaign_recipients",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("in_control", sa.Boolean(), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("notice_id", sa.String(length=36), nullable=False),
        sa.Column("handed_off", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.campaign_id"],
                                name=op.f("fk_campaign_recipients_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("campaign_id", "member_id", name=op.f("pk_campaign_recipients")),
        sa.UniqueConstraint("notice_id", name=op.f("uq_campaign_recipients_notice_id")),
    )
    op.create_index("ix_campaign_recipients_to_hand_off", "campaign_recipients", ["campaign_id", "handed_off"])


def downgrade() -> None:
    op.drop_index("ix_campaign_recipients_to_hand_off", table_name="campaign_recipients")
    op.drop_table("campaign_recipients")
    op.drop_index("ix_campaigns_state_send_at", table_name="campaigns")
    op.drop_table("campaigns")
