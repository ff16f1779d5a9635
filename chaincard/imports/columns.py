"""The columns an import file may have: each canonical field with the header names a chain's old
system exports for it (Chinese and English), and what each kind of import requires."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from chaincard.errors import InvalidArgument


class Kind(StrEnum):
    """What a file imports: members alone, cards with their holder and opening balances, or opening
    balances onto cards imported before."""

    MEMBERS = "members"
    CARDS = "cards"
    BALANCES = "balances"


# Canonical field -> the header names accepted for it (matched after _normalised()).
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "member_name", "会员姓名", "姓名", "会员名称", "客户姓名"),
    "phone": ("phone", "mobile", "phone_number", "手机号", "手机", "手机号码", "联系电话"),
    "card_number": ("card_number", "card_no", "card", "卡号", "会员卡号", "卡编号"),
    "card_type": ("card_type", "card_type_code", "卡类型", "卡种", "卡类别"),
    "store": ("store", "store_id", "store_code", "开卡门店", "门店", "门店编号", "开卡门店编号"),
    "principal": ("principal", "principal_yuan", "balance", "本金余额", "本金", "储值余额", "充值余额"),
    "bonus": ("bonus", "bonus_yuan", "赠送余额", "赠送金额", "赠金余额"),
    "points": ("points", "积分", "积分余额", "可用积分"),
    "birthday": ("birthday", "birth_date", "生日", "出生日期"),
    "gender": ("gender", "sex", "性别"),
    "email": ("email", "e_mail", "邮箱", "电子邮箱"),
}

REQUIRED: dict[Kind, tuple[str, ...]] = {
    Kind.MEMBERS: ("name", "phone", "store"),
    Kind.CARDS: ("name", "phone", "card_number", "card_type", "store"),
    Kind.BALANCES: ("card_number",),
}

# The fields each kind reads (others in the file are ignored, and listed as such by the CLI).
USED: dict[Kind, tuple[str, ...]] = {
    Kind.MEMBERS: ("name", "phone", "store", "birthday", "gender", "email"),
    Kind.CARDS: ("name", "phone", "card_number", "card_type", "store", "principal", "bonus", "points", "birthday",
                 "gender", "email"),
    Kind.BALANCES: ("card_number", "principal", "bonus", "points"),
}

_SPACES = re.compile(r"[\s\-]+")
_BY_ALIAS = {alias: field for field, aliases in ALIASES.items() for alias in aliases}


def _normalised(header: str) -> str:
    # Old systems decorate headers: "本金余额(元)", "Card No.", " phone ".
    text = re.sub(r"[（(].*?[)）]", "", str(header or "")).strip().lower().rstrip(".:：")
    return _SPACES.sub("_", text)


def _chinese(aliases: tuple[str, ...]) -> str:
    return next((alias for alias in aliases if not alias.isascii()), aliases[0])


def field_of(header: str) -> str | None:
    """The canonical field a header names, or None if it is not one the import knows."""
    return _BY_ALIAS.get(_normalised(header))


def map_headers(kind: Kind, headers: Iterable[str]) -> dict[int, str]:
    """Column index -> canonical field for the columns ``kind`` uses; INVALID_ARGUMENT naming the
    header when a required column is missing or a field is given twice."""
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, header in enumerate(headers):
        field = field_of(header)
        if field is None or field not in USED[kind]:
            continue
        if field in seen:
            raise InvalidArgument("header", f"columns {seen[field]!r} and {header!r} both give {field}")
        seen[field] = str(header)
        mapping[index] = field
    missing = [field for field in REQUIRED[kind] if field not in seen]
    if missing:
        names = "; ".join(f"{field} (e.g. {ALIASES[field][0]} / {_chinese(ALIASES[field])})" for field in missing)
        raise InvalidArgument("header", f"missing required column(s) for a {kind} import: {names}")
    return mapping
