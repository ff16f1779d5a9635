"""``chaincard campaign create|schedule|report|list|wake-up`` (N3, A3, A4; docs/adr/0055): HQ's
CampaignService as the logged-in operator.

``wake-up`` is the one-command dormant wake-up (A3): it saves the segment "dormant-<card type>"
(members of that card type with no visit in its dormant_after_days), creates a campaign to it with
the message template and coupon given, and schedules it now.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import grpc

    from chaincard.v1 import campaigns_pb2

    Body = Callable[[grpc.Channel, argparse.Namespace], None]

DEFAULT_DATA_DIR = ".chaincard"
DEADLINE_SECONDS = 60.0
_REQUEST_IDS = uuid.UUID("0c2b6a51-9f3e-4d59-8f0b-63616d706169")


def _request_id(args: argparse.Namespace, *parts: str) -> str:
    """``--request-id``, or one derived from what is asked: running the same command again (after a
    lost answer) finds the same campaign instead of making a second one."""
    return args.request_id or str(uuid.uuid5(_REQUEST_IDS, "\n".join(parts)))


def _state(campaign: campaigns_pb2.Campaign) -> str:
    from chaincard.v1 import campaigns_pb2

    return campaigns_pb2.CampaignState.Name(campaign.state).removeprefix("CAMPAIGN_STATE_")


def print_campaign(campaign: campaigns_pb2.Campaign) -> None:
    send_at = campaign.send_at.ToDatetime(tzinfo=UTC).isoformat() if campaign.HasField("send_at") else "-"
    coupon = f", coupon {campaign.coupon_template_code}" if campaign.coupon_template_code else ""
    print(f"{campaign.campaign_id} {campaign.name!r} [{_state(campaign)}] segment {campaign.segment_name}"
          f" v{campaign.segment_version or 'latest'}, template {campaign.message_template_code}{coupon},"
          f" control {campaign.control_percent}%, send at {send_at}")


def print_report(answer: campaigns_pb2.GetCampaignReportResponse) -> None:
    from chaincard.money import format_fen

    print_campaign(answer.campaign)
    r = answer.report
    print(f"  targeted {r.targeted}, control {r.control}")
    print(f"  sent {r.sent}: delivered {r.delivered}, failed {r.failed}; opted out {r.opted_out}; pending {r.pending}")
    print(f"  coupons issued {r.coupons_issued}, redeemed {r.coupons_redeemed}")
    if r.window_from_date:
        print(f"  revenue {r.window_from_date} .. {r.window_to_date}: targeted {format_fen(r.targeted_revenue_fen)}"
              f" ({format_fen(r.targeted_revenue_per_member_fen)} per member), control {format_fen(r.control_revenue_fen)}"
              f" ({format_fen(r.control_revenue_per_member_fen)} per member)")
        print(f"  lift {r.lift_basis_points / 100:+.2f}%" if r.lift_defined else "  lift: none (no control revenue)")


def _campaign_of(args: argparse.Namespace, segment: str, segment_version: int) -> campaigns_pb2.Campaign:
    from chaincard.v1 import campaigns_pb2

    return campaigns_pb2.Campaign(
        name=args.name, description=args.description or "", segment_name=segment, segment_version=segment_version,
        message_template_code=args.template, coupon_template_code=args.coupon or "",
        coupon_card_type_code=getattr(args, "coupon_card_type", None) or "", control_percent=args.control_percent,
        control_seed=args.seed or 0, report_days=args.report_days)


def _create(channel: grpc.Channel, args: argparse.Namespace) -> None:
    from chaincard.v1 import campaigns_pb2, campaigns_pb2_grpc

    wanted = _campaign_of(args, args.segment, args.segment_version)
    request_id = _request_id(args, "create", wanted.SerializeToString(deterministic=True).hex())
    answer = campaigns_pb2_grpc.CampaignServiceStub(channel).CreateCampaign(
        campaigns_pb2.CreateCampaignRequest(request_id=request_id, campaign=wanted), timeout=DEADLINE_SECONDS)
    print_campaign(answer.campaign)


def _schedule_request(args: argparse.Namespace, campaign_id: str) -> campaigns_pb2.ScheduleCampaignRequest:
    from chaincard.v1 import campaigns_pb2

    request = campaigns_pb2.ScheduleCampaignRequest(campaign_id=campaign_id)
    if getattr(args, "send_at", None):
        moment = datetime.fromisoformat(args.send_at)
        request.send_at.FromDatetime(moment if moment.tzinfo else moment.astimezone())
    request.request_id = _request_id(args, "schedule", campaign_id)
    return request


def _schedule(channel: grpc.Channel, args: argparse.Namespace) -> None:
    from chaincard.v1 import campaigns_pb2_grpc

    answer = campaigns_pb2_grpc.CampaignServiceStub(channel).ScheduleCampaign(
        _schedule_request(args, args.campaign_id), timeout=DEADLINE_SECONDS)
    print_campaign(answer.campaign)


def _report(channel: grpc.Channel, args: argparse.Namespace) -> None:
    from chaincard.v1 import campaigns_pb2, campaigns_pb2_grpc

    print_report(campaigns_pb2_grpc.CampaignServiceStub(channel).GetCampaignReport(
        campaigns_pb2.GetCampaignReportRequest(campaign_id=args.campaign_id), timeout=DEADLINE_SECONDS))


def _list(channel: grpc.Channel, args: argparse.Namespace) -> None:
    from chaincard.v1 import campaigns_pb2, campaigns_pb2_grpc

    for campaign in campaigns_pb2_grpc.CampaignServiceStub(channel).ListCampaigns(
            campaigns_pb2.ListCampaignsRequest(limit=args.limit), timeout=DEADLINE_SECONDS).campaigns:
        print_campaign(campaign)


def _wake_up(channel: grpc.Channel, args: argparse.Namespace) -> None:
    from chaincard.ids import new_id
    from chaincard.v1 import (
        campaigns_pb2,
        campaigns_pb2_grpc,
        member_view_pb2,
        segments_pb2,
        segments_pb2_grpc,
    )

    segment_name = args.segment or f"dormant-{args.card_type}"
    saved = segments_pb2_grpc.SegmentServiceStub(channel).SaveSegment(segments_pb2.SaveSegmentRequest(
        request_id=new_id(), name=segment_name, description=f"dormant members of card type {args.card_type}",
        criteria=member_view_pb2.MemberCriteria(dormant_card_type_codes=[args.card_type])),
        timeout=DEADLINE_SECONDS).segment
    print(f"segment {saved.name} v{saved.version}: {saved.size} dormant members")
    args.name = args.name or f"wake-up {args.card_type} {datetime.now(UTC).date().isoformat()}"
    args.coupon_card_type = args.card_type if args.coupon else ""
    wanted = _campaign_of(args, saved.name, saved.version)
    stub = campaigns_pb2_grpc.CampaignServiceStub(channel)
    created = stub.CreateCampaign(campaigns_pb2.CreateCampaignRequest(request_id=new_id(), campaign=wanted),
                                  timeout=DEADLINE_SECONDS).campaign
    args.request_id = None  # the schedule's request id derives from the new campaign's id
    print_campaign(stub.ScheduleCampaign(_schedule_request(args, created.campaign_id), timeout=DEADLINE_SECONDS).campaign)


def _run(body: Body) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import grpc

        from chaincard.security.cli import hq_endpoint, operator_channel

        try:
            with operator_channel(hq_endpoint(args), args.data_dir, expected_server="hq") as channel:
                body(channel, args)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
        return 0

    return run


def _campaign_flags(parser: argparse.ArgumentParser, *, name_required: bool, request_id: bool = True) -> None:
    parser.add_argument("--name", required=name_required, help="campaign name (the message's {campaign_name})")
    parser.add_argument("--description")
    parser.add_argument("--template", required=True, help="notice template code of event CAMPAIGN, or DEFAULT-CAMPAIGN")
    parser.add_argument("--coupon", metavar="TEMPLATE", help="coupon template each targeted member gets")
    parser.add_argument("--control-percent", type=int, default=10, help="control group, percent (0-50; default 10)")
    parser.add_argument("--seed", type=int, help="control group seed (default: HQ picks one)")
    parser.add_argument("--report-days", type=int, default=30, help="days of revenue the report compares")
    if request_id:
        parser.add_argument("--request-id", help="idempotency key (default: derived from what is asked)")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # noqa: SLF001
    from chaincard.command_groups import command_group

    campaign = command_group(commands, "campaign", "campaigns to saved segments (N3, A3, A4)")
    create = campaign.add_parser("create", help="create a campaign (DRAFT) to a saved segment")
    create.add_argument("--segment", required=True, help="saved segment name")
    create.add_argument("--segment-version", type=int, default=0, help="segment version (default: latest when scheduled)")
    create.add_argument("--coupon-card-type", help="which card of a member gets the coupon (default: first active)")
    _campaign_flags(create, name_required=True)
    schedule = campaign.add_parser("schedule", help="schedule a DRAFT campaign (freezes its segment version)")
    schedule.add_argument("campaign_id")
    schedule.add_argument("--send-at", help="ISO date-time (default: now)")
    schedule.add_argument("--request-id", help="idempotency key (default: derived from the campaign id)")
    report = campaign.add_parser("report", help="a campaign's deliveries, coupons and lift")
    report.add_argument("campaign_id")
    listing = campaign.add_parser("list", help="the latest campaigns")
    listing.add_argument("--limit", type=int, default=20)
    wake_up = campaign.add_parser("wake-up", help="message (and coupon) to the dormant members of a card type, now")
    wake_up.add_argument("--card-type", required=True, help="card type code (its dormant_after_days decide)")
    wake_up.add_argument("--segment", help="segment name to save (default: dormant-<card type>)")
    wake_up.add_argument("--send-at", help="ISO date-time (default: now)")
    _campaign_flags(wake_up, name_required=False, request_id=False)
    for sub, body in ((create, _create), (schedule, _schedule), (report, _report), (listing, _list), (wake_up, _wake_up)):
        sub.add_argument("--hq", help="HQ endpoint host:port (default: the running local chain's)")
        sub.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="the local chain's data directory")
        sub.add_argument("--config", help="TOML settings file")
        sub.set_defaults(handler=_run(body))
