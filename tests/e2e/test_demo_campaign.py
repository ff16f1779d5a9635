"""`chaincard demo`'s wake-up campaign (issue 16 item 9), as a user reads it: the dormant members of
the tea club card, a campaign with a coupon to them, the e-mails the local SMTP server caught, and
the report."""

from __future__ import annotations

import pytest

from chaincard.local.demo_campaign import CONTROL_PERCENT, NAMES, VISITOR, run_wake_up_campaign

pytestmark = pytest.mark.e2e


def test_the_demos_wake_up_campaign_mails_the_dormant_members_a_coupon(chain, mailbox, capsys):
    shown = run_wake_up_campaign(chain, mailbox)
    assert len(shown.dormant) == len(NAMES) and shown.visitor not in shown.dormant
    assert shown.segment_line.startswith("segment dormant-CLUB v") and "dormant members" in shown.segment_line
    # This run's sleepers, less the control group the campaign draws over the whole segment: each
    # e-mailed once, with the coupon, none to the visitor.
    mailed = [address for mail in shown.mails for address in mail.recipients if address in shown.dormant.values()]
    assert len(mailed) == len(set(mailed)) and 0 < len(mailed) <= len(NAMES)
    assert all("Welcome back" in mail.body and "好久不见" in mail.body for mail in shown.mails)
    report = shown.report
    assert report.control == (report.targeted + report.control) * CONTROL_PERCENT // 100
    assert report.delivered == report.targeted and report.coupons_issued == report.targeted
    assert (report.failed, report.opted_out, report.pending) == (0, 0, 0)
    assert f"targeted {report.targeted}, control {report.control}" in shown.report_text
    printed = capsys.readouterr().out
    assert "Subject:" in printed and VISITOR in printed and shown.campaign_id in printed
