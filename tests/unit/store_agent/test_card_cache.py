"""store_agent.card_cache: the freshness rules of the offline stand-in's card cache — an answer
never replaces what a later-sent call already told, whole cards and balances each by their own
clock — checked on the cache's writes in memory (a session that only gets and adds rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chaincard.v1 import cards_pb2, common_pb2, transactions_pb2
from store_agent.card_cache import CardCache
from store_agent.models import CachedCard

CARD = "881100000123451"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
EARLIER, LATER = T0 - timedelta(seconds=5), T0 + timedelta(seconds=5)


class Rows:
    """What CardCache's writes need of a session: get and add."""

    def __init__(self) -> None:
        self.rows: dict[str, CachedCard] = {}

    def get(self, model: type, key: str) -> CachedCard | None:
        assert model is CachedCard
        return self.rows.get(key)

    def add(self, row: CachedCard) -> None:
        self.rows[row.card_number] = row


def _card(principal: int = 10_000, *, state: int = common_pb2.CARD_STATE_ACTIVE, level: str = "L1", **fields: Any) -> common_pb2.Card:
    return common_pb2.Card(card_number=CARD, card_type_code="SV", level_code=level, state=state, issuing_franchisee_id="F-HQ",
                           home_region="E", balances=common_pb2.Balances(principal_fen=principal, bonus_fen=100, points=5), **fields)


def _cache() -> tuple[CardCache, Rows]:
    return CardCache(session_factory=None), Rows()  # type: ignore[arg-type]


def test_a_whole_card_is_cached_complete_with_its_balances() -> None:
    cache, session = _cache()
    cache.put_card(session, _card(pin_set=True), T0, allowance_fen=4_000)  # type: ignore[arg-type]
    row = session.rows[CARD]
    assert row.complete and row.state == "ACTIVE" and (row.card_type_code, row.level_code) == ("SV", "L1")
    assert (row.issuing_franchisee_id, row.home_region, row.pin_set) == ("F-HQ", "E", True)
    assert (row.principal_fen, row.bonus_fen, row.points, row.balances_as_of) == (10_000, 100, 5, T0)
    assert (row.refreshed_at, row.last_seen_at) == (T0, T0)
    assert (row.offline_allowance_fen, row.allowance_as_of) == (4_000, T0)


def test_a_locked_pin_counts_as_a_pin() -> None:
    cache, session = _cache()
    cache.put_card(session, _card(pin_locked=True), T0)  # type: ignore[arg-type]
    assert session.rows[CARD].pin_set


def test_an_older_description_never_replaces_a_newer_one() -> None:
    cache, session = _cache()
    cache.put_card(session, _card(20_000, level="L2"), LATER)  # type: ignore[arg-type]
    cache.put_card(session, _card(10_000, state=common_pb2.CARD_STATE_FROZEN), EARLIER)  # type: ignore[arg-type]
    row = session.rows[CARD]
    assert (row.state, row.level_code, row.principal_fen, row.refreshed_at, row.balances_as_of) == ("ACTIVE", "L2", 20_000, LATER, LATER)
    assert row.last_seen_at == LATER


def test_balances_alone_keep_the_card_incomplete_and_never_go_back_in_time() -> None:
    cache, session = _cache()
    cache.put_balances(session, CARD, common_pb2.Balances(principal_fen=7_000), T0)  # type: ignore[arg-type]
    row = session.rows[CARD]
    assert not row.complete and row.refreshed_at is None and row.state == ""
    assert (row.principal_fen, row.balances_as_of) == (7_000, T0)
    cache.put_balances(session, CARD, common_pb2.Balances(principal_fen=9_000), EARLIER)  # type: ignore[arg-type]
    assert (row.principal_fen, row.balances_as_of) == (7_000, T0)
    cache.put_balances(session, CARD, common_pb2.Balances(principal_fen=5_000), LATER)  # type: ignore[arg-type]
    assert (row.principal_fen, row.balances_as_of) == (5_000, LATER)


def test_newer_balances_update_a_card_but_not_its_description() -> None:
    cache, session = _cache()
    cache.put_card(session, _card(10_000), T0)  # type: ignore[arg-type]
    cache.put_balances(session, CARD, common_pb2.Balances(principal_fen=4_000), LATER)  # type: ignore[arg-type]
    row = session.rows[CARD]
    assert (row.principal_fen, row.balances_as_of, row.refreshed_at) == (4_000, LATER, T0)
    cache.put_card(session, _card(10_000), T0 + timedelta(seconds=1))  # type: ignore[arg-type]  # described later, balances older
    assert (row.principal_fen, row.balances_as_of, row.refreshed_at) == (4_000, LATER, T0 + timedelta(seconds=1))


def test_a_state_with_balances_applies_only_if_not_older_than_the_description() -> None:
    cache, session = _cache()
    cache.put_card(session, _card(), T0)  # type: ignore[arg-type]
    cache.put_balances(session, CARD, common_pb2.Balances(), EARLIER, state=common_pb2.CARD_STATE_FROZEN)  # type: ignore[arg-type]
    assert session.rows[CARD].state == "ACTIVE"
    cache.put_balances(session, CARD, common_pb2.Balances(), LATER, state=common_pb2.CARD_STATE_FROZEN)  # type: ignore[arg-type]
    assert session.rows[CARD].state == "FROZEN"


def test_observe_learns_cards_and_balances_from_online_answers() -> None:
    cache, session = _cache()
    cache.observe(session, cards_pb2.GetCardRequest(card_number=CARD), cards_pb2.GetCardResponse(card=_card(12_000)), T0)  # type: ignore[arg-type]
    assert session.rows[CARD].complete and session.rows[CARD].principal_fen == 12_000
    sale = transactions_pb2.CheckoutResponse(balances_after=common_pb2.Balances(principal_fen=11_000, points=6))
    cache.observe(session, transactions_pb2.CheckoutRequest(card_number=CARD), sale, LATER)  # type: ignore[arg-type]
    assert (session.rows[CARD].principal_fen, session.rows[CARD].points, session.rows[CARD].balances_as_of) == (11_000, 6, LATER)


def test_what_a_card_owes_comes_and_goes_with_its_balances() -> None:
    cache, session = _cache()
    cache.put_card(session, _card(10_000), T0)  # type: ignore[arg-type]
    assert session.rows[CARD].owed_fen == 0
    cache.put_balances(session, CARD, common_pb2.Balances(principal_fen=4_000, owed_fen=3_000), LATER)  # type: ignore[arg-type]
    assert (session.rows[CARD].principal_fen, session.rows[CARD].owed_fen) == (4_000, 3_000)
    cache.put_balances(session, CARD, common_pb2.Balances(principal_fen=9_000), EARLIER)  # type: ignore[arg-type]  # older: ignored
    assert session.rows[CARD].owed_fen == 3_000
    cache.put_balances(session, CARD, common_pb2.Balances(principal_fen=2_000), LATER + timedelta(seconds=1))  # type: ignore[arg-type]
    assert session.rows[CARD].owed_fen == 0  # paid


def test_observe_ignores_answers_about_no_card() -> None:
    cache, session = _cache()
    cache.observe(session, transactions_pb2.CheckoutRequest(card_number=CARD), transactions_pb2.CheckoutResponse(), T0)  # type: ignore[arg-type]
    assert session.rows == {}


# ---- the region's push (store_agent.balance_push, docs/adr/0017) -----------------------------------------
def _sqlite_cache(tmp_path: Any) -> CardCache:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from store_agent.models import Base

    engine = create_engine(f"sqlite:///{tmp_path / 'cache.sqlite'}")
    Base.metadata.create_all(engine)
    return CardCache(sessionmaker(engine, expire_on_commit=False))


def _pushed(position: int, *changes: tuple[str, int, datetime], owed_fen: int = 0) -> Any:
    from chaincard.v1 import store_sync_pb2

    answer = store_sync_pb2.SubscribeCardBalancesResponse(position=position)
    for number, principal, as_of in changes:
        change = answer.changes.add(card_number=number, balances=common_pb2.Balances(principal_fen=principal, owed_fen=owed_fen))
        change.as_of.FromDatetime(as_of)
    return answer


def test_a_pushed_balance_replaces_an_older_one_only_and_never_adds_a_card(tmp_path: Any) -> None:
    cache = _sqlite_cache(tmp_path)
    with cache.session_factory.begin() as session:
        cache.put_card(session, _card(10_000), T0)
    cache.apply_pushed(_pushed(7, (CARD, 4_000, LATER), ("881100000999990", 1, LATER)))
    row = cache.get(CARD)
    assert row is not None and (row.principal_fen, row.balances_as_of.replace(tzinfo=UTC), row.refreshed_at is not None) == (4_000, LATER, True)
    assert cache.get("881100000999990") is None and cache.push_position() == 7
    cache.apply_pushed(_pushed(8, (CARD, 9_999, EARLIER)))  # older than what the cache holds: ignored
    row = cache.get(CARD)
    assert row is not None and row.principal_fen == 4_000 and cache.push_position() == 8
    cache.reset_push_position()
    assert cache.push_position() == 0


def test_a_pushed_level_and_type_change_replaces_older_ones_only(tmp_path: Any) -> None:
    """docs/adr/0017 addendum: empty means unchanged; neither a push nor a description sent before
    the cache learnt a level replaces it."""
    cache = _sqlite_cache(tmp_path)
    with cache.session_factory.begin() as session:
        cache.put_card(session, _card(10_000), T0)
    pushed = _pushed(3, (CARD, 10_000, LATER))
    pushed.changes[0].level_code, pushed.changes[0].card_type_code = "L2", "SV-PAID"
    cache.apply_pushed(pushed)
    row = cache.get(CARD)
    assert row is not None and (row.level_code, row.card_type_code) == ("L2", "SV-PAID")
    unchanged = _pushed(4, (CARD, 9_000, LATER + timedelta(seconds=1)))  # a sale: no level, no type
    cache.apply_pushed(unchanged)
    older = _pushed(5, (CARD, 9_000, T0))
    older.changes[0].level_code = "L0"
    cache.apply_pushed(older)
    with cache.session_factory.begin() as session:
        cache.put_card(session, _card(9_000, level="L1"), T0 + timedelta(seconds=1))  # sent before the push's change
    row = cache.get(CARD)
    assert row is not None and (row.level_code, row.card_type_code) == ("L2", "SV-PAID")
    with cache.session_factory.begin() as session:
        cache.put_card(session, _card(9_000, level="L3"), LATER + timedelta(seconds=2))  # a later description
    row = cache.get(CARD)
    assert row is not None and (row.level_code, row.card_type_code) == ("L3", "SV")


def test_a_pushed_balance_brings_what_the_card_owes(tmp_path: Any) -> None:
    cache = _sqlite_cache(tmp_path)
    with cache.session_factory.begin() as session:
        cache.put_card(session, _card(10_000), T0)
    cache.apply_pushed(_pushed(3, (CARD, 4_000, LATER), owed_fen=3_000))
    row = cache.get(CARD)
    assert row is not None and (row.principal_fen, row.owed_fen) == (4_000, 3_000)


def test_a_card_entering_the_cache_is_caught_up_from_the_position_applied_before_its_answer_was_sent() -> None:
    cache, session = _cache()
    cache._applied.extend([(EARLIER, 10), (T0, 20), (LATER, 30)])
    cache.push_position = lambda: 30  # type: ignore[method-assign]
    before = cache.generation
    cache.put_card(session, _card(), T0 + timedelta(seconds=1))  # type: ignore[arg-type]
    assert cache.generation == before + 1
    assert cache.resume_position() == 20  # its changes after the answer's send all lie beyond 20
    assert cache.subscription_started(before) == []  # a subscription asked before the card: still owed
    assert cache.resume_position() == 20
    assert cache.subscription_started(cache.generation) == []
    assert cache.resume_position() == 30


def test_a_card_seen_before_any_known_position_is_refreshed_once_a_subscription_started() -> None:
    cache, session = _cache()
    cache._applied.append((LATER, 30))
    cache.push_position = lambda: 30  # type: ignore[method-assign]
    cache.put_card(session, _card(), T0)  # type: ignore[arg-type]
    assert cache.resume_position() == 30
    assert cache.subscription_started(cache.generation) == [CARD]
    assert cache.subscription_started(cache.generation) == []


def test_a_card_seen_when_only_position_0_was_applied_is_refreshed_not_rewound_to_0() -> None:
    cache, session = _cache()
    cache._applied.append((EARLIER, 0))  # a region whose feed was empty: 0 would mean "its head"
    cache.push_position = lambda: 5  # type: ignore[method-assign]
    cache.put_card(session, _card(), T0)  # type: ignore[arg-type]
    assert cache.resume_position() == 5
    assert cache.subscription_started(cache.generation) == [CARD]


# ---- other regions' feeds, relayed by the store's region (docs/adr/0017, addendum) ------------------------
def test_a_relayed_push_moves_that_regions_position_only(tmp_path: Any) -> None:
    cache = _sqlite_cache(tmp_path)
    with cache.session_factory.begin() as session:
        cache.put_card(session, _card(10_000), T0)
    cache.apply_pushed(_pushed(7))
    relayed = _pushed(900, (CARD, 2_500, LATER))
    relayed.region_code = "W"
    cache.apply_pushed(relayed)
    row = cache.get(CARD)
    assert row is not None and row.principal_fen == 2_500
    assert (cache.push_position(), cache.relayed_positions()) == (7, {"W": 900})
    assert cache.resume_position() == 7  # the own feed's history knows nothing of W's positions
    cache.reset_push_position()
    assert (cache.push_position(), cache.relayed_positions()) == (0, {})


def test_cards_of_other_regions_are_grouped_by_home_region_and_a_learnt_home_asks_again(tmp_path: Any) -> None:
    cache = _sqlite_cache(tmp_path)
    west, unknown = "882100000000001", "881100000999990"
    with cache.session_factory.begin() as session:
        cache.put_card(session, _card(10_000), T0)  # home region E
        cache.put_balances(session, west, common_pb2.Balances(principal_fen=1), T0)  # home region not known yet
        cache.put_balances(session, unknown, common_pb2.Balances(principal_fen=1), T0)
    assert cache.homed_elsewhere([CARD, west, unknown], "E") == {}
    before = cache.generation
    with cache.session_factory.begin() as session:
        cache.put_card(session, common_pb2.Card(card_number=west, home_region="W", state=common_pb2.CARD_STATE_ACTIVE), LATER)
    assert cache.generation == before + 1  # the subscription asks again, naming it under W
    assert cache.homed_elsewhere([CARD, west, unknown], "E") == {"W": [west]}
    assert cache.homed_elsewhere([CARD, west], "") == {}  # own region not known yet: nothing relayed


# ---- the cards' coupons (docs/adr/0025) ------------------------------------------------------------
def _coupon(code: str, *, card: str = CARD, state: int = common_pb2.COUPON_STATE_AVAILABLE) -> common_pb2.Coupon:
    coupon = common_pb2.Coupon(coupon_code=code, template_code="CASH-10", card_number=card, state=state)
    coupon.valid_from.FromDatetime(T0 - timedelta(days=1))
    coupon.valid_until.FromDatetime(T0 + timedelta(days=30))
    return coupon


def _cached_codes(cache: CardCache) -> list[str]:
    from sqlalchemy import select

    from store_agent.models import CachedCoupon

    with cache.session_factory() as session:
        return list(session.execute(select(CachedCoupon.coupon_code).where(CachedCoupon.card_number == CARD)
                                    .order_by(CachedCoupon.coupon_code)).scalars())


def _refreshed(*coupons: common_pb2.Coupon, listed: bool = True) -> Any:
    from chaincard.v1 import store_sync_pb2

    cached = store_sync_pb2.CachedCard(card=_card(), offline_allowance_fen=20_000, coupons=coupons, coupons_listed=listed)
    cached.as_of.FromDatetime(T0)
    return store_sync_pb2.RefreshCardCacheResponse(cards=[cached])


def test_a_refresh_lists_the_cards_available_coupons_and_the_next_list_replaces_them_whole(tmp_path: Any) -> None:
    cache = _sqlite_cache(tmp_path)
    cache.apply_refresh(_refreshed(_coupon("10000000000000001"), _coupon("10000000000000002"),
                                   _coupon("10000000000000003", state=common_pb2.COUPON_STATE_REDEEMED),
                                   _coupon("10000000000000004", card="881100000999990")), T0)
    assert _cached_codes(cache) == ["10000000000000001", "10000000000000002"]  # AVAILABLE and this card's only
    row = cache.get(CARD)
    assert row is not None and row.coupons_as_of is not None and row.coupons_as_of.replace(tzinfo=UTC) == T0
    cache.apply_refresh(_refreshed(_coupon("10000000000000002")), LATER)  # the first was used elsewhere
    assert _cached_codes(cache) == ["10000000000000002"]
    cache.apply_refresh(_refreshed(_coupon("10000000000000001"), _coupon("10000000000000002")), EARLIER)  # sent earlier: ignored
    assert _cached_codes(cache) == ["10000000000000002"]
    cache.apply_refresh(_refreshed(listed=False), LATER + timedelta(seconds=1))  # a region that lists no coupons: kept
    assert _cached_codes(cache) == ["10000000000000002"]
    cache.apply_refresh(_refreshed(), LATER + timedelta(seconds=2))  # listed, none left
    assert _cached_codes(cache) == []


def test_a_pushed_change_brings_the_cards_coupons_unless_a_later_list_is_here(tmp_path: Any) -> None:
    cache = _sqlite_cache(tmp_path)
    cache.apply_refresh(_refreshed(_coupon("10000000000000001")), T0)
    pushed = _pushed(5, (CARD, 4_000, LATER))
    pushed.changes[0].coupons.append(_coupon("10000000000000009"))  # a recharge issued one, the sale used the other
    pushed.changes[0].coupons_listed = True
    pushed.changes[0].coupons_as_of.FromDatetime(LATER)
    cache.apply_pushed(pushed)
    assert _cached_codes(cache) == ["10000000000000009"]
    stale = _pushed(6, (CARD, 4_000, LATER))
    stale.changes[0].coupons_listed = True  # an empty list read before the one applied
    stale.changes[0].coupons_as_of.FromDatetime(T0)
    cache.apply_pushed(stale)
    assert _cached_codes(cache) == ["10000000000000009"]
    cache.apply_pushed(_pushed(7, (CARD, 3_000, LATER + timedelta(seconds=1))))  # from an older region: coupons kept
    assert _cached_codes(cache) == ["10000000000000009"]
