"""The offline stand-in's limits (X4, DESIGN §4) as they apply at one store: the chain's
OfflineLimits with DESIGN's defaults for unset values, lowered by the store's own override (H3: a
store may only lower them)."""

from __future__ import annotations

from dataclasses import dataclass

from chaincard.v1 import program_config_pb2

# DESIGN §4: ¥200 per card per day, ¥5,000 per store.
DEFAULT_CARD_DAILY_LIMIT_FEN = 20_000
DEFAULT_STORE_EXPOSURE_LIMIT_FEN = 500_000
# Our choice (docs/adr/0011): no PIN can be checked offline, so every offline spend is PIN-less and
# one spend may take at most ¥100 of stored value.
DEFAULT_PINLESS_LIMIT_FEN = 10_000
# A card last described by its region more than a day ago is not trusted offline.
DEFAULT_CARD_CACHE_MAX_AGE_SECONDS = 86_400


@dataclass(frozen=True)
class OfflineLimits:
    card_daily_limit_fen: int = DEFAULT_CARD_DAILY_LIMIT_FEN
    store_exposure_limit_fen: int = DEFAULT_STORE_EXPOSURE_LIMIT_FEN
    pinless_limit_fen: int = DEFAULT_PINLESS_LIMIT_FEN
    card_cache_max_age_seconds: int = DEFAULT_CARD_CACHE_MAX_AGE_SECONDS


def _lower(chain: int, store: int) -> int:
    return min(chain, store) if store > 0 else chain


def limits_for_store(snapshot: program_config_pb2.ConfigSnapshot | None, store_id: str) -> OfflineLimits:
    if snapshot is None:
        return OfflineLimits()
    chain = snapshot.offline_limits
    limits = OfflineLimits(
        card_daily_limit_fen=chain.card_daily_limit_fen or DEFAULT_CARD_DAILY_LIMIT_FEN,
        store_exposure_limit_fen=chain.store_exposure_limit_fen or DEFAULT_STORE_EXPOSURE_LIMIT_FEN,
        pinless_limit_fen=chain.pinless_limit_fen or DEFAULT_PINLESS_LIMIT_FEN,
        card_cache_max_age_seconds=chain.card_cache_max_age_seconds or DEFAULT_CARD_CACHE_MAX_AGE_SECONDS,
    )
    for override in snapshot.store_offline_limits:
        if override.store_id == store_id:
            own = override.limits
            limits = OfflineLimits(
                card_daily_limit_fen=_lower(limits.card_daily_limit_fen, own.card_daily_limit_fen),
                store_exposure_limit_fen=_lower(limits.store_exposure_limit_fen, own.store_exposure_limit_fen),
                pinless_limit_fen=_lower(limits.pinless_limit_fen, own.pinless_limit_fen),
                card_cache_max_age_seconds=_lower(limits.card_cache_max_age_seconds, own.card_cache_max_age_seconds),
            )
    return limits
