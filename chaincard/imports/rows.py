"""Validating an import file's rows (docs/import.md): each row is checked in full, every problem
reported as (row, column, what is wrong); rows with none come out as :class:`ValidRow`, money in
integer fen parsed exactly from the text (never through a float)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from chaincard import validation
from chaincard.errors import InvalidArgument
from chaincard.imports.columns import Kind
from chaincard.imports.reading import RawRow
from chaincard.phones import normalise_phone

# ¥1,000,000,000 on one card is no prepaid balance: a typo (or a column of the wrong unit).
MAX_AMOUNT_FEN = 100_000_000_000
MAX_POINTS = 10_000_000_000
_YUAN = re.compile(r"^(\d+)(?:\.(\d*))?$")
_CURRENCY = re.compile(r"[¥￥,，\s]|元$")
T = TypeVar("T")
Parse = Callable[[str], T]

_GENDERS = {"男": "MALE", "m": "MALE", "male": "MALE", "女": "FEMALE", "f": "FEMALE", "female": "FEMALE",
            "其他": "OTHER", "other": "OTHER", "": "UNSPECIFIED", "未知": "UNSPECIFIED"}
_DATE = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$")


@dataclass(frozen=True)
class RowError:
    """One problem of one row: ``column`` is the canonical field (docs/import.md), "" for the row."""

    row: int
    column: str
    problem: str


@dataclass(frozen=True)
class StoreFacts:
    store_id: str
    region_code: str
    franchisee_id: str


@dataclass(frozen=True)
class CardTypeFacts:
    code: str
    stored_value: bool = True
    points: bool = True
    anonymous: bool = False


@dataclass(frozen=True)
class Catalogue:
    """What rows are checked against: HQ's stores and card types."""

    stores: Mapping[str, StoreFacts]
    card_types: Mapping[str, CardTypeFacts]


@dataclass(frozen=True)
class ValidRow:
    """A row that passed: the fields of its kind, normalised (others empty or 0)."""

    row: int
    name: str = ""
    phone: str = ""
    card_number: str = ""
    card_type: str = ""
    store_id: str = ""
    region_code: str = ""
    franchisee_id: str = ""
    principal_fen: int = 0
    bonus_fen: int = 0
    points: int = 0
    birthday: str = ""
    gender: str = "UNSPECIFIED"
    email: str = ""


class _Bad(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def parse_yuan(text: str) -> int:
    """"1,234.5" / "¥12.30" / "12" yuan -> fen, exactly; at most two decimals, never negative."""
    cleaned = _CURRENCY.sub("", text or "")
    if not cleaned:
        return 0
    if cleaned.startswith("-"):
        raise _Bad("must not be negative")
    match = _YUAN.match(cleaned)
    if match is None:
        raise _Bad(f"{text!r} is not an amount in yuan")
    whole, decimals = match.group(1), (match.group(2) or "")
    if len(decimals.rstrip("0")) > 2:
        raise _Bad(f"{text!r} has more than 2 decimals (fen are the smallest unit)")
    fen = int(whole) * 100 + int((decimals + "00")[:2])
    if fen > MAX_AMOUNT_FEN:
        raise _Bad(f"{text!r} is beyond ¥{MAX_AMOUNT_FEN // 100:,}")
    return fen


def parse_points(text: str) -> int:
    cleaned = _CURRENCY.sub("", text or "")
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    if not cleaned:
        return 0
    if cleaned.startswith("-"):
        raise _Bad("must not be negative")
    if not cleaned.isdigit():
        raise _Bad(f"{text!r} is not a whole number of points")
    if int(cleaned) > MAX_POINTS:
        raise _Bad(f"{text!r} is beyond {MAX_POINTS:,}")
    return int(cleaned)


def parse_birthday(text: str) -> str:
    match = _DATE.match((text or "").strip())
    if match is None:
        raise _Bad(f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as error:
        raise _Bad(f"{text!r} is not a date: {error}") from error
    if day > date.today() or day.year < 1900:
        raise _Bad(f"{text!r} is not a plausible birthday")
    return day.isoformat()


class _RowChecker:
    """Collects one row's problems field by field (every field checked, not only the first)."""

    def __init__(self, raw: RawRow) -> None:
        self.raw = raw
        self.errors: list[RowError] = []

    def value(self, field: str) -> str:
        return self.raw.values.get(field, "").strip()

    def problem(self, field: str, problem: str) -> None:
        self.errors.append(RowError(self.raw.row, field, problem))

    def check(self, field: str, parse: Parse[T], default: T) -> T:
        if field in self.raw.inexact:
            self.problem(field, "was stored as a number too long to be exact: format the column as text in the old system's export")
            return default
        try:
            return parse(self.value(field))
        except _Bad as bad:
            self.problem(field, bad.problem)
        except InvalidArgument as error:
            self.problem(field, str(error).partition(": ")[2] or str(error))
        return default


def _text(field: str, *, max_length: int = validation.MAX_TEXT, required: bool = True) -> Parse[str]:
    def parse(value: str) -> str:
        if required:
            return validation.require_text(field, value, max_length=max_length)
        return validation.optional_text(field, value, max_length=max_length)
    return parse


def _phone(value: str) -> str:
    if not value:
        raise _Bad("is required")
    phone = normalise_phone(value)
    if phone is None:
        raise _Bad(f"{value!r} is not an 11-digit mainland mobile number")
    return phone


def _card_number(value: str) -> str:
    number = validation.card_number(value)
    if number.startswith("88") and len(number) == 15:
        raise _Bad("the 88 prefix of 15 digits is reserved for ChainCard's own virtual cards")
    return number


def _gender(value: str) -> str:
    gender = _GENDERS.get(value.strip().lower())
    if gender is None:
        raise _Bad(f"{value!r} is not 男/女/M/F")
    return gender


def _email(value: str) -> str:
    email = validation.optional_text("email", value, max_length=254)
    if email and "@" not in email:
        raise _Bad(f"{value!r} is not an e-mail address")
    return email


def _optional(parse: Parse[str], default: str) -> Parse[str]:
    def wrapped(value: str) -> str:
        return parse(value) if value else default
    return wrapped


@dataclass(frozen=True)
class _Member:
    name: str
    phone: str
    birthday: str
    gender: str
    email: str


def _member_fields(check: _RowChecker) -> _Member:
    return _Member(
        name=check.check("name", _text("name"), ""),
        phone=check.check("phone", _phone, ""),
        birthday=check.check("birthday", _optional(parse_birthday, ""), ""),
        gender=check.check("gender", _gender, "UNSPECIFIED"),
        email=check.check("email", _email, ""),
    )


def _store(check: _RowChecker, catalogue: Catalogue) -> StoreFacts | None:
    store_id = check.value("store")
    if not store_id:
        check.problem("store", "is required")
        return None
    store = catalogue.stores.get(store_id)
    if store is None:
        check.problem("store", f"no store {store_id!r} in the chain")
    return store


@dataclass(frozen=True)
class _Amounts:
    principal_fen: int = 0
    bonus_fen: int = 0
    points: int = 0

    def any(self) -> bool:
        return bool(self.principal_fen or self.bonus_fen or self.points)


def _amounts(check: _RowChecker) -> _Amounts:
    return _Amounts(
        principal_fen=check.check("principal", parse_yuan, 0),
        bonus_fen=check.check("bonus", parse_yuan, 0),
        points=check.check("points", parse_points, 0),
    )


def _card_type(check: _RowChecker, catalogue: Catalogue, amounts: _Amounts) -> str:
    code = check.value("card_type")
    if not code:
        check.problem("card_type", "is required")
        return ""
    card_type = catalogue.card_types.get(code)
    if card_type is None:
        check.problem("card_type", f"no card type {code!r} in the chain")
        return code
    if card_type.anonymous:
        check.problem("card_type", f"card type {code} is a bearer type (anonymous): imported cards are named")
    if not card_type.stored_value and (amounts.principal_fen or amounts.bonus_fen):
        check.problem("principal" if amounts.principal_fen else "bonus", f"card type {code} holds no stored value")
    if not card_type.points and amounts.points:
        check.problem("points", f"card type {code} holds no points")
    return code


def _validate_row(kind: Kind, raw: RawRow, catalogue: Catalogue) -> tuple[ValidRow | None, list[RowError]]:
    check = _RowChecker(raw)
    if kind is Kind.BALANCES:
        number = check.check("card_number", _card_number, "")
        amounts = _amounts(check)
        if not check.errors and not amounts.any():
            check.problem("", "gives no balance (principal, bonus and points all empty or 0)")
        if check.errors:
            return None, check.errors
        return ValidRow(row=raw.row, card_number=number, principal_fen=amounts.principal_fen,
                        bonus_fen=amounts.bonus_fen, points=amounts.points), []
    member = _member_fields(check)
    store = _store(check, catalogue)
    number, card_type, amounts = "", "", _Amounts()
    if kind is Kind.CARDS:
        number = check.check("card_number", _card_number, "")
        amounts = _amounts(check)
        card_type = _card_type(check, catalogue, amounts)
    if check.errors or store is None:
        return None, check.errors
    return ValidRow(
        row=raw.row, name=member.name, phone=member.phone, birthday=member.birthday, gender=member.gender,
        email=member.email, store_id=store.store_id, region_code=store.region_code, franchisee_id=store.franchisee_id,
        card_number=number, card_type=card_type, principal_fen=amounts.principal_fen, bonus_fen=amounts.bonus_fen,
        points=amounts.points,
    ), []


def _cross_row_errors(kind: Kind, rows: Iterable[ValidRow]) -> list[RowError]:
    """What no row shows alone: a card number twice; a phone twice in a members file; one member's
    cards in two regions or under two names (a member has one home region, ADR 0008)."""
    errors: list[RowError] = []
    cards: dict[str, int] = {}
    members: dict[str, ValidRow] = {}
    for row in rows:
        if row.card_number:
            first = cards.setdefault(row.card_number, row.row)
            if first != row.row:
                errors.append(RowError(row.row, "card_number", f"{row.card_number} is also on row {first}"))
        if kind is Kind.BALANCES or not row.phone:
            continue
        holder = members.setdefault(row.phone, row)
        if holder.row == row.row:
            continue
        if kind is Kind.MEMBERS:
            errors.append(RowError(row.row, "phone", f"the same member as row {holder.row}"))
        elif holder.region_code != row.region_code:
            errors.append(RowError(row.row, "store", f"in region {row.region_code}, but this member's row {holder.row} "
                                                     f"makes region {holder.region_code} their home"))
        elif holder.name != row.name:
            errors.append(RowError(row.row, "name", f"{row.name!r} differs from row {holder.row}'s {holder.name!r} "
                                                    "for the same phone"))
    return errors


@dataclass(frozen=True)
class Validated:
    valid: list[ValidRow]
    errors: list[RowError]

    @property
    def bad_rows(self) -> list[int]:
        return sorted({error.row for error in self.errors})


def validate(kind: Kind, raw_rows: Iterable[RawRow], catalogue: Catalogue) -> Validated:
    """Every row checked; rows in error (alone or against an earlier row) are left out of ``valid``."""
    candidates: list[ValidRow] = []
    errors: list[RowError] = []
    for raw in raw_rows:
        row, problems = _validate_row(kind, raw, catalogue)
        errors.extend(problems)
        if row is not None:
            candidates.append(row)
    cross = _cross_row_errors(kind, candidates)
    errors.extend(cross)
    refused = {error.row for error in cross}
    errors.sort(key=lambda error: (error.row, error.column))
    return Validated(valid=[row for row in candidates if row.row not in refused], errors=errors)
