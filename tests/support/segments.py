"""A hand-built population of HQ member views with known histories, for the segment and RFM tests
(docs/adr/0058), and a plain-Python reading of MemberCriteria to check the SQL against.

Each member's attributes follow from its index by simple rules (below), written straight into HQ's
read-model tables, as the projector would have left them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from chaincard.v1 import common_pb2, member_view_pb2
from hq_service.coupon_views import CouponView
from hq_service.models import CardView, MemberDailyFigures, MemberView
from hq_service.segment_models import MemberViewTag, birth_month_of

AS_OF = date(2026, 11, 30)
STORES = {"S-E-001": ("E", "F-HQ"), "S-E-002": ("E", "F-AURORA"), "S-W-001": ("W", "F-HQ"), "S-W-002": ("W", "F-BAMBOO")}
AVAILABLE = int(common_pb2.COUPON_STATE_AVAILABLE)
REDEEMED = int(common_pb2.COUPON_STATE_REDEEMED)


@dataclass
class Card:
    number: str
    store: str
    level: str
    card_type: str
    principal: int
    bonus: int
    points: int

    @property
    def franchisee(self) -> str:
        return STORES[self.store][1]


@dataclass
class Person:
    member_id: str
    region: str
    store: str
    birthday: str
    tags: list[str]
    cards: list[Card]
    visits: dict[date, int] = field(default_factory=dict)  # day → spend in fen (one visit a day)
    coupons: list[tuple[str, int]] = field(default_factory=list)  # (template, state)


def population(count: int = 240) -> list[Person]:
    people = []
    for i in range(count):
        region = "E" if i % 2 == 0 else "W"
        store = {("E", 0): "S-E-001", ("E", 1): "S-E-002", ("W", 0): "S-W-001", ("W", 1): "S-W-002"}[(region, (i // 2) % 2)]
        month = i % 12 + 1
        birthday = "" if i % 13 == 0 else (f"--{month:02d}-15" if i % 5 == 0 else f"1990-{month:02d}-15")
        tags = [tag for tag, every in (("vip", 3), ("tea", 4), ("lapsed", 7)) if i % every == 0]
        level = "GOLD" if i % 5 in (0, 1) else ("SILVER" if i % 5 == 2 else "BASIC")
        cards = [Card(f"C{i:05d}", store, level, "PREPAID" if i % 6 == 0 else "STD",
                      (i * 137) % 50_000, (i % 3) * 100, (i * 53) % 3_000)]
        if i % 10 == 0:
            cards.append(Card(f"D{i:05d}", "S-E-002", "PLATINUM", "STD", 1_000, 0, 10))
        person = Person(f"m-{i:04d}", region, store, birthday, tags, cards)
        if i % 9 != 0:
            for k in range(i % 6 + 1):
                person.visits[AS_OF - timedelta(days=(i * 7 + k * 11) % 300)] = 1_000 + (i * 31) % 5_000
        if i % 8 == 0:
            person.coupons.append(("T-A", AVAILABLE))
        if i % 8 == 4:
            person.coupons.append(("T-A", REDEEMED))
        if i % 11 == 0:
            person.coupons.append(("T-B", AVAILABLE))
        people.append(person)
    return people


def load(session: Session, people: list[Person]) -> None:
    """Write the population into HQ's read-model tables (the caller commits)."""
    members, tags, cards, days, coupons = [], [], [], [], []
    for p in people:
        member = common_pb2.Member(member_id=p.member_id, home_region=p.region, name="会员 M*", phone_masked="138****0000",
                                   birthday=p.birthday, tags=p.tags, registered_store_id=p.store)
        members.append({"member_id": p.member_id, "phone_hmac": f"h-{p.member_id}", "member": member.SerializeToString(),
                        "home_region": p.region, "registered_store_id": p.store,
                        "registered_business_date": date(2025, 1, 1) + timedelta(days=int(p.member_id[2:])),
                        "birth_month": birth_month_of(p.birthday)})
        tags.extend({"tag": tag, "member_id": p.member_id} for tag in p.tags)
        for card in p.cards:
            cards.append({"card_number": card.number, "member_id": p.member_id, "card_type_code": card.card_type, "state": 1,
                          "home_region": p.region, "issuing_franchisee_id": card.franchisee, "issuing_store_id": card.store,
                          "level_code": card.level, "principal_fen": card.principal, "bonus_fen": card.bonus,
                          "points": card.points, "form": 0, "transaction_count": 0})
        for day, spend in p.visits.items():
            days.append({"business_date": day, "member_id": p.member_id, "store_id": p.store, "spend_fen": spend,
                         "recharge_fen": 0, "visit_count": 1, "points_earned": 0})
        for n, (template, state) in enumerate(p.coupons):
            coupons.append({"coupon_code": f"Q-{p.member_id}-{n}", "template_code": template,
                            "card_number": p.cards[0].number, "state": state})
    session.execute(insert(MemberView), members)
    if tags:
        session.execute(insert(MemberViewTag), tags)
    session.execute(insert(CardView), cards)
    if days:
        session.execute(insert(MemberDailyFigures), days)
    if coupons:
        session.execute(insert(CouponView), coupons)


def expected(people: list[Person], c: member_view_pb2.MemberCriteria, *, region: str = "", franchisee: str = "",
             store: str = "") -> list[str]:
    """The member ids ``c`` selects, read the plain way."""
    def keep(p: Person) -> bool:
        if region and p.region != region:
            return False
        if franchisee and not any(card.franchisee == franchisee for card in p.cards):
            return False
        if store and p.store != store:
            return False
        checks: list[bool] = []
        if c.level_codes:
            checks.append(any(card.level in c.level_codes for card in p.cards))
        if c.card_type_codes:
            checks.append(any(card.card_type in c.card_type_codes for card in p.cards))
        if c.issuing_store_ids:
            checks.append(any(card.store in c.issuing_store_ids for card in p.cards))
        if c.issuing_franchisee_ids:
            checks.append(any(card.franchisee in c.issuing_franchisee_ids for card in p.cards))
        if c.home_regions:
            checks.append(p.region in c.home_regions)
        if c.registered_store_ids:
            checks.append(p.store in c.registered_store_ids)
        checks.extend(tag in p.tags for tag in c.tags_all)
        if c.tags_any:
            checks.append(any(tag in p.tags for tag in c.tags_any))
        if c.birthday_months:
            checks.append(birth_month_of(p.birthday) in c.birthday_months)
        last = max(p.visits, default=None)
        if c.last_visit_on_or_before:
            checks.append(last is None or last <= date.fromisoformat(c.last_visit_on_or_before))
        if c.last_visit_on_or_after:
            checks.append(last is not None and last >= date.fromisoformat(c.last_visit_on_or_after))
        if c.HasField("activity"):
            a = c.activity
            window = {day: spend for day, spend in p.visits.items()
                      if (not a.from_date or day >= date.fromisoformat(a.from_date))
                      and (not a.to_date or day <= date.fromisoformat(a.to_date))}
            spend, visits = sum(window.values()), len(window)
            bounds: list[tuple[str, Any]] = [("min_spend_fen", spend >= a.min_spend_fen), ("max_spend_fen", spend <= a.max_spend_fen),
                                             ("min_visits", visits >= a.min_visits), ("max_visits", visits <= a.max_visits)]
            checks.extend(ok for name, ok in bounds if a.HasField(name))
        points = sum(card.points for card in p.cards)
        balance = sum(card.principal + card.bonus for card in p.cards)
        for name, ok in (("min_points", points >= c.min_points), ("max_points", points <= c.max_points),
                         ("min_balance_fen", balance >= c.min_balance_fen), ("max_balance_fen", balance <= c.max_balance_fen)):
            if c.HasField(name):
                checks.append(ok)
        available = {template for template, state in p.coupons if state == AVAILABLE}
        if c.holds_coupon_templates:
            checks.append(bool(available & set(c.holds_coupon_templates)))
        if c.HasField("holds_any_coupon"):
            checks.append(bool(available) == c.holds_any_coupon)
        return all(checks)

    return sorted(p.member_id for p in people if keep(p))
