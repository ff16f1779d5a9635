"""The console's two languages. A page asks ``t(key)``; the operator's choice is kept in a cookie
(``lang``), defaulting to the browser's Accept-Language (Chinese if it prefers it, else English)."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("zh", "en")
LANG_COOKIE = "lang"

# key: (English, Chinese)
CATALOG: dict[str, tuple[str, str]] = {
    "app_name": ("ChainCard console", "ChainCard 管理台"),
    "nav_dashboard": ("Dashboard", "仪表盘"),
    "nav_members": ("Members", "会员"),
    "nav_config": ("Programme", "会员方案"),
    "nav_statements": ("Statements", "结算单"),
    "nav_audit": ("Audit log", "审计日志"),
    "nav_operations": ("Operations", "运营"),
    "log_in": ("Log in", "登录"),
    "log_out": ("Log out", "退出"),
    "login_name": ("Login name", "登录名"),
    "password": ("Password", "密码"),
    "login_failed": ("Wrong login name or password.", "登录名或密码错误。"),
    "login_unavailable": ("HQ did not answer; try again.", "总部服务无响应，请重试。"),
    "session_ended": ("Your session ended; please log in again.", "会话已结束，请重新登录。"),
    "signed_in_as": ("Signed in as", "当前用户"),
    "role": ("Role", "角色"),
    "scope": ("Scope", "范围"),
    "refused_title": ("Not allowed", "无权访问"),
    "refused_text": ("Your role or scope does not allow this. The service said:", "您的角色或范围不允许此操作。服务返回："),
    "error_title": ("Something went wrong", "出错了"),
    "back": ("Back", "返回"),
    "period": ("Period", "周期"),
    "period_day": ("Day", "日"),
    "period_week": ("Week", "周"),
    "period_month": ("Month", "月"),
    "region": ("Region", "大区"),
    "franchisee": ("Franchisee", "加盟商"),
    "store": ("Store", "门店"),
    "all": ("All in my scope", "我的全部范围"),
    "apply": ("Apply", "应用"),
    "revenue": ("Revenue (net sales)", "营业额（净销售）"),
    "recharges": ("Recharges", "充值"),
    "liability": ("Prepaid liability", "预付卡沉淀资金"),
    "new_members": ("New members", "新会员"),
    "members_cumulative": ("Members gained (running)", "累计新增会员"),
    "members": ("Members", "会员"),
    "member_growth": ("Member growth", "会员增长"),
    "sales_count": ("Sales", "交易笔数"),
    "top_stores": ("Top stores", "门店排行"),
    "segment_mix": ("RFM segments", "RFM 分群"),
    "level_mix": ("Level mix", "等级分布"),
    "offline_stores": ("Stores offline now", "当前离线门店"),
    "consumer_lag": ("Event consumer lag", "事件消费延迟"),
    "not_available": ("No gRPC service offers this yet.", "暂无 gRPC 接口提供此数据。"),
    "note_segments_refused": ("RFM segments are not in your role's view.", "您的角色无权查看 RFM 分群。"),
    "note_segments_unavailable": ("RFM segments could not be read.", "无法读取 RFM 分群。"),
    "as_of": ("as of", "截至"),
    "from_to": ("Business days", "营业日"),
    "total": ("Total", "合计"),
    "date": ("Date", "日期"),
    "amount": ("Amount", "金额"),
    "search": ("Search", "搜索"),
    "member_search_hint": ("Phone, card number or QR member code", "手机号、卡号或会员二维码"),
    "member_search_title": ("Find a member", "查找会员"),
    "no_member": ("No member found.", "未找到会员。"),
    "member_360": ("Member 360", "会员全景"),
    "name": ("Name", "姓名"),
    "phone": ("Phone", "手机"),
    "member_id": ("Member id", "会员编号"),
    "home_region": ("Home region", "归属大区"),
    "registered_store": ("Registered at", "注册门店"),
    "cards": ("Cards", "卡"),
    "card_number": ("Card number", "卡号"),
    "card_type": ("Card type", "卡类型"),
    "state": ("State", "状态"),
    "level": ("Level", "等级"),
    "principal": ("Principal", "本金"),
    "bonus": ("Bonus", "赠送金"),
    "points": ("Points", "积分"),
    "count_uses": ("Count uses", "计次"),
    "owed": ("Owed", "欠款"),
    "coupons": ("Coupons", "优惠券"),
    "coupons_refused": ("Coupons are not in your role's view.", "您的角色无权查看优惠券。"),
    "transactions": ("Transactions", "交易"),
    "type": ("Type", "类型"),
    "receipt": ("Receipt", "小票"),
    "rfm_segment": ("RFM segment", "RFM 分群"),
    "level_history": ("Level history", "等级变更记录"),
    "audit_trail": ("Audit trail", "审计记录"),
    "actions": ("Actions", "操作"),
    "freeze": ("Freeze", "冻结"),
    "report_lost": ("Report lost", "挂失"),
    "adjust_points": ("Adjust points", "调整积分"),
    "points_delta": ("Points to add (negative to remove)", "调整积分（负数为扣减）"),
    "reason": ("Reason", "原因"),
    "confirm": ("Confirm", "确认"),
    "cancel": ("Cancel", "取消"),
    "confirm_action": ("Confirm this action", "确认操作"),
    "confirm_text": ("It is recorded in the audit log with your name and reason.", "此操作将连同您的姓名和原因记入审计日志。"),
    "done": ("Done.", "已完成。"),
    "reason_required": ("A reason is required.", "必须填写原因。"),
    "statements": ("Settlement statements", "结算单"),
    "statement": ("Statement", "结算单"),
    "business_date": ("Business date", "营业日"),
    "net": ("Net", "净额"),
    "lines": ("Lines", "行数"),
    "receivable": ("Receivable", "应收"),
    "payable": ("Payable", "应付"),
    "fees": ("Fees", "手续费"),
    "download": ("Download", "下载"),
    "content_hash": ("Content SHA-256", "内容 SHA-256"),
    "verified": ("verified", "已验证"),
    "not_verified": ("NOT verified", "验证失败"),
    "hash_check": ("The statement's content hash, recomputed here, matches the hash the settlement run listed in its "
                   "manifest.", "本页重新计算的结算单内容哈希与结算批次清单中的哈希一致。"),
    "manifest_check": ("Listed in the run's manifest, whose own hash checks out.", "已列入结算批次清单，清单自身哈希校验通过。"),
    "file_check": ("Each download's SHA-256 is checked against the one settlement sent with it.",
                   "每次下载的 SHA-256 都会与结算服务随文件发送的哈希核对。"),
    "manifest_signature": ("Manifest signature", "清单签名"),
    "signature_verified": ("manifest signature verified", "清单签名已验证"),
    "signature_verified_manifest": (
        "The settlement service's Ed25519 key {key}, which this console trusts, signed the run's manifest.json, which "
        "lists this statement with the content hash above.",
        "本控制台信任的结算服务 Ed25519 密钥 {key} 签署了本批次的 manifest.json，其中列有本结算单及上方的内容哈希。"),
    "signature_verified_extract": (
        "The settlement service's Ed25519 key {key}, which this console trusts, signed your extract of the run's "
        "manifest (your statements as manifest.json lists them, with manifest.json's SHA-256), which lists this "
        "statement with the content hash above. The whole manifest.json lists every franchisee's net, so it is "
        "shown to HQ finance and auditors only.",
        "本控制台信任的结算服务 Ed25519 密钥 {key} 签署了本批次清单中属于您的摘录（按 manifest.json 的格式列出您的结算单，"
        "并注明 manifest.json 的 SHA-256），其中列有本结算单及上方的内容哈希。完整的 manifest.json 列有每个加盟商的净额，"
        "因此仅向总部财务和审计人员提供。"),
    "signature_unpinned": ("signing key not trusted", "签名密钥未受信任"),
    "signature_unpinned_detail": (
        "The signature verifies with the key settlement sent with it (key id {key}), but this console does not trust "
        "that key (--settlement-public-key): this shows only that the bytes and the signature agree, not who signed "
        "them. Compare the key id with the one HQ publishes.",
        "签名可用结算服务随附发送的密钥（密钥 ID {key}）验证，但本控制台并不信任该密钥（--settlement-public-key）："
        "这只说明内容与签名一致，不能说明由谁签署。请将密钥 ID 与总部公布的核对。"),
    "signature_failed": ("manifest signature NOT verified", "清单签名验证失败"),
    "signature_unavailable": ("The signed manifest could not be read:", "无法读取已签名的清单："),
    "no_statements": ("No statements yet.", "暂无结算单。"),
    "audit_log": ("Audit log", "审计日志"),
    "when": ("When", "时间"),
    "operator": ("Operator", "操作员"),
    "action": ("Action", "动作"),
    "target": ("Target", "对象"),
    "outcome": ("Outcome", "结果"),
    "target_type": ("Target type", "对象类型"),
    "target_id": ("Target id", "对象编号"),
    "filter": ("Filter", "筛选"),
    "export_csv": ("Export CSV", "导出 CSV"),
    "next_page": ("Next page", "下一页"),
    "no_entries": ("No entries.", "暂无记录。"),
    "operations": ("Operations", "运营"),
    "stores": ("Stores", "门店"),
    "online": ("Online", "在线"),
    "queue_depth": ("Queue depth", "队列积压"),
    "unknown": ("unknown", "未知"),
    "settlement_runs": ("Settlement runs", "结算批次"),
    "runs_refused": ("Settlement runs are not in your role's view.", "您的角色无权查看结算批次。"),
    "statement_count": ("Statements", "结算单数"),
    "records": ("Clearing records", "清分记录"),
    "programme": ("Programme configuration", "会员方案配置"),
    "card_types": ("Card types", "卡类型"),
    "levels": ("Levels", "等级"),
    "earn_rules": ("Earn rules", "积分规则"),
    "recharge_promotions": ("Recharge promotions", "充值活动"),
    "coupon_templates": ("Coupon templates", "优惠券模板"),
    "count_items": ("Count items", "计次项目"),
    "code": ("Code", "代码"),
    "edit": ("Edit", "编辑"),
    "preview_diff": ("Preview changes", "预览修改"),
    "diff": ("Changes", "修改内容"),
    "field": ("Field", "字段"),
    "before": ("Before", "修改前"),
    "after": ("After", "修改后"),
    "save": ("Save", "保存"),
    "no_changes": ("Nothing changed.", "没有修改。"),
    "saved": ("Saved.", "已保存。"),
    "active": ("Active", "启用"),
    "discount": ("Discount", "折扣"),
    "points_multiplier": ("Points multiplier", "积分倍数"),
    "language": ("Language", "语言"),
    "RFM_SEGMENT_IMPORTANT_VALUE": ("Important value", "重要价值"),
    "RFM_SEGMENT_IMPORTANT_DEVELOPMENT": ("Important development", "重要发展"),
    "RFM_SEGMENT_IMPORTANT_RETENTION": ("Important retention", "重要保持"),
    "RFM_SEGMENT_IMPORTANT_RECOVERY": ("Important recovery", "重要挽留"),
    "RFM_SEGMENT_GENERAL_VALUE": ("General value", "一般价值"),
    "RFM_SEGMENT_GENERAL_DEVELOPMENT": ("General development", "一般发展"),
    "RFM_SEGMENT_GENERAL_RETENTION": ("General retention", "一般保持"),
    "RFM_SEGMENT_GENERAL_RECOVERY": ("General recovery", "一般挽留"),
    "RFM_SEGMENT_UNSPECIFIED": ("Not scored", "未评分"),
}


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    first = (accept_language or "").split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)`` in ``lang``; an unknown key shows as itself (a missing entry is visible, not fatal)."""
    index = 1 if lang == "zh" else 0

    def t(key: str) -> str:
        entry = CATALOG.get(key)
        return entry[index] if entry else key

    return t
