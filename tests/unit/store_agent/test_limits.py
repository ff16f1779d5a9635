"""store_agent.limits: the chain's offline limits with DESIGN §4's defaults for unset values, which a
store's own override may only lower (H3)."""

from __future__ import annotations

from chaincard.v1 import program_config_pb2
from store_agent.limits import (
    DEFAULT_CARD_CACHE_MAX_AGE_SECONDS,
    DEFAULT_CARD_DAILY_LIMIT_FEN,
    DEFAULT_PINLESS_LIMIT_FEN,
    DEFAULT_STORE_EXPOSURE_LIMIT_FEN,
    OfflineLimits,
    limits_for_store,
)

CHAIN = program_config_pb2.OfflineLimits(card_daily_limit_fen=30_000, store_exposure_limit_fen=400_000, pinless_limit_fen=8_000,
                                         card_cache_max_age_seconds=3_600)


def _snapshot(chain: program_config_pb2.OfflineLimits | None = None,
              **stores: program_config_pb2.OfflineLimits) -> program_config_pb2.ConfigSnapshot:
    return program_config_pb2.ConfigSnapshot(
        offline_limits=chain or program_config_pb2.OfflineLimits(),
        store_offline_limits=[program_config_pb2.StoreOfflineLimits(store_id=store_id.replace("_", "-"), limits=limits)
                              for store_id, limits in stores.items()],
    )


def test_without_a_snapshot_the_design_defaults_hold() -> None:
    assert limits_for_store(None, "S-E-001") == OfflineLimits(
        card_daily_limit_fen=20_000, store_exposure_limit_fen=500_000, pinless_limit_fen=10_000, card_cache_max_age_seconds=86_400)


def test_unset_chain_values_fall_back_to_the_defaults() -> None:
    assert limits_for_store(_snapshot(), "S-E-001") == OfflineLimits(
        DEFAULT_CARD_DAILY_LIMIT_FEN, DEFAULT_STORE_EXPOSURE_LIMIT_FEN, DEFAULT_PINLESS_LIMIT_FEN, DEFAULT_CARD_CACHE_MAX_AGE_SECONDS)
    only_daily = _snapshot(program_config_pb2.OfflineLimits(card_daily_limit_fen=15_000))
    assert limits_for_store(only_daily, "S-E-001") == OfflineLimits(card_daily_limit_fen=15_000)


def test_the_chain_values_apply_to_a_store_without_an_override() -> None:
    assert limits_for_store(_snapshot(CHAIN, S_E_002=program_config_pb2.OfflineLimits(pinless_limit_fen=1)), "S-E-001") == OfflineLimits(
        card_daily_limit_fen=30_000, store_exposure_limit_fen=400_000, pinless_limit_fen=8_000, card_cache_max_age_seconds=3_600)


def test_a_store_override_only_lowers() -> None:
    own = program_config_pb2.OfflineLimits(card_daily_limit_fen=10_000, store_exposure_limit_fen=900_000, pinless_limit_fen=8_000,
                                           card_cache_max_age_seconds=60)
    assert limits_for_store(_snapshot(CHAIN, S_E_001=own), "S-E-001") == OfflineLimits(
        card_daily_limit_fen=10_000,  # lower: taken
        store_exposure_limit_fen=400_000,  # higher than the chain's: ignored
        pinless_limit_fen=8_000,  # equal
        card_cache_max_age_seconds=60,
    )


def test_unset_override_values_keep_the_chain_value() -> None:
    own = program_config_pb2.OfflineLimits(store_exposure_limit_fen=25_000)
    assert limits_for_store(_snapshot(CHAIN, S_E_001=own), "S-E-001") == OfflineLimits(
        card_daily_limit_fen=30_000, store_exposure_limit_fen=25_000, pinless_limit_fen=8_000, card_cache_max_age_seconds=3_600)


def test_an_override_lowers_the_defaults_when_the_chain_sets_nothing() -> None:
    own = program_config_pb2.OfflineLimits(card_daily_limit_fen=5_000, pinless_limit_fen=50_000)
    assert limits_for_store(_snapshot(S_E_001=own), "S-E-001") == OfflineLimits(card_daily_limit_fen=5_000)
