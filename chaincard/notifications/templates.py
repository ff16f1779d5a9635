"""Notice templates (N1): placeholders filled from an event, money rendered as "¥123.45".

HQ operators define templates in the program configuration (ProgramConfigService
UpsertNotificationTemplate); when none is active for an event, the defaults below apply.
"""

from __future__ import annotations

from collections.abc import Mapping

from chaincard.v1 import program_config_pb2 as pc

E = pc.NotificationEvent

PLACEHOLDERS = ("member_name", "card_last4", "amount", "balance", "points", "points_balance", "store_name", "time",
                "expires_on", "level", "previous_level", "campaign_name", "coupon_name", "date_kind", "date", "days", "item",
                "uses_left")

# {date_kind} of NOTIFICATION_EVENT_MEMBER_DATE, by MemberDateKind.
DATE_KIND_NAMES: dict[int, str] = {
    pc.MEMBER_DATE_KIND_BIRTHDAY: "生日",
    pc.MEMBER_DATE_KIND_WEDDING_ANNIVERSARY: "结婚纪念日",
    pc.MEMBER_DATE_KIND_CHILD_BIRTHDAY: "孩子生日",
}

DEFAULT_TEMPLATES: dict[int, pc.NotificationTemplate] = {
    E.NOTIFICATION_EVENT_CARD_OPENED: pc.NotificationTemplate(
        code="DEFAULT-CARD-OPENED", event=E.NOTIFICATION_EVENT_CARD_OPENED, channel=pc.NOTIFICATION_CHANNEL_SMS, active=True,
        body="尊敬的{member_name}，您的会员卡(尾号{card_last4})已于{time}在{store_name}开通，余额{balance}，积分{points_balance}。",
    ),
    E.NOTIFICATION_EVENT_RECHARGE: pc.NotificationTemplate(
        code="DEFAULT-RECHARGE", event=E.NOTIFICATION_EVENT_RECHARGE, channel=pc.NOTIFICATION_CHANNEL_SMS, active=True,
        body="尊敬的{member_name}，您的会员卡(尾号{card_last4})于{time}在{store_name}充值{amount}，当前余额{balance}，积分{points_balance}。",
    ),
    E.NOTIFICATION_EVENT_SPEND: pc.NotificationTemplate(
        code="DEFAULT-SPEND", event=E.NOTIFICATION_EVENT_SPEND, channel=pc.NOTIFICATION_CHANNEL_SMS, active=True,
        body="尊敬的{member_name}，您的会员卡(尾号{card_last4})于{time}在{store_name}消费{amount}，获得积分{points}，当前余额{balance}，积分{points_balance}。",
    ),
    E.NOTIFICATION_EVENT_REDEMPTION: pc.NotificationTemplate(
        code="DEFAULT-REDEMPTION", event=E.NOTIFICATION_EVENT_REDEMPTION, channel=pc.NOTIFICATION_CHANNEL_SMS, active=True,
        body="尊敬的{member_name}，您的会员卡(尾号{card_last4})于{time}在{store_name}兑换使用积分{points}，当前积分{points_balance}，余额{balance}。",
    ),
    E.NOTIFICATION_EVENT_REFUND: pc.NotificationTemplate(
        code="DEFAULT-REFUND", event=E.NOTIFICATION_EVENT_REFUND, channel=pc.NOTIFICATION_CHANNEL_SMS, active=True,
        body="尊敬的{member_name}，您的会员卡(尾号{card_last4})于{time}在{store_name}退款{amount}，当前余额{balance}，积分{points_balance}。",
    ),
    E.NOTIFICATION_EVENT_POINTS_EXPIRING: pc.NotificationTemplate(
        code="DEFAULT-POINTS-EXPIRING", event=E.NOTIFICATION_EVENT_POINTS_EXPIRING, channel=pc.NOTIFICATION_CHANNEL_SMS, active=True,
        body="尊敬的{member_name}，您的会员卡(尾号{card_last4})有{points}积分将于{expires_on}到期，请尽快使用。当前积分{points_balance}。",
    ),
    E.NOTIFICATION_EVENT_COUPON_EXPIRING: pc.NotificationTemplate(
        code="DEFAULT-COUPON-EXPIRING", event=E.NOTIFICATION_EVENT_COUPON_EXPIRING, channel=pc.NOTIFICATION_CHANNEL_SMS,
        active=True, body="尊敬的{member_name}，您会员卡(尾号{card_last4})上的{coupon_name}将于{expires_on}到期，请尽快使用。",
    ),
    E.NOTIFICATION_EVENT_LEVEL_CHANGED: pc.NotificationTemplate(
        code="DEFAULT-LEVEL-CHANGED", event=E.NOTIFICATION_EVENT_LEVEL_CHANGED, channel=pc.NOTIFICATION_CHANNEL_SMS,
        active=True, body="尊敬的{member_name}，您的会员卡(尾号{card_last4})于{time}由{previous_level}变更为{level}。",
    ),
    E.NOTIFICATION_EVENT_MEMBER_DATE: pc.NotificationTemplate(
        code="DEFAULT-MEMBER-DATE", event=E.NOTIFICATION_EVENT_MEMBER_DATE, channel=pc.NOTIFICATION_CHANNEL_SMS,
        active=True, body="尊敬的{member_name}，{date}是您的{date_kind}，{store_name}提前祝您快乐！{coupon_name}",
    ),
    E.NOTIFICATION_EVENT_COUNT_USES_EXPIRING: pc.NotificationTemplate(
        code="DEFAULT-COUNT-USES-EXPIRING", event=E.NOTIFICATION_EVENT_COUNT_USES_EXPIRING,
        channel=pc.NOTIFICATION_CHANNEL_SMS, active=True,
        body="尊敬的{member_name}，您会员卡(尾号{card_last4})上的{item}还剩{uses_left}次，将于{expires_on}到期，请尽快使用。",
    ),
    E.NOTIFICATION_EVENT_CAMPAIGN: pc.NotificationTemplate(
        code="DEFAULT-CAMPAIGN", event=E.NOTIFICATION_EVENT_CAMPAIGN, channel=pc.NOTIFICATION_CHANNEL_SMS,
        active=True, body="尊敬的{member_name}，{campaign_name}：我们想念您！{coupon_name}",
    ),
}


class _KeepUnknown(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(body: str, variables: Mapping[str, object]) -> str:
    """Fill the placeholders of ``body``; an unknown placeholder is left as written, never an error."""
    try:
        return body.format_map(_KeepUnknown({key: str(value) for key, value in variables.items()}))
    except (ValueError, IndexError):
        return body  # a stray brace in an operator's template: send it as written
