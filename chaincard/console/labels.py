"""Names of states, kinds and roles in the console's two languages. The services speak in proto
enum values; a page shows ``label("CardState", value)``: the label in the operator's language, or
the value's short name (``ACTIVE``) for a value this table does not know (a newer service)."""

from __future__ import annotations

import re
from collections.abc import Callable

from chaincard.v1 import common_pb2, member_view_pb2, settlement_pb2

# (enum, short name): (English, Chinese). Roles are operators.proto's OperatorRole short names.
LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("CardState", "INACTIVE"): ("Not activated", "未激活"),
    ("CardState", "ACTIVE"): ("Active", "正常"),
    ("CardState", "LOST"): ("Reported lost", "已挂失"),
    ("CardState", "FROZEN"): ("Frozen", "已冻结"),
    ("CardState", "CLOSED"): ("Closed", "已注销"),
    ("CardState", "EXPIRED"): ("Expired", "已过期"),
    ("CardState", "REPLACED"): ("Replaced", "已换卡"),
    ("CouponState", "AVAILABLE"): ("Available", "可用"),
    ("CouponState", "REDEEMED"): ("Used", "已使用"),
    ("CouponState", "EXPIRED"): ("Expired", "已过期"),
    ("CouponState", "VOIDED"): ("Voided", "已作废"),
    ("TransactionType", "RECHARGE"): ("Recharge", "充值"),
    ("TransactionType", "SPEND"): ("Sale", "消费"),
    ("TransactionType", "REFUND"): ("Refund", "退款"),
    ("TransactionType", "VOID"): ("Void", "撤销"),
    ("TransactionType", "POINTS_ADJUSTMENT"): ("Points adjustment", "积分调整"),
    ("TransactionType", "CARD_CLOSURE"): ("Card closure", "销卡"),
    ("TransactionType", "BALANCE_TRANSFER"): ("Balance transfer", "余额转移"),
    ("TransactionType", "OFFLINE_ADVICE"): ("Offline sale", "离线消费"),
    ("TransactionType", "POINTS_REDEMPTION"): ("Points redemption", "积分兑换"),
    ("TransactionType", "COUNT_USES_PURCHASE"): ("Count uses bought", "购买次卡"),
    ("TransactionType", "EXPIRY"): ("Expiry", "过期"),
    ("TransactionType", "RECEIVABLE_WRITE_OFF"): ("Write-off", "坏账核销"),
    ("TransactionType", "POINTS_EXPIRY"): ("Points expiry", "积分过期"),
    ("TransactionType", "COUNT_USES_EXPIRY"): ("Count uses expiry", "次数过期"),
    ("TransactionType", "LEVEL_PURCHASE"): ("Level bought", "购买等级"),
    ("TransactionType", "OPENING_BALANCE"): ("Opening balance", "期初余额"),
    ("TransactionType", "COMPANY_RECHARGE"): ("Company recharge", "企业充值"),
    ("TransactionType", "REFERRAL_POINTS"): ("Referral points", "推荐积分"),
    ("TransactionType", "COMPANY_PAYMENT"): ("Company payment", "企业回款"),
    ("SettlementRunState", "RUNNING"): ("Running", "进行中"),
    ("SettlementRunState", "COMPLETED"): ("Completed", "已完成"),
    ("SettlementRunState", "FAILED"): ("Failed", "失败"),
    ("SettlementFlow", "SPEND_ACQUIRED"): ("Sales taken at your stores", "本店受理消费"),
    ("SettlementFlow", "SPEND_ISSUED"): ("Sales of your cards elsewhere", "本方卡他店消费"),
    ("SettlementFlow", "RECHARGE_ACQUIRED"): ("Recharges taken at your stores", "本店受理充值"),
    ("SettlementFlow", "RECHARGE_ISSUED"): ("Recharges of your cards elsewhere", "本方卡他店充值"),
    ("SettlementFlow", "PLATFORM_FEE"): ("Platform fee", "平台服务费"),
    ("SettlementFlow", "COUPON_ACQUIRED"): ("Coupons taken at your stores", "本店受理优惠券"),
    ("SettlementFlow", "COUPON_ISSUED"): ("Coupons of your cards used elsewhere", "本方优惠券他店使用"),
    ("SettlementFlow", "COUNT_USES_ACQUIRED"): ("Count uses taken at your stores", "本店受理计次"),
    ("SettlementFlow", "COUNT_USES_ISSUED"): ("Count uses of your cards elsewhere", "本方次卡他店使用"),
    ("Role", "CASHIER"): ("Cashier", "收银员"),
    ("Role", "STORE_MANAGER"): ("Store manager", "店长"),
    ("Role", "FRANCHISEE_ADMIN"): ("Franchisee admin", "加盟商管理员"),
    ("Role", "REGIONAL_MANAGER"): ("Regional manager", "区域经理"),
    ("Role", "CALL_CENTER"): ("Call centre", "客服"),
    ("Role", "HQ_FINANCE"): ("HQ finance", "总部财务"),
    ("Role", "HQ_ADMIN"): ("HQ admin", "总部管理员"),
    ("Role", "AUDITOR"): ("Auditor", "审计"),
    ("Role", "INTEGRATOR"): ("Integrator", "集成方"),
    ("Role", "COMPANY_ADMIN"): ("Company admin", "企业管理员"),
}

_ENUM_MODULES = (common_pb2, member_view_pb2, settlement_pb2)


def short_name(value: int | str, enum: str) -> str:
    """A proto enum value's name without its type prefix: (2, "CardState") → "ACTIVE"; a string (a
    role, an audit entry's role) is taken as a name, its prefix dropped."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum).upper() + "_"
    if isinstance(value, str):
        return value.removeprefix("OPERATOR_ROLE_").removeprefix(prefix)
    enum_type = next((getattr(module, enum) for module in _ENUM_MODULES if hasattr(module, enum)), None)
    if enum_type is None:
        return str(value)
    try:
        name: str = enum_type.Name(value)
    except ValueError:
        return str(value)
    return name.removeprefix(prefix)


def labeler(lang: str) -> Callable[[str, int | str], str]:
    """``label(enum, value)`` in ``lang``."""
    index = 1 if lang == "zh" else 0

    def label(enum: str, value: int | str) -> str:
        name = short_name(value, enum)
        entry = LABELS.get((enum, name))
        return entry[index] if entry else name

    return label
